export interface RateLimit {
  /** Requests allowed per window and IP address. */
  limit: number;
  windowMs: number;
}

/** A fixed-window counter per key, in memory: enough for one process. */
export function createRateLimiter({ limit, windowMs }: RateLimit, now: () => number) {
  const windows = new Map<string, { count: number; resetAt: number }>();

  function forgetExpired(at: number) {
    for (const [key, w] of windows) if (w.resetAt <= at) windows.delete(key);
  }

  return {
    /** Counts one request; false when the key is over its limit. */
    take(key: string): boolean {
      const at = now();
      if (windows.size > 10_000) forgetExpired(at);
      const w = windows.get(key);
      if (!w || w.resetAt <= at) {
        windows.set(key, { count: 1, resetAt: at + windowMs });
        return limit >= 1;
      }
      w.count += 1;
      return w.count <= limit;
    },
  };
}
