// Runs SQLite's WAL checkpoints on a thread of their own (see checkpointer.ts):
// a PASSIVE checkpoint from a second connection never blocks the writer, and
// its fsync no longer stalls requests. Plain JS: worker threads load files as they are.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
// One statement for the life of the thread: a collected one can abort Node 24 (see statement-cache.ts).
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

function checkpoint() {
  try {
    passive.get();
  } catch {
    // Busy or briefly locked: the next tick tries again, and the writer's own autocheckpoint is the backstop.
  }
}

const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
