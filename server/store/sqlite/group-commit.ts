import type Database from 'better-sqlite3';

/**
 * Group commit. A small write's cost is mostly its commit: the WAL pages it
 * appends and the checkpoint (with its fsync) those pages eventually trigger.
 * Writes asked for in the same turn of the event loop — the calls of a batched
 * request, or requests that arrived together — share one BEGIN IMMEDIATE …
 * COMMIT. Each runs synchronously in its own savepoint, in the order asked, so
 * a write that throws undoes only itself; callers hear back only after COMMIT.
 */
export function createGroupCommit(sqlite: Database.Database, maxGroup = 64) {
  interface Unit {
    fn: () => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }
  const stmt = {
    begin: sqlite.prepare('BEGIN IMMEDIATE'),
    commit: sqlite.prepare('COMMIT'),
    rollback: sqlite.prepare('ROLLBACK'),
    savepoint: sqlite.prepare('SAVEPOINT unit'),
    release: sqlite.prepare('RELEASE unit'),
    undo: sqlite.prepare('ROLLBACK TO unit'),
  };
  let queue: Unit[] = [];

  /** Runs the units; returns each one's outcome, or throws when the transaction as a whole failed. */
  function runGroup(units: Unit[]) {
    stmt.begin.run();
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      for (const unit of units) {
        stmt.savepoint.run();
        try {
          outcomes.push({ ok: true, value: unit.fn() });
          stmt.release.run();
        } catch (error) {
          // Some SQLite errors end the transaction themselves; then nothing here can be kept.
          if (!sqlite.inTransaction) throw error;
          stmt.undo.run();
          stmt.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      stmt.commit.run();
    } catch (error) {
      if (sqlite.inTransaction) stmt.rollback.run();
      throw error;
    }
    return outcomes;
  }

  function flush() {
    const units = queue.slice(0, maxGroup);
    queue = queue.slice(maxGroup);
    if (queue.length > 0) setImmediate(flush);
    let outcomes;
    try {
      outcomes = runGroup(units);
    } catch (error) {
      for (const unit of units) unit.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => (outcome.ok ? units[i]!.resolve(outcome.value) : units[i]!.reject(outcome.error)));
  }

  /** Runs `fn` inside a write transaction, possibly shared; resolves once it is committed. */
  return function write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    });
  };
}
