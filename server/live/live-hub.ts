import type { Store } from '../store/store.js';

export type FeedKey = `customer:${string}` | `site:${string}`;

interface Listener {
  dirty: boolean;
  wake: (() => void) | null;
}

const BATCH = 1000;

/**
 * Tells live subscribers that their feed has something new. It tails the
 * events table by id, so changes made by another process (a cron `closeloop
 * sweep`) reach subscribers too; each subscriber then reads its own feed from
 * its own cursor, which is what makes a resumed stream miss and repeat nothing.
 */
export function createLiveHub(store: Store, pollMs: number) {
  const listeners = new Map<FeedKey, Set<Listener>>();
  let cursor: number | null = null;
  let running = false;
  let rerun = false;
  let timer: NodeJS.Timeout | null = null;

  function notify(key: FeedKey) {
    for (const l of listeners.get(key) ?? []) {
      l.dirty = true;
      l.wake?.();
    }
  }

  async function dispatch() {
    if (running) {
      rerun = true;
      return;
    }
    running = true;
    try {
      do {
        rerun = false;
        if (cursor === null) {
          // Starting (again): whatever triggered this may already be below the max, so wake
          // everyone once; each subscriber reads from its own cursor, so a spare wake costs one query.
          cursor = await store.maxEventId();
          for (const key of listeners.keys()) notify(key);
        }
        const rows = await store.eventsAfter(cursor, BATCH);
        for (const row of rows) {
          cursor = row.id;
          notify(`customer:${row.customerId}`);
          notify(`site:${row.siteId}`);
        }
        if (rows.length === BATCH) rerun = true;
      } while (rerun && listeners.size > 0);
    } finally {
      running = false;
    }
  }

  const changed = () => {
    if (listeners.size > 0) void dispatch().catch(() => undefined);
  };

  function listen(key: FeedKey) {
    if (listeners.size === 0) {
      cursor = null;
      timer = setInterval(changed, pollMs);
      timer.unref();
    }
    const listener: Listener = { dirty: true, wake: null };
    let set = listeners.get(key);
    if (!set) listeners.set(key, (set = new Set()));
    set.add(listener);

    return {
      /** Marks everything so far as seen; call before reading the feed. */
      seen() {
        listener.dirty = false;
      },
      /** Resolves when the feed may have something new, or the signal aborts. */
      wait(signal: AbortSignal) {
        if (listener.dirty || signal.aborted) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const done = () => {
            listener.wake = null;
            signal.removeEventListener('abort', done);
            resolve();
          };
          listener.wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
      },
      close() {
        set.delete(listener);
        if (set.size === 0) listeners.delete(key);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
        }
      },
    };
  }

  return {
    changed,
    listen,
    get listenerCount() {
      let n = 0;
      for (const set of listeners.values()) n += set.size;
      return n;
    },
    close() {
      if (timer) clearInterval(timer);
      timer = null;
      listeners.clear();
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
