// Analytics: `agent.metrics.summary` for 30 days grouped by day and by topic in a database of
// 1M tickets (two years of 10 sites, with their facts, generated straight into the database by
// SQL that reads the same on SQLite and PostgreSQL), and for a whole year of the measured site
// (the cost follows the tickets in the range, not the database); the bookkeeping's own CPU per
// change; and `agent.tickets.next()` with 10 agents asking at once (no ticket handed out twice).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { emptyTracking, track } from '../../dist/server/analytics/ticket-tracking.js';
import { slaPolicy } from '../../dist/server/analytics/sla-settings.js';
import { cleanup, freshPostgres, seedDatabase, startChild, tempDir } from './fixtures.js';

const DAY = 86_400_000;
const MIN = 60_000;
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/**
 * The history, as SQL over a table of numbers `nums(i)`: ticket i opens at `start + i·step`;
 * topics, replies, resolutions, closes and ratings follow from i (a fixed, varied pattern).
 * Tickets older than 14 days are closed; newer ones are a mix, so the backlog is realistic.
 */
function historySql({ site: benchSite, customer, start, step, end }) {
  const at = `(${start} + i * ${step})`;
  const site = `CASE i % 10 WHEN 0 THEN '${benchSite}' ELSE 'site_a' || (i % 10) END`;
  const firstReply = `((i * 7919) % 480 + 5) * ${MIN}`;
  const resolution = `((i * 104729) % 2880 + 60) * ${MIN}`;
  const recent = `${at} >= ${end - 14 * DAY}`;
  const status = `CASE WHEN NOT (${recent}) THEN 'closed' ELSE CASE i % 10 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'answered' WHEN 3 THEN 'resolved' ELSE 'closed' END END`;
  const topic = `CASE i % 4 WHEN 0 THEN 'orders' WHEN 1 THEN 'billing' WHEN 2 THEN 'account' ELSE NULL END`;
  const fact = (kind, when, more = '', where = 'true') =>
    `INSERT INTO metric_facts (site_id, ticket_id, kind, at, topic_id, priority, assignee_id${more ? `, ${more.split(':')[0]}` : ''})
     SELECT ${site}, 'tk_a' || i, '${kind}', ${when}, ${topic}, 'normal', NULL${more ? `, ${more.split(':')[1]}` : ''} FROM nums WHERE ${where}`;
  const solved = `(NOT (${recent}) OR i % 10 >= 3)`;
  const closed = `(NOT (${recent}) OR i % 10 >= 4)`;
  return [
    `INSERT INTO sites (id, name, site_key, secret_key, secret_key_hash, origins, created_at) SELECT 'site_a' || i, 'Site ' || i, 'pk_a' || i, 'sk_a' || i, 'hash_a' || i, '[]', ${start} FROM nums WHERE i BETWEEN 1 AND 9`,
    // A tally on every ticket, as this version keeps: without one, a starting server would take them for
    // tickets from before metrics and recompute them from their (here absent) events.
    `INSERT INTO tickets (id, site_id, customer_id, subject, status, version, created_at, updated_at, last_event_at, last_activity_at, topic_id, priority, tracking, sla_due_at, waiting_since)
     SELECT 'tk_a' || i, ${site}, '${customer}', 'Question ' || i, ${status}, 2, ${at}, ${at}, ${at}, ${at}, ${topic}, 'normal', '${JSON.stringify(emptyTracking())}',
       CASE WHEN (${recent}) AND i % 10 < 2 THEN ${at} + 240 * ${MIN} ELSE NULL END, CASE WHEN (${recent}) AND i % 10 < 2 THEN ${at} ELSE NULL END
     FROM nums`,
    fact('created', at),
    fact('first_reply', `${at} + ${firstReply}`, `ms, business_ms:${firstReply}, ${firstReply}`, `NOT (${recent}) OR i % 10 >= 2`),
    fact('resolved', `${at} + ${firstReply} + ${resolution}`, `ms, business_ms, wait_ms, wait_business_ms, latest, one_touch:${firstReply} + ${resolution}, ${resolution}, ${firstReply}, ${firstReply}, true, (i % 3 = 0)`, solved),
    fact('rejected', `${at} + ${firstReply} + ${resolution} + 3600000`, '', `${solved} AND i % 11 = 0`),
    fact('confirmed', `${at} + ${firstReply} + ${resolution} + 7200000`, '', `${closed} AND i % 3 = 0`),
    fact('closed_customer', `${at} + ${firstReply} + ${resolution} + 7200000`, `latest, reopened_later:true, (i % 23 = 0)`, `${closed} AND i % 3 = 0`),
    fact('closed_auto', `${at} + ${firstReply} + ${resolution} + ${3 * DAY}`, 'latest:true', `${closed} AND i % 3 = 1`),
    fact('closed_agent', `${at} + ${firstReply} + ${resolution} + 3600000`, 'latest:true', `${closed} AND i % 3 = 2`),
    fact('rated', `${at} + ${firstReply} + ${resolution} + 7200000`, 'rating:1 + i % 5', `${closed} AND i % 6 = 0`),
    fact('sla_breached', `${at} + 240 * ${MIN}`, '', 'i % 13 = 0'),
  ];
}

async function generateSqlite(file, count, keys, span) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const started = performance.now();
  db.exec(`CREATE TEMP TABLE nums (i INTEGER PRIMARY KEY); WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1}) INSERT INTO nums SELECT i FROM n;`);
  db.transaction(() => {
    for (const statement of historySql({ site: keys.site.id, customer: keys.customerId, ...span })) db.exec(statement);
  })();
  db.exec('ANALYZE');
  db.close();
  return performance.now() - started;
}

