import { bodyHash } from '../store/ids.js';
import type { Idempotency } from '../store/store.js';
import type { AppDeps } from './context.js';

/** Default life of an idempotency key: a day covers any client's retries, and the table stays small. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** The configured life: CLOSELOOP_IDEMPOTENCY_TTL_HOURS, else a day. */
export function idempotencyTtlFromEnv(): number {
  const hours = Number(process.env.CLOSELOOP_IDEMPOTENCY_TTL_HOURS);
  return process.env.CLOSELOOP_IDEMPOTENCY_TTL_HOURS && hours > 0 ? hours * 3_600_000 : DEFAULT_IDEMPOTENCY_TTL_MS;
}

/** A create's idempotency record: who (scope), which key, and the body it promised; keys older than the TTL count as new. */
export function idempotency(app: AppDeps, scope: string, key: string | undefined, body: unknown, at: number): Idempotency | undefined {
  return key ? { scope, key, bodyHash: bodyHash(body), notBefore: at - app.idempotencyTtlMs } : undefined;
}

/** The ticket a retried create already made, looked up before any rate limit: a retry is never refused for the attempt before it. */
export const replayed = async (app: AppDeps, idem: Idempotency | undefined) => (idem ? app.store.idempotentTicket(idem) : null);
