import { tracked } from '@trpc/server';
import type { EventRow, Store } from '../store/store.js';
import type { FeedKey, LiveHub } from './live-hub.js';

const PAGE = 200;

const parseEventId = (id: string | null | undefined) => {
  const n = Number(id);
  return id && Number.isSafeInteger(n) && n >= 0 ? n : null;
};

/**
 * A live feed as an async generator: events after `lastEventId` (or from now),
 * read from the events table by id so a reconnect resumes without missing or
 * repeating anything, then new ones as the hub says they arrive.
 */
export async function* follow<T>(opts: {
  store: Store;
  hub: LiveHub;
  key: FeedKey;
  scope: Parameters<Store['eventsAfter']>[2] & object;
  lastEventId: string | null | undefined;
  signal: AbortSignal | undefined;
  toItems: (rows: EventRow[]) => Promise<{ eventId: number; item: T }[]>;
  /** Counts this stream against its holder's cap (throwing past it); returns the release. */
  hold: () => () => void;
}) {
  const { store, hub, scope } = opts;
  const signal = opts.signal ?? new AbortController().signal;
  const release = opts.hold();
  const listener = hub.listen(opts.key);
  try {
    let cursor = parseEventId(opts.lastEventId) ?? (await store.maxEventId());
    while (!signal.aborted) {
      listener.seen();
      const rows = await store.eventsAfter(cursor, PAGE, scope);
      const last = rows[rows.length - 1];
      if (last) cursor = last.id;
      for (const { eventId, item } of await opts.toItems(rows)) yield tracked(String(eventId), item);
      if (rows.length < PAGE) await listener.wait(signal);
    }
  } finally {
    listener.close();
    release();
  }
}
