import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.js';

export type PgDb = ReturnType<typeof drizzle<typeof schema>>;

const migrationsFolder = join(import.meta.dirname, 'migrations');

export interface PostgresTarget {
  /** The URL to connect with, without Closeloop's own `schema` parameter. */
  connectionString: string;
  /** Where the tables live: the URL's `?schema=`, else `public`. */
  schema: string;
  /** The URL without its password, for logs and messages. */
  safeUrl: string;
}

/** Reads a postgres:// URL; a `?schema=name` puts the tables in that schema (created when missing). */
export function postgresTarget(databaseUrl: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error('the database URL is not a URL (expected postgres://user:password@host:5432/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`the database URL must start with postgres:// (it starts with ${url.protocol}//)`);
  }
  const schemaName = url.searchParams.get('schema') ?? 'public';
  if (!/^[a-z_][a-z0-9_]*$/.test(schemaName)) throw new Error(`schema "${schemaName}" must be lower-case letters, digits and _`);
  // Shown in messages as given (its schema too), but never with the password.
  const safe = new URL(url);
  if (safe.password) safe.password = '***';
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema: schemaName, safeUrl: safe.toString() };
}

/** A pool on the target's schema; connections that fail to connect say why in one line. */
export function openPool(target: PostgresTarget, max: number) {
  return new pg.Pool({
    connectionString: target.connectionString,
    max,
    // Every connection works in the target's schema: the tables keep their plain names.
    options: `-c search_path=${target.schema}`,
  });
}

/** Creates the schema when missing and brings its tables up to date (safe to run from several servers at once). */
export async function migratePostgres(pool: pg.Pool, target: PostgresTarget) {
  const client = await pool.connect();
  try {
    // One server migrates at a time; the others wait and then find nothing to do.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`closeloop-migrate:${target.schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
      await migrate(drizzle(client, { schema }), { migrationsFolder, migrationsSchema: target.schema, migrationsTable: '__drizzle_migrations' });
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`closeloop-migrate:${target.schema}`]);
    }
  } finally {
    client.release();
  }
}

/** Whether a URL names PostgreSQL (the other kind of database Closeloop runs on is a SQLite path). */
export const isPostgresUrl = (value: string) => /^postgres(ql)?:\/\//.test(value);
