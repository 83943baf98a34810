/** Outgoing and incoming mail settings: `createServer` options first, then the environment. */
export interface MailOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`; without it nothing is sent. */
  smtpUrl?: string | undefined;
  /** The From address, `support@shop.example` or `Shop <support@shop.example>`. */
  from?: string | undefined;
  /** The base of every link in an email, e.g. `https://support.shop.example`. */
  publicUrl?: string | undefined;
  /** The domain of reply addresses (`reply+<token>@domain`); by default the From address's. */
  replyDomain?: string | undefined;
  /** How often the outbox is sent. Default 1000 ms. */
  intervalMs?: number | undefined;
  /** How long a worker holds an email it is sending before another may try it. Default 60 s (above SMTP's timeouts). */
  leaseMs?: number | undefined;
  /** SMTP connections (and emails in flight) per server. Default 4. */
  concurrency?: number | undefined;
  /** Receipts an address nobody has proven may get per site and hour. Default 3. */
  unprovenPerHour?: number | undefined;
  /** Emails any address may get per site and hour. Default 20. */
  perAddressPerHour?: number | undefined;
  /** Run the inbound SMTP listener for replies on this port (0: any free port). */
  inboundPort?: number | undefined;
  /** The inbound listener's address. Default 0.0.0.0 for `serve`, 127.0.0.1 in tests. */
  inboundHost?: string | undefined;
}

export interface MailConfig {
  smtpUrl: string;
  from: string;
  publicUrl: string;
  replyDomain: string;
  intervalMs: number;
  leaseMs: number;
  concurrency: number;
  limits: MailLimits;
}

export interface MailLimits {
  unprovenPerHour: number;
  perAddressPerHour: number;
}

export const DEFAULT_MAIL_LIMITS: MailLimits = { unprovenPerHour: 3, perAddressPerHour: 20 };

const number = (value: string | undefined) => (value === undefined || value === '' ? undefined : Number(value));

/** The address part of a From header: `Shop <a@b>` → `a@b`. */
export const addressOf = (from: string) => /<([^>]+)>\s*$/.exec(from)?.[1] ?? from.trim();

/** The complete mail settings, or null when outgoing mail is not configured (nothing is then sent). */
export function mailConfig(options: MailOptions = {}, env: NodeJS.ProcessEnv = process.env): MailConfig | null {
  const smtpUrl = options.smtpUrl ?? env.CLOSELOOP_SMTP_URL;
  if (!smtpUrl) return null;
  const from = options.from ?? env.CLOSELOOP_MAIL_FROM;
  const publicUrl = options.publicUrl ?? env.CLOSELOOP_PUBLIC_URL;
  if (!from) throw new Error('CLOSELOOP_MAIL_FROM is required with CLOSELOOP_SMTP_URL: the address emails come from');
  if (!publicUrl || !/^https?:\/\//.test(publicUrl)) {
    throw new Error('CLOSELOOP_PUBLIC_URL is required with CLOSELOOP_SMTP_URL: the http(s) address links in emails start with');
  }
  const replyDomain = options.replyDomain ?? env.CLOSELOOP_REPLY_DOMAIN ?? addressOf(from).split('@')[1];
  if (!replyDomain) throw new Error('CLOSELOOP_MAIL_FROM has no domain; set CLOSELOOP_REPLY_DOMAIN');
  return {
    smtpUrl,
    from,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    replyDomain: replyDomain.toLowerCase(),
    intervalMs: options.intervalMs ?? number(env.CLOSELOOP_MAIL_INTERVAL_MS) ?? 1000,
    leaseMs: options.leaseMs ?? number(env.CLOSELOOP_MAIL_LEASE_MS) ?? 60_000,
    concurrency: options.concurrency ?? number(env.CLOSELOOP_MAIL_CONCURRENCY) ?? 4,
    limits: {
      unprovenPerHour: options.unprovenPerHour ?? number(env.CLOSELOOP_MAIL_UNPROVEN_PER_HOUR) ?? DEFAULT_MAIL_LIMITS.unprovenPerHour,
      perAddressPerHour: options.perAddressPerHour ?? number(env.CLOSELOOP_MAIL_PER_ADDRESS_PER_HOUR) ?? DEFAULT_MAIL_LIMITS.perAddressPerHour,
    },
  };
}
