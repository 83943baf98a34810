/**
 * A second, independent look at a test server's database, to check what was really
 * stored (or really deleted): plain SQL with `?` placeholders, on SQLite or PostgreSQL.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { TestServer } from './test-server.js';

export const rawRows = (t: Pick<TestServer, 'database'>, text: string, params: unknown[] = []) => raw(t, text, params, false);

/** Runs one writing statement behind the server's back (to make the database look as an older version left it). */
export const rawRun = async (t: Pick<TestServer, 'database'>, text: string, params: unknown[] = []) => void (await raw(t, text, params, true));

/** `select count(*) n …` as a number, on either database. */
export async function rawCount(t: Pick<TestServer, 'database'>, text: string, params: unknown[] = []) {
  return Number((await rawRows(t, text, params))[0]?.n);
}

async function raw(t: Pick<TestServer, 'database'>, text: string, params: unknown[], write: boolean): Promise<Record<string, unknown>[]> {
  if ('db' in t.database) {
    const sqlite = new Database(t.database.db, { readonly: !write });
    try {
      const statement = sqlite.prepare(text);
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      statement.run(...params);
      return [];
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
