/**
 * Several servers on one PostgreSQL behave as one, with nothing but the database
 * between them: live updates cross servers by LISTEN/NOTIFY (polling turned off
 * here, so only the notification can deliver them, and a lost one is caught up),
 * concurrent writers to one ticket lose nothing, event ids become visible in order,
 * and the sweeper and the webhook workers run on both at once, each job done once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../../server/http/create-server.js';
import { decider } from '../../../server/tickets/act.js';
import { rawCount, rawRows } from '../../helpers/raw-database.js';
import { freshPostgresDatabase, SKIP_POSTGRES } from '../../helpers/postgres.js';
import { createClock, HOUR, ORIGIN } from '../../helpers/test-server.js';
import { waiter } from '../../helpers/waiting.js';

describe.skipIf(SKIP_POSTGRES)('several servers on one PostgreSQL', () => {
  const clock = createClock();
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let a: ReturnType<typeof createServer>;
  let b: ReturnType<typeof createServer>;
  const url = { a: '', b: '' };
  let site: Awaited<ReturnType<typeof a.store.createSite>>;
  let agentId = '';

  // Polling every 10 minutes: within a test, only a notification wakes a stream.
  const options = () => ({ databaseUrl: database.url, now: clock.now, sweepIntervalMs: 0, webhookIntervalMs: 0, livePollMs: 600_000, allowPrivateWebhooks: true, logError: () => {}, rateLimits: { anonymousSessions: { limit: 10_000, windowMs: 60_000 }, ticketCreates: { limit: 10_000, windowMs: 60_000 } } });
  const on = () => ({ database: { databaseUrl: database.url } });
  const ada = () => ({ kind: 'agent' as const, id: agentId });

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    a = createServer(options());
    b = createServer(options());
    url.a = (await a.listen(0, '127.0.0.1')).url;
    url.b = (await b.listen(0, '127.0.0.1')).url;
    site = await a.store.createSite({ name: 'Busy shop', origins: [ORIGIN] }, clock.now());
    agentId = (await b.store.upsertAgent(site.id, { email: 'ada@shop.test', name: 'Ada' }, clock.now())).id;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
  });

  async function call(base: string, path: string, auth: Record<string, string>, body: unknown = {}) {
    // Customers call from the shop's pages; agents from a backend, which sends no Origin.
    const origin: Record<string, string> = auth.authorization?.startsWith('Bearer sk_') ? {} : { origin: ORIGIN };
    const res = await fetch(`${base}/trpc/${path}`, { method: 'POST', headers: { ...auth, ...origin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as { result?: { data: unknown }; error?: { data: { code: string } } };
    if (json.error) throw new Error(`${path}: ${json.error.data.code}`);
    return json.result!.data as Record<string, unknown>;
  }
  const agent = () => ({ authorization: `Bearer ${site.secretKey}`, 'x-closeloop-agent': agentId });

  async function customerWithTicket(subject: string) {
    const started = await call(url.a, 'session.start', {}, { siteKey: site.siteKey });
    const auth = { authorization: `Bearer ${started.token as string}` };
    const ticket = await call(url.a, 'tickets.create', auth, { subject, message: 'Hello' });
    return { auth, ticketId: ticket.id as string };
  }

  function follow(base: string, ticket: string, lastEventId: number) {
    const types: string[] = [];
    const seen = waiter();
    const query = new URLSearchParams({ connectionParams: JSON.stringify({ streamTicket: ticket }), input: JSON.stringify({ lastEventId: String(lastEventId) }) });
    const source = new EventSource(`${base}/trpc/tickets.onChange?${query}`);
    source.addEventListener('message', (e) => {
      types.push((JSON.parse(e.data) as { type: string }).type);
      seen.poke();
    });
    return { types, seen, close: () => source.close() };
  }

  it('shows the customer streaming from A the reply made through B, woken by the notification alone', async () => {
    const { auth, ticketId } = await customerWithTicket('Live across servers');
    const live = follow(url.a, (await call(url.a, 'session.streamTicket', auth)).ticket as string, await a.store.maxEventId());
    // The first note may reach the stream's first read; the stream is then waiting, and only a wake brings the second.
    await call(url.b, 'agent.tickets.reply', agent(), { ticketId, message: 'Answered through B' });
    await live.seen.until(() => live.types.length === 1, 'the first reply, on A', 5_000);
    await call(url.b, 'agent.tickets.reply', agent(), { ticketId, message: 'And again' });
    await live.seen.until(() => live.types.length === 2, 'the second reply, live on A', 5_000);
    live.close();
  });

  it('catches up what happened while its listening connection was cut', async () => {
    const { auth, ticketId } = await customerWithTicket('Lost notification');
    const live = follow(url.a, (await call(url.a, 'session.streamTicket', auth)).ticket as string, await a.store.maxEventId());
    await call(url.b, 'agent.tickets.reply', agent(), { ticketId, message: 'Before the cut' });
    await live.seen.until(() => live.types.length === 1, 'the first reply, on A', 5_000);
    // Cut every LISTEN connection (both servers'): the reply's notification reaches no one.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const cut = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
    await admin.end();
    expect(cut.rowCount).toBe(2);
    await call(url.b, 'agent.tickets.reply', agent(), { ticketId, message: 'Sent while A was deaf' });
    // A reconnects by itself and reads the events table from where it was.
    await live.seen.until(() => live.types.length === 2, 'the reply, caught up on A', 5_000);
    live.close();
  });

  it('loses no write when 40 replies to one ticket arrive at both servers at once', async () => {
    const { ticketId } = await customerWithTicket('Busy ticket');
    const replies = Array.from({ length: 40 }, (_, i) => call(i % 2 ? url.a : url.b, 'agent.tickets.note', agent(), { ticketId, message: `note ${i}` }));
    await Promise.all(replies);
    expect(await rawCount(on(), "select count(*) n from events where ticket_id = ? and type = 'note_added'", [ticketId])).toBe(40);
    const [row] = await rawRows(on(), 'select version from tickets where id = ?', [ticketId]);
    expect(Number(row!.version)).toBe(41);
  });

  it('makes event ids visible only in order: a reader following the table while 200 writes to 20 tickets race misses none', async () => {
    const tickets: string[] = [];
    for (let i = 0; i < 20; i++) tickets.push((await customerWithTicket(`Ordered ids ${i}`)).ticketId);
    const start = await a.store.maxEventId();
    let cursor = start;
    const seen: number[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing || cursor < (await a.store.maxEventId())) {
        for (const e of await b.store.eventsAfter(cursor, 1000)) {
          seen.push(e.id);
          cursor = e.id;
        }
      }
    })();
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).store.applyToTicket({ siteId: site.id, ticketId: tickets[i % 20]! }, ada(), decider({ action: 'note', body: `note ${i}` }, ada(), clock.now()))));
    writing = false;
    await reader;
    const written = (await rawRows(on(), 'select id from events where id > ? order by id', [start])).map((r) => Number(r.id));
    expect(written).toHaveLength(200);
    expect(seen).toEqual(written);
  });

  it('runs the sweeper on both servers at once: each due ticket is auto-closed exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { ticketId } = await customerWithTicket(`Due ${i}`);
      await call(url.b, 'agent.tickets.resolve', agent(), { ticketId, message: 'Done' });
      ids.push(ticketId);
    }
    clock.advance(73 * HOUR);
    const [fromA, fromB] = await Promise.all([a.sweep(), b.sweep()]);
    const closed = [...fromA, ...fromB].filter((c) => c.action === 'autoClose').map((c) => c.ticketId);
    expect(closed.sort()).toEqual([...ids].sort());
    expect(await rawCount(on(), "select count(*) n from events where type = 'auto_closed'")).toBe(30);
  });

  it('sends each webhook once when both servers deliver at once', async () => {
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as AddressInfo).port;
      await call(url.a, 'agent.webhooks.create', agent(), { url: `http://127.0.0.1:${port}/hook`, events: ['ticket.created'] });
      for (let i = 0; i < 20; i++) await customerWithTicket(`Hooked ${i}`);
      const [byA, byB] = await Promise.all([a.deliverWebhooks(), b.deliverWebhooks()]);
      expect(byA + byB).toBe(20);
      expect(new Set(received).size).toBe(20);
      expect(received).toHaveLength(20);
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
