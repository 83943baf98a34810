// Scale: 100k and 1M tickets (10k customers, 10 sites) generated straight into
// SQLite (or PostgreSQL with --postgres); request latencies as the data grows; the
// sweeper closing 100k due tickets while a reader keeps asking; bytes per 1k tickets.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { rebuildMetrics } from '../../dist/server/analytics/rebuild-metrics.js';
import { openStore } from '../../dist/server/store/open-store.js';
import { cleanup, freshPostgres, seedDatabase, startChild, tempDir } from './fixtures.js';
import { generatePostgres, longThreadPostgres, makeDuePostgres, sizePostgres } from './scale-postgres.js';

const SITES = 10;
const CUSTOMERS = 10_000;
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/** Writes `count` tickets, each with a message and a `created` event, spread over sites and customers. */
function generate(file, count, keys) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const now = Date.now();
  const siteIds = [keys.site.id];
  const insertSite = db.prepare(
    "insert into sites (id, name, site_key, secret_key, secret_key_hash, origins, created_at, texts) values (?, ?, ?, ?, ?, '[]', ?, '{}')",
  );
  for (let s = 1; s < SITES; s++) {
    siteIds.push(`site_bench${s}`);
    insertSite.run(`site_bench${s}`, `Site ${s}`, `pk_bench${s}`, `sk_bench${s}`, `hash${s}`, now);
  }
  const insertCustomer = db.prepare('insert into customers (id, site_id, external_id, created_at) values (?, ?, ?, ?)');
  const customers = [];
  db.transaction(() => {
    for (let c = 0; c < CUSTOMERS; c++) {
      const id = c === 0 ? keys.customerId : `cus_bench${c}`;
      const site = c === 0 ? keys.site.id : siteIds[c % SITES];
      if (c > 0) insertCustomer.run(id, site, `user${c}`, now);
      customers.push([id, site]);
    }
  })();
  const ticket = db.prepare(
    `insert into tickets (id, site_id, customer_id, subject, status, version, created_at, updated_at, last_event_at, last_activity_at, resolved_at)
     values (?, ?, ?, ?, ?, 2, ?, ?, ?, ?, ?)`,
  );
  const message = db.prepare("insert into messages (id, ticket_id, author_kind, author_id, body, internal, created_at) values (?, ?, 'customer', ?, ?, 0, ?)");
  const event = db.prepare(
    "insert into events (ticket_id, site_id, customer_id, type, from_status, to_status, actor_kind, actor_id, at) values (?, ?, ?, 'created', null, 'new', 'customer', ?, ?)",
  );
  const statuses = ['new', 'open', 'answered', 'closed', 'closed', 'closed'];
  const started = performance.now();
  for (let from = 0; from < count; from += 50_000) {
    db.transaction(() => {
      for (let i = from; i < Math.min(count, from + 50_000); i++) {
        const [customer, site] = customers[i % CUSTOMERS];
        const at = now - (count - i) * 1000;
        const id = `tk_bench${i}`;
        ticket.run(id, site, customer, `Question number ${i} about order ${i % 977}`, statuses[i % statuses.length], at, at, at, at, null);
        message.run(`msg_bench${i}`, id, customer, 'Hello, I need help with my order.', at);
        event.run(id, site, customer, customer, at);
      }
    })();
  }
  db.close();
  return performance.now() - started;
}

/** A ticket of the bench customer with 200 messages. */
function longThread(file, keys) {
  const db = new Database(file);
  const now = Date.now();
  db.prepare(
    "insert into tickets (id, site_id, customer_id, subject, status, version, created_at, updated_at, last_event_at, last_activity_at) values ('tk_long', ?, ?, 'Long thread', 'open', 1, ?, ?, ?, ?)",
  ).run(keys.site.id, keys.customerId, now, now, now, now);
  const message = db.prepare("insert into messages (id, ticket_id, author_kind, author_id, body, internal, created_at) values (?, 'tk_long', ?, ?, 'One more message in a long thread.', 0, ?)");
  db.transaction(() => {
    for (let i = 0; i < 200; i++) message.run(`msg_long${i}`, i % 2 ? 'agent' : 'customer', keys.customerId, now + i);
  })();
  db.prepare("insert into events (ticket_id, site_id, customer_id, type, from_status, to_status, actor_kind, actor_id, at) values ('tk_long', ?, ?, 'created', null, 'new', 'customer', ?, ?)").run(
    keys.site.id, keys.customerId, keys.customerId, now,
  );
  db.close();
}

