import { and, eq, lt, or, type Column } from 'drizzle-orm';

/**
 * Which attachment rows the sweeper removes (the same in both databases): doomed ones
 * (their ticket was purged), uploads never finished since `staleBefore`, and uploads
 * nobody used since `unusedBefore`.
 */
export const dueForDeletion = (t: { state: Column; createdAt: Column }, cutoffs: { staleBefore: number; unusedBefore: number }) =>
  or(
    eq(t.state, 'doomed'),
    and(eq(t.state, 'uploading'), lt(t.createdAt, cutoffs.staleBefore)),
    and(eq(t.state, 'pending'), lt(t.createdAt, cutoffs.unusedBefore)),
  );
