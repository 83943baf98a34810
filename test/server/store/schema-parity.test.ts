/**
 * The SQLite and PostgreSQL schemas describe one database: the same tables,
 * columns (in each database's type for the same kind of value), keys, indexes
 * and references. A column added to one and not the other fails here. One
 * exception: PostgreSQL's `seq` columns are SQLite's implicit rowid (the order rows
 * were written in), which SQLite has without declaring it.
 */
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pg from '../../../server/store/postgres/schema.js';
import * as sqlite from '../../../server/store/sqlite/schema.js';

/** The kind of value a column holds, whichever database stores it. */
const KIND: Record<string, string> = {
  SQLiteText: 'text',
  PgText: 'text',
  SQLiteTextJson: 'json',
  PgJsonb: 'json',
  SQLiteBoolean: 'boolean',
  PgBoolean: 'boolean',
  SQLiteInteger: 'integer',
  PgBigInt53: 'integer',
  PgBigSerial53: 'integer',
  PgInteger: 'integer',
  SQLiteReal: 'real',
  SQLiteBlobBuffer: 'bytes',
  PgCustomColumn: 'bytes',
  PgDoublePrecision: 'real',
};

type Config = ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>;

/** A table as a plain description, the same shape for both databases. */
function describeTable(config: Config) {
  return {
    name: config.name,
    columns: Object.fromEntries(
      config.columns.filter((c) => !(c.name === 'seq' && c.columnType === 'PgBigSerial53')).map((c) => [
        c.name,
        {
          kind: KIND[c.columnType] ?? `unmapped ${c.columnType}`,
          notNull: c.notNull,
          primary: c.primary,
          unique: c.isUnique,
          // A generated id (SQLite's autoincrement, PostgreSQL's bigserial) is made by the database either way.
          hasDefault: c.hasDefault || c.columnType === 'PgBigSerial53',
        },
      ]),
    ),
    primaryKeys: config.primaryKeys.map((k) => k.columns.map((c) => c.name)),
    indexes: Object.fromEntries(
      config.indexes.map((i) => [i.config.name, { unique: i.config.unique, columns: i.config.columns.map((c) => ('name' in c ? c.name : '?')) }]),
    ),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return `${ref.columns.map((c) => c.name).join(',')} -> ${(ref.foreignTable as unknown as { [k: symbol]: string })[Symbol.for('drizzle:Name')]}(${ref.foreignColumns.map((c) => c.name).join(',')}) on delete ${fk.onDelete ?? 'no action'}`;
      })
      .sort(),
  };
}

const tables = <T>(module: Record<string, unknown>, type: abstract new (...args: never[]) => T) =>
  Object.values(module).filter((value): value is T => value instanceof type);

describe('the two schemas', () => {
  const sqliteTables = tables(sqlite, SQLiteTable).map((t) => describeTable(sqliteConfig(t)));
  const pgTables = tables(pg, PgTable).map((t) => describeTable(pgConfig(t)));

  it('have the same tables', () => {
    expect(pgTables.map((t) => t.name).sort()).toEqual(sqliteTables.map((t) => t.name).sort());
    expect(sqliteTables.length).toBeGreaterThanOrEqual(17);
  });

  it('describe every table alike: columns and their kinds, keys, indexes and references', () => {
    for (const table of sqliteTables) {
      const other = pgTables.find((t) => t.name === table.name);
      expect(other, table.name).toEqual(table);
    }
  });
});
