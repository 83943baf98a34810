import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';
import { reuseStatements } from './statement-cache.js';

export type Db = ReturnType<typeof drizzle<typeof schema>>;

const migrationsFolder = join(import.meta.dirname, 'migrations');

/**
 * Opens (creating its folder when missing) and migrates a SQLite database.
 * Throws a plain Error with a one-line reason when the file cannot be opened.
 */
export function openDatabase(path: string): { db: Db; sqlite: Database.Database } {
  let sqlite: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    sqlite = reuseStatements(new Database(path));
    // Pragmas through prepare, which keeps its statements (see statement-cache.ts); .pragma() does not.
    sqlite.prepare('PRAGMA journal_mode = WAL').get();
  } catch (error) {
    throw new Error(`cannot open database ${path}: ${(error as Error).message}`);
  }
  sqlite.prepare('PRAGMA synchronous = NORMAL').run();
  sqlite.prepare('PRAGMA foreign_keys = ON').run();
  sqlite.prepare('PRAGMA busy_timeout = 5000').get();
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder });
  return { db, sqlite };
}
