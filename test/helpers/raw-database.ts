/**
 * A second, independent look at a test server's database, to check what was really
 * stored (or really deleted): plain SQL with `?` placeholders, on SQLite or PostgreSQL.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestServer } from './test-server.js';

export async function rawRows(t: Pick<TestServer, 'database'>, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if ('db' in t.database) {
    const sqlite = new Database(t.database.db, { readonly: true });
    try {
      return sqlite.prepare(text).all(...params) as Record<string, unknown>[];
    } finally {
      sqlite.close();
    }
  }
  const client = new pg.Client({ connectionString: t.database.databaseUrl });
  await client.connect();
  try {
    let n = 0;
    return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows;
  } finally {
    await client.end();
  }
}

/** `select count(*) n …` as a number, on either database. */
export async function rawCount(t: Pick<TestServer, 'database'>, text: string, params: unknown[] = []) {
  return Number((await rawRows(t, text, params))[0]?.n);
}
