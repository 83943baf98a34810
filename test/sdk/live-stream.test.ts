import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseloopError, createAgentClient, createCustomerClient, type CustomerChange } from '../../sdk/index.js';
import { createServer } from '../../server/http/create-server.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import { createClock, tempDbPath, useTestServer, type TestServer } from '../helpers/test-server.js';
import { waiter } from '../helpers/waiting.js';

/** A customer's live feed as the SDK delivers it: every change, every (re)connect, any final error. */
function follow(client: ReturnType<typeof createCustomerClient>) {
  const seen: { id: number; type: string }[] = [];
  const errors: CloseloopError[] = [];
  let starts = 0;
  const w = waiter();
  const stop = client.subscribe(
    (change: CustomerChange, eventId: string) => {
      seen.push({ id: Number(eventId), type: change.type });
      w.poke();
    },
    {
      onStarted: () => {
        starts++;
        w.poke();
      },
      onError: (error) => {
        errors.push(error);
        w.poke();
      },
    },
  );
  return {
    seen,
    errors,
    get starts() {
      return starts;
    },
    until: w.until,
    stop,
  };
}

const ids = (seen: { id: number }[]) => seen.map((s) => s.id);

describe('a live feed that heals itself', () => {
  let t: TestServer;
  let proxy: Awaited<ReturnType<typeof startCuttingProxy>>;
  let agent: ReturnType<typeof createAgentClient>;
  useTestServer((server) => (t = server));
  beforeAll(async () => {
    proxy = await startCuttingProxy(t.url);
    agent = createAgentClient({ url: t.url, secretKey: t.site.secretKey });
  });
  afterAll(() => proxy.close());

  it('reconnects when the network cuts the stream, with a fresh ticket, missing and repeating nothing', async () => {
    const customer = createCustomerClient({ url: proxy.url, siteKey: t.site.siteKey, EventSource });
    const { id: ticketId } = await customer.tickets.create({ subject: 'Through a flaky proxy', message: 'Hello' });
    const feed = follow(customer);
    await feed.until(() => feed.starts === 1, 'the first connection');

    await agent.tickets.reply({ ticketId, message: 'one' });
    await feed.until(() => feed.seen.length === 1, 'the first reply');

    proxy.cut();
    // While the stream is down: two more changes the customer must still get, once each.
    await agent.tickets.reply({ ticketId, message: 'two' });
    await agent.tickets.resolve({ ticketId, message: 'three' });
    await feed.until(() => feed.seen.length >= 3 && feed.starts >= 2, 'the changes made while cut off');

    // One more live change proves the new stream is live, not just a catch-up.
    await agent.tickets.reopen({ ticketId });
    await feed.until(() => feed.seen.length >= 4, 'a change after the reconnect');
    const expected = (await t.store.eventsAfter(0, 100, { customerId: customer.session.customer!.id }))
      .filter((e) => e.type !== 'created')
      .map((e) => e.id);
    expect(ids(feed.seen)).toEqual(expected);
    expect(new Set(ids(feed.seen)).size).toBe(feed.seen.length);
    expect(feed.seen.map((s) => s.type)).toEqual(['replied', 'replied', 'resolved', 'reopened']);
    expect(feed.errors).toEqual([]);
    feed.stop();
  });

  it('drops a reconnect that is never answered and tries again, instead of waiting for good', async () => {
    const customer = createCustomerClient({ url: proxy.url, siteKey: t.site.siteKey, EventSource });
    const { id: ticketId } = await customer.tickets.create({ subject: 'Through a half-dead proxy', message: 'Hello' });
    const seen: string[] = [];
    let starts = 0;
    const w = waiter();
    const stop = customer.subscribe(
      (change) => {
        seen.push(change.type);
        w.poke();
      },
      {
        connectTimeoutMs: 1000,
        onStarted: () => {
          starts++;
          w.poke();
        },
      },
    );
    await w.until(() => starts === 1, 'the first connection');
    await agent.tickets.reply({ ticketId, message: 'before' });
    await w.until(() => seen.length === 1, 'the first reply');
    proxy.hang(true);
    proxy.cut();
    await agent.tickets.reply({ ticketId, message: 'while the proxy hangs' });
    await w.until(() => proxy.hung > 0, 'a reconnect the proxy swallows');
    proxy.hang(false);
    await w.until(() => seen.length === 2, 'the reply, on a later attempt');
    expect(seen).toEqual(['replied', 'replied']);
    stop();
  });

  it('tells the caller, as a CloseloopError with the spec code, when the session behind the stream has ended', async () => {
    const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey, EventSource });
    const token = await customer.getToken();
    await customer.endSession();
    const stale = createCustomerClient({ url: t.url, siteKey: t.site.siteKey, EventSource, token });
    const feed = follow(stale);
    await feed.until(() => feed.errors.length === 1, 'the refusal');
    expect(feed.errors[0]).toBeInstanceOf(CloseloopError);
    expect(feed.errors[0]).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(feed.starts).toBe(0);
  });

  it('stops on a stream refused twice (a secret key used from a browser), reporting FORBIDDEN', async () => {
    // The ticket comes from the backend; the stream itself is opened the way a browser would, with an Origin.
    class FromABrowser extends EventSource {
      constructor(url: string) {
        super(url, { fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, origin: 'http://shop.test' } }) });
      }
    }
    const errors: CloseloopError[] = [];
    const w = waiter();
    const stop = createAgentClient({ url: t.url, secretKey: t.site.secretKey, EventSource: FromABrowser }).subscribe(() => {}, {
      onError: (error) => {
        errors.push(error);
        w.poke();
      },
    });
    await w.until(() => errors.length === 1, 'the refusal');
    expect(errors[0]).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    stop();
  });

  it('refuses a connect timeout that is not a number of milliseconds, instead of retrying forever', async () => {
    const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey, EventSource });
    const errors: CloseloopError[] = [];
    let reconnects = 0;
    const w = waiter();
    const stop = customer.subscribe(() => {}, {
      connectTimeoutMs: -5,
      onReconnecting: () => reconnects++,
      onError: (error) => {
        errors.push(error);
        w.poke();
      },
    });
    await w.until(() => errors.length === 1, 'the refusal');
    expect(errors[0]).toMatchObject({ code: 'VALIDATION', data: { field: 'connectTimeoutMs' } });
    expect(errors[0]!.message).toMatch(/from 1 to 300000, not -5/);
    expect(reconnects).toBe(0);
    stop();
  });

  it('says how to get live updates where there is no EventSource, as a CloseloopError', async () => {
    const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey });
    const original = (globalThis as { EventSource?: unknown }).EventSource;
    delete (globalThis as { EventSource?: unknown }).EventSource;
    try {
      const feed = follow(customer);
      await feed.until(() => feed.errors.length === 1, 'the refusal');
      expect(feed.errors[0]).toMatchObject({ code: 'UNSUPPORTED' });
      expect(feed.errors[0]!.message).toMatch(/eventsource package/);
    } finally {
      if (original) (globalThis as { EventSource?: unknown }).EventSource = original;
    }
  });
});

