import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer, type TestServer } from '../../helpers/test-server.js';

interface Item {
  eventId: number;
  ticketId: string;
  type: string;
  ticket: { status: string } | null;
}

/** Collects a subscription's events; `next` waits for one (bounded), never sleeps. */
function collect(subscribe: (handlers: { onData: (d: { id: string; data: Item }) => void; onError: (e: unknown) => void }) => { unsubscribe: () => void }) {
  const items: { id: string; data: Item }[] = [];
  const waiters: (() => void)[] = [];
  let failure: unknown = null;
  const sub = subscribe({
    onData: (d) => {
      items.push(d);
      waiters.splice(0).forEach((w) => w());
    },
    onError: (e) => {
      failure = e;
      waiters.splice(0).forEach((w) => w());
    },
  });
  return {
    items,
    get failure() {
      return failure;
    },
    async until(count: number, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (items.length < count && !failure) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`waited ${ms} ms for ${count} events, got ${items.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      if (failure) throw failure;
      return items;
    },
    stop: () => sub.unsubscribe(),
  };
}

describe('live updates over server-sent events', () => {
  let t: TestServer;
  let agent: Awaited<ReturnType<TestServer['agent']>>;
  useTestServer((server) => (t = server));
  beforeAll(async () => {
    agent = await t.agent();
  });

  const from = async () => String(await t.store.maxEventId());

  it('shows the customer an agent’s answer and the new status, and never an internal note', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Live', message: 'Hello?' });
    const lastEventId = await from();
    const feed = collect((h) => c.api.tickets.onChange.subscribe({ lastEventId }, h));
    await agent.api.agent.tickets.note.mutate({ ticketId, message: 'secret note' });
    await agent.api.agent.tickets.reply.mutate({ ticketId, message: 'Hi there' });
    const [first] = await feed.until(1);
    expect(first!.data).toMatchObject({ ticketId, type: 'replied', ticket: { status: 'answered', unread: true } });
    await agent.api.agent.tickets.resolve.mutate({ ticketId });
    const items = await feed.until(2);
    expect(items.map((i) => i.data.type)).toEqual(['replied', 'resolved']);
    expect(JSON.stringify(items)).not.toContain('secret note');
    feed.stop();
  });

  it('shows an agent every change on the site’s tickets, and nothing of another site', async () => {
    const other = await t.otherSite();
    const stranger = await t.customer({ siteKey: other.siteKey, userId: 'x', secretKey: other.secretKey });
    const lastEventId = await from();
    const feed = collect((h) => agent.api.agent.tickets.onChange.subscribe({ lastEventId }, h));
    await stranger.api.tickets.create.mutate({ subject: 'Elsewhere', message: 'x' });
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'New one', message: 'x' });
    const [first] = await feed.until(1);
    expect(first!.data).toMatchObject({ ticketId, type: 'created', ticket: { status: 'new' } });
    feed.stop();
  });

  it('resumes from the last event id without missing or repeating an event', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Resume', message: 'x' });
    const start = await from();
    const firstLeg = collect((h) => c.api.tickets.onChange.subscribe({ lastEventId: start }, h));
    await agent.api.agent.tickets.reply.mutate({ ticketId, message: 'one' });
    const [seen] = await firstLeg.until(1);
    firstLeg.stop();

    await c.api.tickets.reply.mutate({ ticketId, message: 'two' });
    await agent.api.agent.tickets.reply.mutate({ ticketId, message: 'three' });
    const secondLeg = collect((h) => c.api.tickets.onChange.subscribe({ lastEventId: seen!.id }, h));
    const resumed = await secondLeg.until(2);
    await agent.api.agent.tickets.resolve.mutate({ ticketId });
    await secondLeg.until(3);
    secondLeg.stop();
    const ids = [seen!, ...resumed].map((i) => Number(i.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);
    expect([seen!, ...resumed].map((i) => i.data.type)).toEqual(['replied', 'replied', 'replied', 'resolved']);
  });

  it('opens streams with a single-use, short-lived ticket, never a long-lived token in the URL', async () => {
    const c = await t.customer();
    const { ticket } = await c.api.session.streamTicket.mutate();
    const url = (streamTicket: string) =>
      `${t.url}/trpc/tickets.onChange?input=${encodeURIComponent('{}')}&connectionParams=${encodeURIComponent(JSON.stringify({ streamTicket }))}`;
    const firstUse = new AbortController();
    const opened = await fetch(url(ticket), { headers: { accept: 'text/event-stream' }, signal: firstUse.signal });
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toContain('text/event-stream');
    firstUse.abort();

    const reused = new AbortController();
    const again = await fetch(url(ticket), { headers: { accept: 'text/event-stream' }, signal: reused.signal });
    const body = again.status === 200 ? await readUntil(again, 'error') : await again.text();
    reused.abort();
    expect(body).toContain('UNAUTHORIZED');

    t.clock.advance(0);
    const late = await c.api.session.streamTicket.mutate();
    t.clock.advance(61_000);
    const expired = new AbortController();
    const tooLate = await fetch(url(late.ticket), { headers: { accept: 'text/event-stream' }, signal: expired.signal });
    const lateBody = tooLate.status === 200 ? await readUntil(tooLate, 'error') : await tooLate.text();
    expired.abort();
    expect(lateBody).toContain('UNAUTHORIZED');
    expect(url(ticket)).not.toContain(c.token);
  });
});

async function readUntil(res: Response, marker: string) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  await reader.cancel();
  return text;
}

describe('limits on live streams', () => {
  let t: TestServer;
  useTestServer((server) => (t = server));

  const streamTicket = (headers: Record<string, string>, path = 'session.streamTicket') =>
    fetch(`${t.url}/trpc/${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } }).then(
      async (res) => ({ status: res.status, body: (await res.json()) as { result?: { data: { ticket: string } }; error?: { data: { code: string } } } }),
    );

  /**
   * Opens a raw stream from the session's first event: one that is let in sends that event
   * (a frame with an id), one that is refused sends `serialized-error`. No timing involved.
   */
  async function openStream(ticket: string) {
    const controller = new AbortController();
    const params = new URLSearchParams({ connectionParams: JSON.stringify({ streamTicket: ticket }), input: JSON.stringify({ lastEventId: '0' }) });
    const res = await fetch(`${t.url}/trpc/tickets.onChange?${params}`, { signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('serialized-error') && !text.includes('\nid: ')) text += new TextDecoder().decode((await reader.read()).value);
    return { refused: text.includes('serialized-error') ? text : null, close: () => controller.abort() };
  }

  it('lets one session hold at most ten open streams, and an eleventh in once one closes', async () => {
    const c = await t.customer();
    await c.api.tickets.create.mutate({ subject: 'Something to stream', message: 'x' });
    const streams = [];
    for (let i = 0; i < 10; i++) {
      const { body } = await streamTicket(c.headers());
      const stream = await openStream(body.result!.data.ticket);
      expect(stream.refused).toBeNull();
      streams.push(stream);
    }
    const eleventh = await openStream((await streamTicket(c.headers())).body.result!.data.ticket);
    expect(eleventh.refused).toContain('"code":"RATE_LIMITED"');

    // Another session of the same site is not held back by this one.
    const other = await t.customer();
    await other.api.tickets.create.mutate({ subject: 'Mine too', message: 'x' });
    expect((await openStream((await streamTicket(other.headers())).body.result!.data.ticket)).refused).toBeNull();

    streams[0]!.close();
    const deadline = Date.now() + 5_000;
    let again = await openStream((await streamTicket(c.headers())).body.result!.data.ticket);
    while (again.refused && Date.now() < deadline) again = await openStream((await streamTicket(c.headers())).body.result!.data.ticket);
    expect(again.refused).toBeNull();
    for (const s of [...streams, again]) s.close();
  });

  it('issues at most ten unused stream tickets per session', async () => {
    const c = await t.customer();
    for (let i = 0; i < 10; i++) expect((await streamTicket(c.headers())).status).toBe(200);
    const refused = await streamTicket(c.headers());
    expect(refused.status).toBe(429);
    expect(refused.body.error!.data.code).toBe('RATE_LIMITED');
    // Tickets expire after a minute, and with them the count.
    t.clock.advance(61_000);
    expect((await streamTicket(c.headers())).status).toBe(200);
  });
});
