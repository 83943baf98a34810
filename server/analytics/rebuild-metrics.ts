/**
 * `closeloop metrics rebuild`: every ticket's tally and facts made again from its
 * events (after an upgrade, or to check the live bookkeeping), in batches of tickets.
 */
import type { Store } from '../store/store.js';
import { storedEvent } from '../store/metric-writes.js';
import { slaPolicy } from './sla-settings.js';
import { replay } from './ticket-tracking.js';

export async function rebuildMetrics(store: Store, opts: { batchSize?: number; onBatch?: (done: number) => void } = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 200;
  let after: string | null = null;
  let done = 0;
  for (;;) {
    const ids = await store.metrics.ticketIdsAfter(after, batchSize);
    if (ids.length === 0) return done;
    await store.metrics.rebuild(ids, (ticket, site, events) => replay(ticket.createdAt, events.map(storedEvent), slaPolicy(site.sla)));
    done += ids.length;
    opts.onBatch?.(done);
    after = ids[ids.length - 1]!;
  }
}
