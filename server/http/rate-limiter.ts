import type { RateLimitTake } from '../store/store.js';

export interface RateLimit {
  /** Requests allowed per window and IP address. */
  limit: number;
  windowMs: number;
}

interface CounterStore {
  takeRateLimit(key: string, windowMs: number, now: number): Promise<number>;
}

/**
 * A fixed-window counter per key, kept in the database so that every server of the
 * same database counts together: a client cannot get twice the limit by being
 * balanced across two servers. `name` keeps each limit's counters apart.
 */
export function createRateLimiter(name: string, { limit, windowMs }: RateLimit, store: CounterStore, now: () => number) {
  return {
    /** This request, for a write that counts it in its own transaction (a create: one commit, not two). */
    counted: (key: string): RateLimitTake => ({ key: `${name}:${key}`, limit, windowMs, now: now() }),
    /** Counts one request; false when the key is over its limit. */
    async take(key: string): Promise<boolean> {
      return (await store.takeRateLimit(`${name}:${key}`, windowMs, now())) <= limit;
    },
  };
}
