/**
 * Two real `closeloop serve` processes on one PostgreSQL, under load from customers
 * and an agent spread over both, as behind a load balancer. One is killed with
 * SIGKILL mid-load. Afterwards every write either server acknowledged is in the
 * database, whole; customers that were on the dead server carry on on the other
 * with the same session (a create retried with its idempotency key lands once);
 * and the clients of the survivor, including a live stream, never saw an error.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventSource } from 'eventsource';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase, SKIP_POSTGRES } from '../../helpers/postgres.js';
import { rawCount, rawRows } from '../../helpers/raw-database.js';
import { waiter } from '../../helpers/waiting.js';

const BIN = join(import.meta.dirname, '../../../bin/closeloop.js');
const ORIGIN = 'http://shop.test';
const children: ChildProcess[] = [];

class Unanswered extends Error {}

describe.skipIf(SKIP_POSTGRES)('a server killed with kill -9 under load, another on the same PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await database?.drop();
  });

  function serve() {
    const env: NodeJS.ProcessEnv = { ...process.env, CLOSELOOP_DATABASE_URL: database.url, CLOSELOOP_RATE_TICKET_CREATES: '100000', CLOSELOOP_RATE_ANON_SESSIONS: '100000' };
    delete env.CLOSELOOP_DB;
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    return new Promise<{ child: ChildProcess; url: string; stderr: () => string }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (url) resolve({ child, url, stderr: () => err });
      });
      child.once('exit', () => reject(new Error(`serve exited: ${out}${err}`)));
    });
  }

  /** One call; Unanswered when the server never answered (it died), an Error when it refused. */
  async function call(base: string, path: string, auth: Record<string, string>, input: unknown) {
    let res: Response;
    try {
      res = await fetch(`${base}/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(input) });
    } catch (error) {
      throw new Unanswered(String(error));
    }
    const body = (await res.json().catch(() => ({}))) as { result?: { data: Record<string, unknown> }; error?: unknown };
    if (!body.result) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body.error)}`);
    return body.result.data;
  }

  it('loses no acknowledged write, and the survivor’s clients notice nothing', async () => {
    database = await freshPostgresDatabase();
    const created = await promisify(execFile)(process.execPath, [BIN, 'sites', 'create', '--name', 'Shop', '--origin', ORIGIN, '--database-url', database.url]);
    const keys = JSON.parse(created.stdout) as { siteKey: string; secretKey: string };
    const [a, b] = await Promise.all([serve(), serve()]);
    const agentAuth = { authorization: `Bearer ${keys.secretKey}` };
    const agentId = (await call(b.url, 'agent.agents.upsert', agentAuth, { email: 'ada@shop.test', name: 'Ada' })).id as string;
    const asAda = { ...agentAuth, 'x-closeloop-agent': agentId };

    const acknowledged = new Set<string>();
    const survivorErrors: string[] = [];
    let aDead = false;
    let afterKill = 0;
    const progress = waiter();
    const acked = (body: string) => {
      acknowledged.add(body);
      if (aDead) afterKill++;
      progress.poke();
    };

    async function customer(name: string, home: 'A' | 'B') {
      // Sessions live in the database: one started on A goes on working on B.
      const started = await call(home === 'A' ? a.url : b.url, 'session.start', { origin: ORIGIN }, { siteKey: keys.siteKey });
      return { name, home, auth: { origin: ORIGIN, authorization: `Bearer ${started.token as string}` }, ticketId: '' };
    }

    let loading = true;
    /** A customer that opens tickets and answers them; balanced ones alternate servers until A is gone. */
    async function customerLoad(who: Awaited<ReturnType<typeof customer>>) {
      for (let i = 0; loading; i++) {
        const body = `${who.name} message ${i}`;
        const base = who.home === 'B' || aDead || i % 2 === 0 ? b.url : a.url;
        const create = i % 4 === 0 || !who.ticketId;
        const request = create
          ? (to: string) => call(to, 'tickets.create', who.auth, { subject: `${who.name} ${i}`, message: body, idempotencyKey: `create-${who.name}-${i}` })
          : (to: string) => call(to, 'tickets.reply', who.auth, { ticketId: who.ticketId, message: body });
        try {
          const ticket = await request(base);
          if (create) who.ticketId = ticket.id as string;
          acked(body);
        } catch (error) {
          if (who.home === 'B' || base === b.url) {
            survivorErrors.push(`${who.name}: ${String(error)}`);
            continue;
          }
          // A died with this request: the load balancer sends it on. A create carries its key, so
          // it is safe to send again whether or not A wrote it; a reply without one is not resent.
          if (create) {
            const ticket = await request(b.url).catch((again: unknown) => void survivorErrors.push(`${who.name} retry: ${String(again)}`));
            if (ticket) {
              who.ticketId = ticket.id as string;
              acked(body);
            }
          }
        }
      }
    }

    const customers = await Promise.all([
      ...['ana', 'bo', 'cy', 'di'].map((n) => customer(n, 'A')),
      ...['eve', 'fay', 'gus', 'hal'].map((n) => customer(n, 'B')),
    ]);
    // A customer of the survivor follows their ticket live on B, with a stream ticket issued by A.
    const watcher = await customer('watcher', 'A');
    watcher.ticketId = (await call(a.url, 'tickets.create', watcher.auth, { subject: 'Watching', message: 'Watching live' })).id as string;
    const streamTicket = (await call(a.url, 'session.streamTicket', watcher.auth, {})).ticket as string;
    const on = { database: { databaseUrl: database.url } };
    // The stream resumes after the ticket's creation: the load starts before the stream is
    // connected, and a stream that starts "from now" would rightly miss a reply made before.
    const createdEventId = Number((await rawRows(on, 'select max(id) id from events where ticket_id = ?', [watcher.ticketId]))[0]!.id);
    const live: number[] = [];
    let streamErrors = 0;
    const query = new URLSearchParams({ connectionParams: JSON.stringify({ streamTicket }), input: JSON.stringify({ lastEventId: String(createdEventId) }) });
    const stream = new EventSource(`${b.url}/trpc/tickets.onChange?${query}`);
    stream.addEventListener('message', (e) => {
      const change = JSON.parse(e.data) as { type: string; eventId: number };
      if (change.type === 'replied') live.push(Number(change.eventId));
      progress.poke();
    });
    stream.addEventListener('error', () => streamErrors++);

    /** The agent answers the watcher, through both servers until A is gone. */
    const agentReplies: string[] = [];
    async function agentLoad() {
      for (let i = 0; loading; i++) {
        const body = `ada reply ${i}`;
        const base = aDead || i % 2 === 0 ? b.url : a.url;
        try {
          await call(base, 'agent.tickets.reply', asAda, { ticketId: watcher.ticketId, message: body });
          agentReplies.push(body);
          acked(body);
        } catch (error) {
          if (base === b.url) survivorErrors.push(`ada: ${String(error)}`);
        }
      }
    }

    const load = Promise.all([...customers.map(customerLoad), agentLoad()]);
    await progress.until(() => acknowledged.size >= 150, '150 acknowledged writes on both servers', 30_000);
    a.child.kill('SIGKILL');
    aDead = true;
    await progress.until(() => afterKill >= 150, '150 more on the survivor', 30_000);
    loading = false;
    await load;
    const replies = (await rawRows(on, "select id from events where ticket_id = ? and type = 'replied' order by id", [watcher.ticketId])).map((r) => Number(r.id));
    expect(replies.length).toBeGreaterThanOrEqual(agentReplies.length);
    await progress.until(() => live.length === replies.length, 'every agent reply, live on B', 10_000);
    stream.close();

    const stored = new Set((await rawRows(on, "select body from messages where body like '% message %' or body like 'ada reply %'")).map((r) => r.body as string));
    expect([...acknowledged].filter((body) => !stored.has(body))).toEqual([]);
    // Whole writes only: every message has its event, every ticket its creation.
    expect(await rawCount(on, 'select count(*) n from messages m where not exists (select 1 from events e where e.message_id = m.id)')).toBe(0);
    expect(await rawCount(on, "select count(*) n from tickets t where not exists (select 1 from events e where e.ticket_id = t.id and e.type = 'created')")).toBe(0);
    // A create that A wrote but never answered, sent again to B, is still one ticket.
    expect(await rawCount(on, 'select count(*) n from (select subject from tickets group by subject having count(*) > 1) d')).toBe(0);
    expect(survivorErrors).toEqual([]);
    expect(streamErrors).toBe(0);
    expect(live).toEqual(replies);
    expect(b.child.exitCode).toBeNull();
    expect(b.stderr()).toBe('');
  }, 120_000);
});
