import { getTableColumns, type Table } from 'drizzle-orm';

/** A row as PostgreSQL's `json_agg` writes it: keyed by column name. */
export type JsonRow = Record<string, unknown>;

/**
 * Rows read as JSON, renamed to the schema's fields. Every column type the schema
 * uses (text, boolean, bigint as number, jsonb) already has its JS shape in JSON.
 */
export function fromJsonRows<T extends Table>(table: T, rows: JsonRow[]): T['$inferSelect'][] {
  const columns = Object.entries(getTableColumns(table)).map(([field, column]) => [field, column.name] as const);
  return rows.map((row) => Object.fromEntries(columns.map(([field, name]) => [field, row[name] ?? null])) as T['$inferSelect']);
}
