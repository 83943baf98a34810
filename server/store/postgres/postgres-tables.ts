import { count, getTableColumns, getTableName, is, sql, type SQL } from 'drizzle-orm';
import { getTableConfig, PgTable, type PgColumn } from 'drizzle-orm/pg-core';
import type { TableAccess, TableName, TableRow } from '../store.js';
import type { Q } from './postgres-store.js';
import * as schema from './schema.js';

const byName = new Map<string, PgTable>(
  (Object.values(schema) as unknown[])
    .filter((value): value is PgTable => is(value, PgTable))
    .map((table) => [getTableName(table), table]),
);

const tableOf = (name: TableName) => {
  const table = byName.get(name);
  if (!table) throw new Error(`no table ${name}`);
  return table;
};

/** The columns that order a table's rows as they were written: `seq` where there is one, else the primary key. */
function orderOf(table: PgTable): PgColumn[] {
  const columns = getTableColumns(table);
  if ('seq' in columns) return [columns.seq!];
  const config = getTableConfig(table);
  const composite = config.primaryKeys[0]?.columns;
  return composite ?? Object.values(columns).filter((c) => c.primary);
}

/** Leaves out `seq`: it only orders rows, and the store that receives them numbers them anew. */
const withoutSeq = ({ seq: _seq, ...row }: TableRow) => row;

/** The columns a copy writes: all but `seq`. */
const written = (table: PgTable) => Object.fromEntries(Object.entries(getTableColumns(table)).filter(([key]) => key !== 'seq'));

export function postgresTables(transaction: <T>(fn: (q: Q) => Promise<T>) => Promise<T>, read: <T>(fn: (q: Q) => Promise<T>) => Promise<T>): TableAccess {
  return {
    count: (name) => read(async (q) => (await q.select({ n: count() }).from(tableOf(name)))[0]?.n ?? 0),

    read: (name, cursor, limit) =>
      read(async (q) => {
        const table = tableOf(name);
        const order = orderOf(table);
        const key = sql.join(order, sql`, `);
        const after: SQL | undefined = Array.isArray(cursor) ? sql`(${key}) > (${sql.join(cursor.map((v) => sql`${v}`), sql`, `)})` : undefined;
        const rows = (await q.select(getTableColumns(table)).from(table).where(after).orderBy(...order).limit(limit)) as TableRow[];
        const last = rows[rows.length - 1];
        const fields = order.map((column) => Object.entries(getTableColumns(table)).find(([, c]) => c.name === column.name)![0]);
        return { rows: rows.map(withoutSeq), next: rows.length === limit && last ? fields.map((f) => last[f]) : null };
      }),

    write: async (name, rows) => {
      if (rows.length === 0) return;
      const table = tableOf(name);
      const columns = Object.entries(written(table));
      const names = sql.join(columns.map(([, c]) => sql.identifier(c.name)), sql`, `);
      // One JSON parameter for the whole batch, spread into rows by PostgreSQL: many times faster than a
      // parameter per value, and JSON is already each value's shape (numbers, booleans, objects for jsonb).
      // File bytes go as bytea's hex text ('\\x…'), which json_populate_recordset reads back as the bytes.
      const value = (v: unknown) => (Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : (v ?? null));
      const json = JSON.stringify(rows.map((row) => Object.fromEntries(columns.map(([key, c]) => [c.name, value(row[key])]))));
      await transaction((q) => q.execute(sql`INSERT INTO ${table} (${names}) SELECT ${names} FROM json_populate_recordset(NULL::${table}, ${json}::json)`));
    },

    finishCopy: () =>
      transaction(async (q) => {
        // Copied rows carry their ids: the generated ones continue after them.
        for (const [table, column] of [['events', 'id'], ['purge_records', 'id'], ['webhook_attempts', 'id'], ['metric_facts', 'id']] as const) {
          await q.execute(sql`SELECT setval(pg_get_serial_sequence(${table}, ${column}), GREATEST((SELECT max(${sql.identifier(column)}) FROM ${sql.identifier(table)}), 1))`);
        }
      }),
  };
}
