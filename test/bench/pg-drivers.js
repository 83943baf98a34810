// Which PostgreSQL driver for the PostgreSQL store: `pg` (node-postgres) or `postgres`
// (postgres.js), both through drizzle, doing what the store does most: a create (three
// inserts in a transaction), a change (SELECT … FOR UPDATE, an update and two inserts
// in a transaction) and a read (a ticket with its messages and events). Same SQL, same
// pool size, same database; each driver gets a fresh database migrated from
// server/store/postgres/migrations.
//
//   CLOSELOOP_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node test/bench/pg-drivers.js [--quick]
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { and, asc, eq, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzleJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import postgres from 'postgres';
import * as schema from '../../dist/server/store/postgres/schema.js';

const { events, messages, sites, customers, tickets } = schema;
const MIGRATIONS = join(import.meta.dirname, '../../server/store/postgres/migrations');
const POOL = 10;
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function freshDatabase(adminUrl, name) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // Migrated with one driver for both, so only the driver under test differs.
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await migratePg(drizzlePg(pool), { migrationsFolder: MIGRATIONS });
  await pool.end();
  return url.toString();
}

/** Runs `op` `count` times, `POOL` at a time; ops/s and latency percentiles. */
async function measure(count, op) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await op(i);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: POOL }, lane));
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: Math.round(count / seconds), p50: +percentile(latencies, 50).toFixed(2), p99: +percentile(latencies, 99).toFixed(2) };
}

async function run(db, count) {
  const now = Date.now();
  await db.insert(sites).values({ id: 's1', name: 'Bench', siteKey: 'pk_b', secretKey: 'sk_b', secretKeyHash: 'h', origins: [], createdAt: now });
  await db.insert(customers).values({ id: 'c1', siteId: 's1', createdAt: now });
  const ids = [];
  const create = await measure(count, async (i) => {
    const id = `tk_${i}_${randomUUID().slice(0, 8)}`;
    ids.push(id);
    await db.transaction(async (tx) => {
      await tx.insert(tickets).values({ id, siteId: 's1', customerId: 'c1', subject: `Order ${i}`, status: 'new', version: 1, createdAt: now, updatedAt: now, lastEventAt: now, lastActivityAt: now });
      await tx.insert(messages).values({ id: `m_${id}`, ticketId: id, authorKind: 'customer', authorId: 'c1', body: 'Where is it?', internal: false, createdAt: now });
      await tx.insert(events).values({ ticketId: id, siteId: 's1', customerId: 'c1', type: 'created', toStatus: 'new', actorKind: 'customer', actorId: 'c1', at: now });
    });
  });
  const change = await measure(count, async (i) => {
    const id = ids[i % ids.length];
    await db.transaction(async (tx) => {
      const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update');
      await tx.update(tickets).set({ status: 'answered', version: sql`${tickets.version} + 1`, updatedAt: now }).where(eq(tickets.id, id));
      await tx.insert(messages).values({ id: `m_${randomUUID()}`, ticketId: id, authorKind: 'agent', body: 'On its way', internal: false, createdAt: now });
      await tx.insert(events).values({ ticketId: id, siteId: 's1', customerId: 'c1', type: 'replied', fromStatus: ticket.status, toStatus: 'answered', actorKind: 'agent', at: now });
    });
  });
  const read = await measure(count, async (i) => {
    const id = ids[i % ids.length];
    await db.select().from(tickets).where(and(eq(tickets.id, id), eq(tickets.siteId, 's1')));
    await db.select().from(messages).where(eq(messages.ticketId, id)).orderBy(asc(messages.createdAt));
    await db.select().from(events).where(eq(events.ticketId, id)).orderBy(asc(events.id));
  });
  return { create, change, read };
}

export async function pgDrivers({ quick = false, url = process.env.CLOSELOOP_BENCH_DATABASE_URL } = {}) {
  if (!url) throw new Error('set CLOSELOOP_BENCH_DATABASE_URL to a PostgreSQL server this bench may create databases on');
  const count = quick ? 500 : 5000;
  const results = {};
  {
    const pool = new pg.Pool({ connectionString: await freshDatabase(url, 'closeloop_bench_pg'), max: POOL });
    results.pg = await run(drizzlePg(pool, { schema }), count);
    await pool.end();
  }
  {
    const client = postgres(await freshDatabase(url, 'closeloop_bench_postgresjs'), { max: POOL, onnotice: () => undefined });
    results.postgres = await run(drizzleJs(client, { schema }), count);
    await client.end();
  }
  return { count, pool: POOL, ...results };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await pgDrivers({ quick: process.argv.includes('--quick') });
  console.log(`${r.count} of each, ${r.pool} connections, through drizzle:`);
  for (const name of ['create', 'change', 'read']) {
    console.log(`  ${name.padEnd(7)} pg ${String(r.pg[name].perSecond).padStart(6)}/s p99 ${r.pg[name].p99} ms   postgres ${String(r.postgres[name].perSecond).padStart(6)}/s p99 ${r.postgres[name].p99} ms`);
  }
}
