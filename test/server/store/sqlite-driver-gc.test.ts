/**
 * The installed SQLite driver survives the garbage collector. better-sqlite3 12 compiled
 * against the headers of Node 24.19 or later aborts the whole process when a statement or
 * a connection nobody holds is finalized (nodejs/node#65446): the store keeps its own
 * statements (statement-cache.ts), but a driver built that way would still take a server
 * down one day. A separate process, because the failure is an abort, not an exception.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

const script = `
const Database = require(${JSON.stringify(driver)});
const db = new Database(':memory:');
db.prepare('create table t (a integer)').run();
for (let i = 0; i < 20000; i++) db.prepare('insert into t values (' + i + ')').run();
for (let i = 0; i < 50; i++) new Database(':memory:').prepare('select 1').get();
// Left to the collector's own timing (--expose-gc changes it, and hid the abort).
setTimeout(() => console.log(db.prepare('select count(*) n from t').get().n), 50);
`;

it('lets the garbage collector finalize unreferenced statements and connections without aborting the process', () => {
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect({ status: child.status, signal: child.signal, stderr: child.stderr.split('\n').slice(0, 3).join('\n'), out: child.stdout.trim() }).toEqual({
    status: 0,
    signal: null,
    stderr: '',
    out: '20000',
  });
});
