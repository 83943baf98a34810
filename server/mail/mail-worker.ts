/**
 * Sends the email outbox. Each round leases due emails (so several servers can
 * run workers at once without sending one twice), renders each from the ticket
 * as it is now, hands it to SMTP, and records the outcome. A temporary failure
 * (4xx, connection trouble) is retried with backoff; a permanent one (5xx)
 * fails the email at once and tells the site's `email.failed` webhooks.
 */
import nodemailer from 'nodemailer';
import type { PreparedEmail } from '../store/email-outbox.js';
import type { Store } from '../store/store.js';
import type { MailConfig } from './mail-config.js';
import { renderEmail, type RenderedEmail } from './render-email.js';

/** Seconds to wait after the 1st, 2nd… temporary failure; after the last, the email fails for good (about 16 hours in all; the first retry is soon, for a blip). */
export const MAIL_BACKOFF_SECONDS = [5, 60, 600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600];

/** What sends one rendered email: nodemailer over SMTP, or anything with the same shape. */
export interface MailTransport {
  sendMail(message: object): Promise<unknown>;
  close(): void;
}

export function smtpTransport(config: MailConfig, concurrency: number, onError: (error: unknown) => void = () => undefined): MailTransport {
  // The URL's query sets the same options; these are the defaults it can override.
  const url = new URL(config.smtpUrl);
  const defaults = { pool: 'true', maxConnections: String(concurrency), connectionTimeout: '10000', greetingTimeout: '10000', socketTimeout: '30000' };
  for (const [name, value] of Object.entries(defaults)) if (!url.searchParams.has(name)) url.searchParams.set(name, value);
  const transport = nodemailer.createTransport(url.toString());
  // A pooled connection that dies between emails reports here, not to a send: it must not crash the process.
  transport.on('error', onError);
  return transport as unknown as MailTransport;
}

/** Whether SMTP refused for good: a 5xx reply. Anything else (4xx, no connection) may pass later. */
export function isPermanent(error: unknown) {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

const describe = (error: unknown) => {
  const e = error as { response?: string; message?: string; code?: string } | null;
  return String(e?.response ?? e?.message ?? e?.code ?? error).slice(0, 500);
};

export function createMailWorker(deps: {
  store: Store;
  now: () => number;
  config: MailConfig;
  replyByEmail: boolean;
  transport?: MailTransport;
  logError?: (message: string, error: unknown) => void;
}) {
  const { concurrency } = deps.config;
  const transport = deps.transport ?? smtpTransport(deps.config, concurrency, (error) => deps.logError?.('closeloop: an SMTP connection failed', error));
  const { store, now, config } = deps;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = false;

  function toNodemailer(mail: RenderedEmail) {
    return {
      from: mail.from,
      to: mail.to,
      ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
      headers: mail.headers,
    };
  }

  /** Sends one prepared email and records the outcome; a refusal is retried later or given up, by its kind. */
  async function sendOne(prepared: PreparedEmail) {
    const emailId = prepared.email.id;
    let mail: RenderedEmail | null = null;
    try {
      mail = renderEmail(prepared, config, { replyByEmail: deps.replyByEmail });
      await transport.sendMail(toNodemailer(mail));
    } catch (error) {
      if (!mail) deps.logError?.(`closeloop: email ${emailId} could not be written`, error);
      const wait = MAIL_BACKOFF_SECONDS[prepared.email.attempts];
      const retryAt = isPermanent(error) || wait === undefined ? null : now() + wait * 1000;
      await store.emails.recordFailure(emailId, now(), describe(error), retryAt);
      return;
    }
    await store.emails.recordSent(emailId, now(), mail.messageId);
  }

  /**
   * Sends every email due now: `concurrency` lanes, each leasing one email at a time, so
   * a slow send holds only its own lane, and after a crash only those few wait out a lease.
   * Resolves with how many were tried.
   */
  async function deliverDue(): Promise<number> {
    const lane = async () => {
      let tried = 0;
      while (!stopped) {
        const prepared = await store.emails.claimNext(now(), config.leaseMs);
        if (!prepared) break;
        tried++;
        await sendOne(prepared).catch((error: unknown) => deps.logError?.(`closeloop: email ${prepared.email.id} could not be sent`, error));
      }
      return tried;
    };
    const counts = await Promise.all(Array.from({ length: concurrency }, lane));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** One round unless one is running: the timer's tick, and what tests call instead of waiting. */
  function pump() {
    running ??= deliverDue().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    pump,
    start(intervalMs: number) {
      if (intervalMs <= 0 || timer) return;
      timer = setInterval(() => void pump().catch((error: unknown) => deps.logError?.('closeloop: the mail worker failed', error)), intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
      transport.close();
    },
  };
}
