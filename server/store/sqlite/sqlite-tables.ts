import type Database from 'better-sqlite3';
import { count, getTableColumns, getTableName, is, gt, sql } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { TableAccess, TableName } from '../store.js';
import type { Db } from './open-database.js';
import * as schema from './schema.js';

const byName = new Map<string, SQLiteTable>(
  (Object.values(schema) as unknown[])
    .filter((value): value is SQLiteTable => is(value, SQLiteTable))
    .map((table) => [getTableName(table), table]),
);

const tableOf = (name: TableName) => {
  const table = byName.get(name);
  if (!table) throw new Error(`no table ${name}`);
  return table;
};

/** Whole tables in rowid order: the order rows were written in, which is also the outboxes' order. */
export function sqliteTables(db: Db, sqlite: Database.Database, immediate: <T>(fn: () => T) => Promise<T>): TableAccess {
  const inserts = new Map<string, Database.Statement>();
  return {
    count: async (name) => db.select({ n: count() }).from(tableOf(name)).get()?.n ?? 0,

    read: async (name, cursor, limit) => {
      const table = tableOf(name);
      const rowid = sql<number>`${table}.rowid`;
      const page = db
        .select({ row: getTableColumns(table), rowid })
        .from(table)
        .where(gt(rowid, typeof cursor === 'number' ? cursor : 0))
        .orderBy(rowid)
        .limit(limit)
        .all();
      const last = page[page.length - 1];
      return { rows: page.map((p) => p.row), next: page.length === limit && last ? last.rowid : null };
    },

    write: async (name, rows) => {
      if (rows.length === 0) return;
      const columns = Object.entries(getTableColumns(tableOf(name)));
      // One prepared statement run per row (each value through its column's own mapping, JSON and
      // booleans included): far faster than building one statement for thousands of rows.
      let insert = inserts.get(name);
      if (!insert) {
        insert = sqlite.prepare(`INSERT INTO "${name}" (${columns.map(([, c]) => `"${c.name}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
        inserts.set(name, insert);
      }
      const statement = insert;
      await immediate(() => {
        for (const row of rows) statement.run(columns.map(([key, c]) => (row[key] === null || row[key] === undefined ? null : c.mapToDriverValue(row[key]))));
      });
    },

    // AUTOINCREMENT continues after the largest id by itself.
    finishCopy: async () => {},
  };
}
