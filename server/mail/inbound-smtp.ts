/**
 * Replies by email. An SMTP listener that accepts mail only for the reply
 * addresses notifications carry (`reply+<token>@<reply domain>`), keeps only the
 * new text (quoted history and signatures go, by email-reply-parser), and makes
 * it the customer's reply on the ticket: the lifecycle decides what it does,
 * exactly as for a reply in the widget. Everything else is refused during the
 * SMTP conversation with a 5xx, so the sender learns at once.
 */
import type { AddressInfo } from 'node:net';
import EmailReplyParser from 'email-reply-parser';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { DomainError } from '../lifecycle/errors.js';
import type { Store } from '../store/store.js';
import { decider } from '../tickets/act.js';

export const MAX_INBOUND_BYTES = 10 * 1024 * 1024;

/** An SMTP refusal with its reply code. */
const refuse = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/** The token of a reply address on our domain, or null. */
export function replyToken(address: string, replyDomain: string): string | null {
  const match = /^reply\+([0-9a-f]{48})@(.+)$/i.exec(address.trim());
  return match && match[2]!.toLowerCase() === replyDomain ? match[1]!.toLowerCase() : null;
}

/** The new text of a reply: the visible part, without the quoted email below it or a signature. */
export function newTextOf(text: string) {
  // The parser knows the quote headers of many languages, not all (Estonian's "… kirjutas:"):
  // a line ending in a colon that quoted lines follow is one too, so the text is cut there first.
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const header = lines.findIndex((line, i) => /:\s*$/.test(line) && /^\s*>/.test(lines.slice(i + 1).find((next) => next.trim() !== '') ?? ''));
  const kept = header === -1 ? lines : lines.slice(0, header);
  return new EmailReplyParser().parseReply(kept.join('\n')).trim();
}

export interface InboundOptions {
  store: Store;
  now: () => number;
  replyDomain: string;
  port: number;
  host?: string | undefined;
  /** Tells live widgets that a ticket changed. */
  changed: () => void;
  logError?: ((message: string, error: unknown) => void) | undefined;
}

export async function startInboundSmtp(options: InboundOptions) {
  const { store, now, replyDomain } = options;

  async function onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error) => void) {
    const token = replyToken(address.address, replyDomain);
    if (!token) return callback(refuse(550, 'No such recipient: this server takes replies to support emails only'));
    const target = await store.emails.replyTarget(token, now()).catch(() => null);
    if (!target) return callback(refuse(550, 'This reply address is unknown or no longer valid'));
    callback();
  }

  async function deliver(raw: Buffer, session: SMTPServerSession) {
    const mail = await simpleParser(raw);
    // Out-of-office and other automatic answers must not reopen a ticket (RFC 3834).
    const auto = String(mail.headers.get('auto-submitted') ?? 'no').toLowerCase();
    if (auto !== 'no') return;
    const text = newTextOf(mail.text ?? '');
    if (!text) throw refuse(550, 'The reply has no new text (only quoted history)');
    for (const rcpt of session.envelope.rcptTo) {
      const token = replyToken(rcpt.address, replyDomain);
      if (!token) continue;
      const at = now();
      const used = await store.emails.useLink(token, at, (link) => ({
        kind: 'ticket',
        decide: decider({ action: 'reply', body: text.slice(0, 20_000) }, { kind: 'customer', id: link.ticket?.customerId ?? null }, at),
      }));
      if (!used.ok) throw refuse(550, 'This reply address is unknown or no longer valid');
    }
    options.changed();
  }

  function onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      if (!stream.sizeExceeded) chunks.push(chunk);
    });
    stream.on('end', () => {
      if (stream.sizeExceeded) return callback(refuse(552, `Message too large: at most ${MAX_INBOUND_BYTES} bytes`));
      deliver(Buffer.concat(chunks), session).then(
        () => callback(),
        (error: unknown) => {
          if (error instanceof DomainError) return callback(refuse(550, error.message));
          if ((error as { responseCode?: number }).responseCode) return callback(error as Error);
          options.logError?.('closeloop: an emailed reply could not be saved', error);
          callback(refuse(451, 'Temporary failure; please try again later'));
        },
      );
    });
  }

  const server = new SMTPServer({
    name: replyDomain,
    banner: 'Closeloop replies',
    size: MAX_INBOUND_BYTES,
    authOptional: true,
    disabledCommands: ['AUTH'],
    logger: false,
    onRcptTo: (address, session, callback) => void onRcptTo(address, session, callback),
    onData,
  });
  server.on('error', (error) => options.logError?.('closeloop: inbound SMTP', error));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