async function generatePostgres(url, count, keys, span) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  await client.query(`CREATE TEMP TABLE nums AS SELECT i::bigint AS i FROM generate_series(0, ${count - 1}) AS i`);
  await client.query('BEGIN');
  for (const statement of historySql({ site: keys.site.id, customer: keys.customerId, ...span })) await client.query(statement);
  await client.query('COMMIT');
  await client.query('ANALYZE');
  await client.end();
  return performance.now() - started;
}

/** The pure bookkeeping's CPU per event (µs), for the events of a typical ticket. */
function trackCost() {
  const policy = slaPolicy({ targets: [{ priority: 'normal', firstReplyMinutes: 240, nextReplyMinutes: 480, resolutionMinutes: 2880 }], schedule: { timeZone: 'Europe/Tallinn', weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day, from: '09:00', to: '17:00' })), holidays: [] } });
  const at = Date.parse('2026-03-02T08:00:00Z');
  const events = [
    { type: 'created', from: null, to: 'new', at, actorKind: 'customer', publicMessage: false, data: null },
    { type: 'replied', from: 'new', to: 'answered', at: at + 3_600_000, actorKind: 'agent', publicMessage: true, data: null },
    { type: 'replied', from: 'answered', to: 'open', at: at + 7_200_000, actorKind: 'customer', publicMessage: true, data: null },
    { type: 'resolved', from: 'open', to: 'resolved', at: at + 30 * 3_600_000, actorKind: 'agent', publicMessage: true, data: null },
  ];
  const rounds = 20_000;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    let tracking = null;
    for (const e of events) tracking = track(tracking, at, 'normal', e, policy).tracking;
  }
  return +(((performance.now() - started) * 1000) / (rounds * events.length)).toFixed(1);
}

async function timed(fn, samples) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return { p50: +percentile(times, 50).toFixed(1), p99: +percentile(times, 99).toFixed(1) };
}

export async function analytics({ quick, postgres = false }) {
  const count = quick ? 100_000 : 1_000_000;
  const end = Date.now();
  const span = { start: end - 730 * DAY, step: Math.floor((730 * DAY) / count), end };
  const dir = tempDir();
  const pgDatabase = postgres ? await freshPostgres('closeloop_bench_analytics') : null;
  const target = pgDatabase ? pgDatabase.url : join(dir, 'analytics.db');
  try {
    const keys = await seedDatabase(target);
    const generateMs = pgDatabase ? await generatePostgres(target, count, keys, span) : await generateSqlite(target, count, keys, span);
    const server = await startChild('closeloop.js', [target]);
    const agent = { authorization: `Bearer ${keys.site.secretKey}` };
    const days = (n) => ({ from: new Date(end - n * DAY).toISOString(), to: new Date(end).toISOString(), timeZone: 'Europe/Tallinn' });
    const summary = (groupBy, range = days(30)) => async () => {
      const res = await fetch(`${server.url}/trpc/agent.metrics.summary?input=${encodeURIComponent(JSON.stringify({ ...range, groupBy }))}`, { headers: agent });
      const body = await res.json();
      if (!res.ok) throw new Error(`summary: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      return body.result.data;
    };
    const sample = await summary('day')();
    const samples = quick ? 10 : 40;
    const byDay = await timed(summary('day'), samples);
    const byTopic = await timed(summary('topic'), samples);
    const totals = await timed(summary(undefined), samples);
    const year = await summary('day', days(365))();
    const yearByDay = await timed(summary('day', days(365)), Math.ceil(samples / 4));

    // Ten agents ask for the next ticket at once, each resolving what it got, again and again.
    const agents = [];
    for (let a = 0; a < 10; a++) {
      const res = await fetch(`${server.url}/trpc/agent.agents.upsert`, { method: 'POST', headers: { ...agent, 'content-type': 'application/json' }, body: JSON.stringify({ email: `agent${a}@bench.test`, name: `Agent ${a}` }) });
      agents.push((await res.json()).result.data.id);
    }
    const rounds = quick ? 10 : 30;
    const handed = [];
    const times = [];
    const started = performance.now();
    await Promise.all(
      agents.map(async (agentId) => {
        const headers = { ...agent, 'x-closeloop-agent': agentId, 'content-type': 'application/json' };
        for (let r = 0; r < rounds; r++) {
          const t0 = performance.now();
          const res = await fetch(`${server.url}/trpc/agent.tickets.next`, { method: 'POST', headers });
          const ticket = (await res.json()).result?.data;
          times.push(performance.now() - t0);
          if (!ticket) break;
          handed.push(ticket.id);
          await fetch(`${server.url}/trpc/agent.tickets.resolve`, { method: 'POST', headers, body: JSON.stringify({ ticketId: ticket.id }) });
        }
      }),
    );
    const nextMs = performance.now() - started;
    await server.stop();
    return {
      tickets: count,
      generateMs: Math.round(generateMs),
      factsInRange: sample.totals.created,
      summaryByDay: byDay,
      summaryByTopic: byTopic,
      summaryTotals: totals,
      yearCreated: year.totals.created,
      yearByDay,
      trackMicrosPerEvent: trackCost(),
      next: {
        agents: 10,
        handedOut: handed.length,
        handedTwice: handed.length - new Set(handed).size,
        p50: +percentile(times, 50).toFixed(1),
        p99: +percentile(times, 99).toFixed(1),
        perSecond: Math.round((handed.length / nextMs) * 1000),
      },
    };
  } finally {
    cleanup(dir);
    await pgDatabase?.drop();
  }
}
