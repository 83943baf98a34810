import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * Moves WAL checkpoints off the request path. By default SQLite checkpoints
 * inside the commit that crosses 1000 WAL pages: that request (and every one
 * queued behind it) waits for pages to be copied and fsynced — the bench's p99.
 * A worker thread checkpoints every `intervalMs` instead; the writer keeps a
 * larger autocheckpoint (4000 pages) as a backstop, should the worker fall behind.
 */
export function startCheckpointer(sqlite: Database.Database, path: string, intervalMs: number) {
  const worker = new Worker(join(import.meta.dirname, 'checkpoint-worker.js'), { workerData: { path, intervalMs } });
  worker.unref();
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  sqlite.prepare('PRAGMA wal_autocheckpoint = 4000').get();
  let stopped = false;
  worker.on('error', () => {
    // A checkpointer that failed hands checkpoints back to the writer.
    if (!stopped) sqlite.prepare('PRAGMA wal_autocheckpoint = 1000').get();
  });
  return {
    /** Stops the worker; call before closing the database (whose close checkpoints what is left). */
    async stop() {
      if (stopped) return;
      stopped = true;
      worker.ref(); // keeps the process alive until the worker has closed its connection
      worker.postMessage('close');
      await exited;
    },
  };
}
