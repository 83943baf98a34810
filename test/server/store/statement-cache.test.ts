/**
 * The SQLite connection hands back one statement per SQL text (none is left for the garbage
 * collector, which can abort Node 24 inside better-sqlite3 12), and a reused one behaves as new.
 */
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { reuseStatements } from '../../../server/store/sqlite/statement-cache.js';

it('reuses a statement for the same SQL, and a reused one returns rows as objects again after raw use', () => {
  const sqlite = reuseStatements(new Database(':memory:'));
  sqlite.prepare('create table t (a integer, b text)').run();
  sqlite.prepare('insert into t values (1, ?)').run('x');
  const first = sqlite.prepare('select a, b from t');
  expect(first.raw().all()).toEqual([[1, 'x']]);
  const again = sqlite.prepare('select a, b from t');
  expect(again).toBe(first);
  expect(again.all()).toEqual([{ a: 1, b: 'x' }]);
  expect(sqlite.prepare('select b from t')).not.toBe(first);
  sqlite.close();
});