async function latencies(url, headers, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    times.push(performance.now() - started);
  }
  return { p50: +percentile(times, 50).toFixed(2), p99: +percentile(times, 99).toFixed(2) };
}

/**
 * An upgrade's catch-up: the generated tickets have their events and no tally, as a database
 * from before metrics were kept; this is what a starting server does with them, in the background.
 */
async function catchUpMetrics(target) {
  const store = openStore(target.startsWith('postgres') ? { databaseUrl: target } : { db: target });
  try {
    await store.ready();
    const started = performance.now();
    const tickets = await rebuildMetrics(store, { untracked: true });
    return { tickets, ms: Math.round(performance.now() - started) };
  } finally {
    await store.close();
  }
}

/** Where the section's data lives: a SQLite file, or a fresh PostgreSQL database. */
async function database(postgres, size) {
  if (postgres) {
    const { url, drop } = await freshPostgres(`closeloop_bench_scale_${size}`);
    return {
      target: url,
      generate: (count, keys) => generatePostgres(url, count, keys),
      longThread: (keys) => longThreadPostgres(url, keys),
      makeDue: (due) => makeDuePostgres(url, due),
      bytes: () => sizePostgres(url),
      drop,
    };
  }
  const dir = tempDir();
  const file = join(dir, 'scale.db');
  return {
    target: file,
    generate: async (count, keys) => generate(file, count, keys),
    longThread: async (keys) => longThread(file, keys),
    makeDue: async (due) => makeDue(file, due),
    bytes: async () => statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0),
    drop: async () => cleanup(dir),
  };
}

export async function scale({ quick, postgres = false }) {
  const sizes = quick ? [10_000, 100_000] : [100_000, 1_000_000];
  const samples = quick ? 100 : 400;
  const rows = [];
  for (const size of sizes) {
    const data = await database(postgres, size);
    try {
      const keys = await seedDatabase(data.target);
      const generateMs = await data.generate(size, keys);
      await data.longThread(keys);
      const metricsCatchUp = await catchUpMetrics(data.target);
      const server = await startChild('closeloop.js', [data.target]);
      const customer = { authorization: `Bearer ${keys.token}` };
      const agent = { authorization: `Bearer ${keys.site.secretKey}` };
      const input = (v) => encodeURIComponent(JSON.stringify(v));
      const row = {
        tickets: size,
        generateMs: Math.round(generateMs),
        metricsCatchUp,
        customerList: await latencies(`${server.url}/trpc/tickets.list`, customer, samples),
        agentFilteredList: await latencies(`${server.url}/trpc/agent.tickets.list?input=${input({ status: 'open', limit: 20 })}`, agent, samples),
        get200Messages: await latencies(`${server.url}/trpc/tickets.get?input=${input({ ticketId: 'tk_long' })}`, customer, samples),
        bytesPer1k: Math.round((await data.bytes()) / (size / 1000)),
      };
      if (size === sizes[sizes.length - 1]) row.sweep = await sweepWhileReading(data, server, customer, quick ? 20_000 : 100_000);
      rows.push(row);
      await server.stop();
    } finally {
      await data.drop();
    }
  }
  return rows;
}

/** Makes `due` tickets resolved long ago. */
function makeDue(file, due) {
  const db = new Database(file);
  db.prepare(`update tickets set status = 'resolved', resolved_at = ? where rowid in (select rowid from tickets where status != 'closed' limit ?)`).run(
    Date.now() - 100 * 3_600_000,
    due,
  );
  db.close();
}

/** Makes `due` tickets resolved long ago, sweeps them in the server, and reads all the while. */
async function sweepWhileReading(data, server, headers, due) {
  await data.makeDue(due);
  let reading = true;
  const times = [];
  const reader = (async () => {
    while (reading) {
      const started = performance.now();
      await (await fetch(`${server.url}/trpc/tickets.list`, { headers })).arrayBuffer();
      times.push(performance.now() - started);
    }
  })();
  const result = await server.ask('sweep');
  reading = false;
  await reader;
  const at = (p) => +percentile(times, p).toFixed(1);
  return { closed: result.swept, totalMs: Math.round(result.ms), readerP50Ms: at(50), readerP99Ms: at(99), readerWorstMs: +Math.max(...times).toFixed(1), reads: times.length };
}
