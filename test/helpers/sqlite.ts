import Database from 'better-sqlite3';
import type { TestServer } from './test-server.js';

/** A second, read-only look at the server's database file, to check what was really stored. */
export function open(t: TestServer) {
  return { sqlite: new Database(t.store.path, { readonly: true }) };
}
