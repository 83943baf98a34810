/**
 * Every ticket's tally and facts made again from its events, in batches of tickets:
 * all of them (`closeloop metrics rebuild`, to check the live bookkeeping), or only
 * those with none yet (`untracked`: made before this version kept metrics, which a
 * server catches up on by itself when it starts).
 */
import type { Store } from '../store/store.js';

export interface RebuildOptions {
  batchSize?: number;
  untracked?: boolean;
  onBatch?: (done: number) => void;
  /** Asked between batches: true ends the work there (the server is closing). */
  stopped?: () => boolean;
}

export async function rebuildMetrics(store: Store, opts: RebuildOptions = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 200;
  const only = { untracked: opts.untracked ?? false };
  let after: string | null = null;
  let done = 0;
  while (!opts.stopped?.()) {
    const ids = await store.metrics.ticketIdsAfter(after, batchSize, only);
    if (ids.length === 0) break;
    await store.metrics.rebuild(ids, only);
    done += ids.length;
    opts.onBatch?.(done);
    after = ids[ids.length - 1]!;
  }
  return done;
}