describe('a live feed across a server restart', () => {
  it('resumes on the restarted server from the last event it delivered', async () => {
    const db = tempDbPath();
    const clock = createClock();
    const options = { db: db.path, now: clock.now, sweepIntervalMs: 0, webhookIntervalMs: 0, livePollMs: 50, logError: () => {} };
    let server = createServer(options);
    const { port, url } = await server.listen(0, '127.0.0.1');
    const site = await server.store.createSite({ name: 'Restart shop', origins: [] }, clock.now());
    try {
      const customer = createCustomerClient({ url, siteKey: site.siteKey, EventSource });
      const agent = createAgentClient({ url, secretKey: site.secretKey });
      const { id: ticketId } = await customer.tickets.create({ subject: 'Across a deploy', message: 'Hello' });
      const feed = follow(customer);
      await feed.until(() => feed.starts === 1, 'the first connection');
      await agent.tickets.reply({ ticketId, message: 'before the restart' });
      await feed.until(() => feed.seen.length === 1, 'the first reply');

      await server.close();
      server = createServer(options);
      await server.listen(port, '127.0.0.1');
      await agent.tickets.reply({ ticketId, message: 'after the restart' });
      await feed.until(() => feed.seen.length === 2 && feed.starts >= 2, 'the reply made on the new server');

      expect(feed.seen.map((s) => s.type)).toEqual(['replied', 'replied']);
      expect(ids(feed.seen)[1]).toBeGreaterThan(ids(feed.seen)[0]!);
      expect(feed.errors).toEqual([]);
      feed.stop();
    } finally {
      await server.close();
      db.cleanup();
    }
  });
});
