import type { IncomingHttpHeaders } from 'node:http';
import type { AttachmentStorages } from '../attachments/attachment-storages.js';
import type { LiveHub } from '../live/live-hub.js';
import type { createStreamTickets } from '../live/stream-tickets.js';
import type { createRateLimiter } from '../http/rate-limiter.js';
import type { MailConfig } from '../mail/mail-config.js';
import type { Store } from '../store/store.js';
import type { createDeliverer } from '../webhooks/deliverer.js';

/** What every procedure can reach: built once per server. */
export interface AppDeps {
  store: Store;
  now: () => number;
  hub: LiveHub;
  webhooks: ReturnType<typeof createDeliverer>;
  streamTickets: ReturnType<typeof createStreamTickets>;
  /** Email to customers; null when no SMTP server is configured. */
  mail: { config: MailConfig } | null;
  /** Where attachments' bytes are kept. */
  files: AttachmentStorages;
  /** How long a create's idempotency key is honoured (and kept). */
  idempotencyTtlMs: number;
  limits: {
    anonymousSessions: ReturnType<typeof createRateLimiter>;
    ticketCreates: ReturnType<typeof createRateLimiter>;
  };
}

/** Built per request by the HTTP layer (or by hand in tests, for createCaller). */
export interface Context {
  app: AppDeps;
  headers: IncomingHttpHeaders;
  ip: string;
  /** The API's public address as this request reached it (for links in answers, such as attachments'); no trailing slash. */
  publicUrl?: string | undefined;
  connectionParams: Record<string, string | undefined> | null;
}
