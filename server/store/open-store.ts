import { createPostgresStore } from './postgres/postgres-store.js';
import { isPostgresUrl } from './postgres/open-postgres.js';
import { createSqliteStore, type StoreOptions } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export const DEFAULT_SQLITE_PATH = './data/closeloop.db';

/** Where the data lives, as an operator gives it: a SQLite file, or a PostgreSQL URL; never both. */
export interface StoreLocation {
  /** A SQLite file path (`--db`, CLOSELOOP_DB). */
  db?: string | undefined;
  /** A postgres:// URL (`--database-url`, CLOSELOOP_DATABASE_URL). */
  databaseUrl?: string | undefined;
}

/** Reads the location from flags first, then the environment; both kinds at once is an error naming both. */
export function storeLocation(flags: StoreLocation, env: NodeJS.ProcessEnv = process.env): { db: string } | { databaseUrl: string } {
  const db = flags.db || env.CLOSELOOP_DB || undefined;
  const databaseUrl = flags.databaseUrl || env.CLOSELOOP_DATABASE_URL || undefined;
  if (db && databaseUrl) {
    const dbFrom = flags.db ? '--db' : 'CLOSELOOP_DB';
    const urlFrom = flags.databaseUrl ? '--database-url' : 'CLOSELOOP_DATABASE_URL';
    throw new Error(`choose one database: ${dbFrom} (SQLite) and ${urlFrom} (PostgreSQL) are both set`);
  }
  if (databaseUrl) {
    if (!isPostgresUrl(databaseUrl)) throw new Error(`${flags.databaseUrl ? '--database-url' : 'CLOSELOOP_DATABASE_URL'} must be a postgres:// URL`);
    return { databaseUrl };
  }
  return { db: db ?? DEFAULT_SQLITE_PATH };
}

/** Opens the store for a location (creating and migrating its tables when missing). */
export function openStore(location: { db: string } | { databaseUrl: string }, options: StoreOptions = {}): Store {
  return 'databaseUrl' in location ? createPostgresStore(location.databaseUrl) : createSqliteStore(location.db, options);
}
