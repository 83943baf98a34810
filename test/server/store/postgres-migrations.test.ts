/**
 * The PostgreSQL migrations, applied to a real PostgreSQL, make exactly the tables,
 * columns, types, nullability and indexes the PostgreSQL schema describes (and
 * schema-parity.test.ts holds that schema to the SQLite one).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../../server/store/postgres/schema.js';
import { freshPostgresDatabase, SKIP_POSTGRES } from '../../helpers/postgres.js';

const MIGRATIONS = join(import.meta.dirname, '../../../server/store/postgres/migrations');

describe('the PostgreSQL migration files', () => {
  it('name no schema, so that ?schema= puts every table and foreign key in its own (drizzle-kit writes "public". into foreign keys; npm run db:generate strips it)', () => {
    for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql'))) {
      expect(readFileSync(join(MIGRATIONS, file), 'utf8'), file).not.toMatch(/"public"\./);
    }
  });
});

describe.skipIf(SKIP_POSTGRES)('the PostgreSQL migrations on a real PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    await migrate(drizzle(pool), { migrationsFolder: MIGRATIONS });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => value instanceof PgTable).map((t) => getTableConfig(t));

  it('make every table with every column, in its type and nullability', async () => {
    const { rows } = await pool.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const actual = rows.map((r) => `${r.table_name}.${r.column_name} ${r.data_type} ${r.is_nullable === 'NO' ? 'not null' : 'null'}`).sort();
    const expected = tables
      .flatMap((t) => t.columns.map((c) => `${t.name}.${c.name} ${c.getSQLType().replace(/^bigserial$/, 'bigint')} ${c.notNull ? 'not null' : 'null'}`))
      .sort();
    expect(actual).toEqual(expected);
  });

  it('make every index the schema names', async () => {
    const { rows } = await pool.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`);
    const names = new Set(rows.map((r) => r.indexname));
    for (const table of tables) for (const index of table.indexes) expect(names, `${table.name}: ${index.config.name}`).toContain(index.config.name);
  });

  it('hand out event ids that only grow', async () => {
    await pool.query(`INSERT INTO sites (id, name, site_key, secret_key, secret_key_hash, origins, created_at) VALUES ('s', 'S', 'pk', 'sk', 'h', '[]', 1)`);
    await pool.query(`INSERT INTO customers (id, site_id, created_at) VALUES ('c', 's', 1)`);
    await pool.query(`INSERT INTO tickets (id, site_id, customer_id, subject, status, version, created_at, updated_at, last_event_at, last_activity_at) VALUES ('t', 's', 'c', 'x', 'new', 1, 1, 1, 1, 1)`);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { rows } = await pool.query<{ id: string }>(`INSERT INTO events (ticket_id, site_id, customer_id, type, to_status, actor_kind, at) VALUES ('t', 's', 'c', 'created', 'new', 'customer', 1) RETURNING id`);
      ids.push(Number(rows[0]!.id));
    }
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
  });
});
