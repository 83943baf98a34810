/**
 * Two servers on one database behave as one: a stream ticket one issued opens a
 * stream on the other, once, and the customer on one sees the agent's reply made
 * through the other, live (each server's hub tails the shared events table).
 */
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer } from '../../../server/http/create-server.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { waiter } from '../../helpers/waiting.js';

let a: TestServer;
let b: ReturnType<typeof createServer>;
let bUrl: string;

beforeAll(async () => {
  a = await startTestServer();
  b = createServer({ ...a.database, now: a.clock.now, sweepIntervalMs: 0, webhookIntervalMs: 0, livePollMs: 50, logError: () => {} });
  bUrl = (await b.listen(0, '127.0.0.1')).url;
});
afterAll(async () => {
  await b.close();
  await a.close();
});

async function streamTicketFrom(url: string, token: string) {
  const res = await fetch(`${url}/trpc/session.streamTicket`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  return ((await res.json()) as { result: { data: { ticket: string } } }).result.data.ticket;
}

function openStream(url: string, ticket: string, lastEventId: string) {
  const query = new URLSearchParams({ connectionParams: JSON.stringify({ streamTicket: ticket }), input: JSON.stringify({ lastEventId }) });
  return new EventSource(`${url}/trpc/tickets.onChange?${query}`);
}

it('opens a stream on B with a ticket from A, once, and shows the reply made through B to the customer streaming from A', async () => {
  const customer = await a.customer();
  const ticket = await customer.api.tickets.create.mutate({ subject: 'Two servers', message: 'Hello' });
  const lastEventId = String(await a.store.maxEventId());

  // A's ticket opens B's stream; spent, it opens nothing more, on either server.
  const fromA = await streamTicketFrom(a.url, customer.token);
  const onB = openStream(bUrl, fromA, lastEventId);
  const opened = waiter();
  let state = 'connecting';
  onB.addEventListener('connected', () => ((state = 'open'), opened.poke()));
  onB.onerror = () => ((state = 'refused'), opened.poke());
  await opened.until(() => state !== 'connecting', 'the stream on B');
  expect(state).toBe('open');
  onB.close();
  const again = openStream(a.url, fromA, lastEventId);
  let refused = false;
  again.onerror = () => ((refused = true), opened.poke());
  await opened.until(() => refused, 'the spent ticket to be refused');
  again.close();

  // The customer streams from A; the agent answers through B.
  const events: string[] = [];
  const live = openStream(a.url, await streamTicketFrom(a.url, customer.token), lastEventId);
  live.addEventListener('message', (e) => {
    events.push((JSON.parse(e.data) as { type: string }).type);
    opened.poke();
  });
  const agent = await a.agent();
  const res = await fetch(`${bUrl}/trpc/agent.tickets.reply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${a.site.secretKey}`, 'x-closeloop-agent': agent.id, 'content-type': 'application/json' },
    body: JSON.stringify({ ticketId: ticket.id, message: 'Answered through B' }),
  });
  expect(res.status).toBe(200);
  await opened.until(() => events.includes('replied'), 'the reply, live on A');
  live.close();
});

it('counts one rate limit across both servers: a client balanced between them gets the limit once, not twice', async () => {
  const limits = { ticketCreates: { limit: 3, windowMs: 60_000 } };
  const first = await startTestServer({ rateLimits: { ...limits, anonymousSessions: { limit: 100, windowMs: 60_000 } } });
  const second = createServer({ ...first.database, now: first.clock.now, sweepIntervalMs: 0, webhookIntervalMs: 0, rateLimits: limits, logError: () => {} });
  const secondUrl = (await second.listen(0, '127.0.0.1')).url;
  try {
    const customer = await first.customer();
    const create = (url: string, n: number) =>
      fetch(`${url}/trpc/tickets.create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json', origin: 'http://shop.test' },
        body: JSON.stringify({ subject: `Ticket ${n}`, message: 'x' }),
      }).then(async (res) => ((await res.json()) as { error?: { data: { code: string } } }).error?.data.code ?? 'ok');
    expect([await create(first.url, 1), await create(secondUrl, 2), await create(first.url, 3), await create(secondUrl, 4)]).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
    first.clock.advance(60_000);
    expect(await create(secondUrl, 5)).toBe('ok');
  } finally {
    await second.close();
    await first.close();
  }
});
