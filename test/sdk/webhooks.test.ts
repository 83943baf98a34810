import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient, createCustomerClient, signWebhook, verifyWebhook } from '../../sdk/index.js';
import { BACKOFF_SECONDS } from '../../server/webhooks/deliverer.js';
import { HOUR, startTestServer, useTestServer, type TestServer } from '../helpers/test-server.js';

interface Received {
  id: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A webhook receiver on a loopback port; `answer` decides each response. */
async function startReceiver(answer: (id: string, seen: number) => number) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const status = answer(id, received.filter((r) => r.id === id).length);
      received.push({ id, headers: req.headers, body, answered: status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('webhooks', () => {
  let t: TestServer;
  let agent: ReturnType<typeof createAgentClient>;
  useTestServer((server) => (t = server));
  beforeAll(async () => {
    agent = createAgentClient({ url: t.url, secretKey: t.site.secretKey });
  });

  /** Delivers until nothing is pending, moving the injected clock along the backoff schedule. */
  async function deliverAll() {
    for (let round = 0; round < 12; round++) {
      await t.server.deliverWebhooks();
      if ((await agent.webhooks.deliveries({ status: 'pending', limit: 1 })).items.length === 0) return;
      t.clock.advance(BACKOFF_SECONDS[Math.min(round, BACKOFF_SECONDS.length - 1)]! * 1000);
    }
  }

  it('delivers every event type, signed, exactly once per event id, also when the receiver fails twice first', async () => {
    const receiver = await startReceiver((_id, seen) => (seen < 2 ? 500 : 204));
    const endpoint = await agent.webhooks.create({
      url: receiver.url,
      events: ['ticket.created', 'ticket.replied', 'ticket.status_changed', 'ticket.resolved', 'ticket.closed', 'ticket.reopened', 'ticket.reminder_due'],
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    await agent.site.update({ remindAfterHours: 1 });

    const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey });
    const ticket = await customer.tickets.create({ subject: 'Hooks', message: 'Hello' });
    await agent.tickets.reply({ ticketId: ticket.id, message: 'Hi!' });
    t.clock.advance(2 * HOUR);
    await t.server.sweep();
    await agent.tickets.resolve({ ticketId: ticket.id });
    await customer.tickets.confirmResolution({ ticketId: ticket.id, rating: 5 });
    await customer.tickets.reopen({ ticketId: ticket.id });
    await agent.tickets.note({ ticketId: ticket.id, message: 'internal only' });
    await deliverAll();
    await agent.site.update({ remindAfterHours: null });

    const delivered = receiver.received.filter((r) => r.answered === 204);
    const ids = delivered.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of new Set(receiver.received.map((r) => r.id))) {
      expect(receiver.received.filter((r) => r.id === id).map((r) => r.answered)).toEqual([500, 500, 204]);
    }
    const events = [];
    for (const r of delivered) {
      events.push(await verifyWebhook<{ type: string; data: { ticket: { id: string } } }>(endpoint.secret, r.body, r.headers, { now: t.clock.now() }));
    }
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set(['ticket.created', 'ticket.replied', 'ticket.status_changed', 'ticket.resolved', 'ticket.closed', 'ticket.reopened', 'ticket.reminder_due']),
    );
    expect(events.every((e) => e.data.ticket.id === ticket.id)).toBe(true);
    expect(delivered.map((r) => r.body).join('')).not.toContain('internal only');

    const log = await agent.webhooks.deliveries({ endpointId: endpoint.id, limit: 100 });
    expect(log.items.every((d) => d.status === 'delivered' && d.attempts.map((a) => a.statusCode).join() === '500,500,204')).toBe(true);
    await agent.webhooks.delete({ id: endpoint.id });
    await receiver.close();
  });

  it('pages through the delivery log newest first, each delivery exactly once', async () => {
    const endpoint = await agent.webhooks.create({ url: 'http://127.0.0.1:9/hooks', events: ['ticket.created'] });
    const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey });
    for (let i = 0; i < 5; i++) {
      await customer.tickets.create({ subject: `Paged ${i}`, message: 'Hello' });
      t.clock.advance(1000);
    }
    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await agent.webhooks.deliveries({ endpointId: endpoint.id, limit: 2, cursor });
      pages.push(page.items.map((d) => d.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = (await agent.webhooks.deliveries({ endpointId: endpoint.id, limit: 100 })).items;
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(all.map((d) => d.id));
    expect(all.map((d) => d.createdAt)).toEqual([...all.map((d) => d.createdAt)].sort().reverse());
    await agent.webhooks.delete({ id: endpoint.id });
  });

  it('refuses a forged, tampered or stale delivery, and one from five minutes in the future', async () => {
    const secret = 'whsec_' + Buffer.from('a-secret-of-24-bytes-!!!').toString('base64');
    const now = Date.parse('2026-05-01T10:00:00Z');
    const seconds = Math.floor(now / 1000);
    const body = JSON.stringify({ type: 'ticket.closed' });
    const headersAt = async (at: number, signWith = secret, signedBody = body) => ({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(at),
      'webhook-signature': await signWebhook(signWith, 'msg_1', at, signedBody),
    });
    expect(await verifyWebhook(secret, body, await headersAt(seconds), { now })).toEqual({ type: 'ticket.closed' });
    const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code: string }) => e.code);
    const forger = 'whsec_' + Buffer.from('another-secret-entirely!').toString('base64');
    expect(await refusal(verifyWebhook(secret, body, await headersAt(seconds, forger), { now }))).toBe('UNAUTHORIZED');
    expect(await refusal(verifyWebhook(secret, body.replace('closed', 'opened'), await headersAt(seconds), { now }))).toBe('UNAUTHORIZED');
    expect(await refusal(verifyWebhook(secret, body, await headersAt(seconds - 301), { now }))).toBe('UNAUTHORIZED');
    expect(await refusal(verifyWebhook(secret, body, await headersAt(seconds + 301), { now }))).toBe('UNAUTHORIZED');
    expect(await refusal(verifyWebhook(secret, body, { 'webhook-id': 'msg_1' }, { now }))).toBe('UNAUTHORIZED');
    const twoSignatures = { ...(await headersAt(seconds, forger)), 'webhook-signature': `${(await headersAt(seconds, forger))['webhook-signature']} ${(await headersAt(seconds))['webhook-signature']}` };
    expect(await verifyWebhook(secret, body, twoSignatures, { now })).toEqual({ type: 'ticket.closed' });
  });

  it('signs with both secrets while a rotation is under way', async () => {
    const receiver = await startReceiver(() => 200);
    const endpoint = await agent.webhooks.create({ url: receiver.url, events: ['ticket.created'] });
    const rotated = await agent.webhooks.rotateSecret({ id: endpoint.id });
    expect(rotated.secret).not.toBe(endpoint.secret);
    await createCustomerClient({ url: t.url, siteKey: t.site.siteKey }).tickets.create({ subject: 'Rotate', message: 'x' });
    await t.server.deliverWebhooks();
    const [hit] = receiver.received;
    expect(String(hit!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.secret]) {
      expect(await verifyWebhook(secret, hit!.body, hit!.headers, { now: t.clock.now() })).toMatchObject({ type: 'ticket.created' });
    }
    await agent.webhooks.delete({ id: endpoint.id });
    await receiver.close();
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    const receiver = await startReceiver(() => 410);
    const endpoint = await agent.webhooks.create({ url: receiver.url, events: ['ticket.created'] });
    const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey });
    await customer.tickets.create({ subject: 'Gone 1', message: 'x' });
    await customer.tickets.create({ subject: 'Gone 2', message: 'x' });
    await t.server.deliverWebhooks();
    const [listed] = (await agent.webhooks.list()).filter((e) => e.id === endpoint.id);
    expect(listed).toMatchObject({ disabledReason: expect.stringContaining('410') });
    expect(listed!.disabledAt).not.toBeNull();
    const log = await agent.webhooks.deliveries({ endpointId: endpoint.id });
    expect(log.items.map((d) => d.status)).toEqual(['failed', 'failed']);
    await customer.tickets.create({ subject: 'Gone 3', message: 'x' });
    await t.server.deliverWebhooks();
    expect((await agent.webhooks.deliveries({ endpointId: endpoint.id })).items).toHaveLength(2);
    await receiver.close();
  });

  it('keeps an event queued across a restart: nothing written is lost before delivery', async () => {
    const receiver = await startReceiver(() => 200);
    const endpoint = await agent.webhooks.create({ url: receiver.url, events: ['ticket.created'] });
    await createCustomerClient({ url: t.url, siteKey: t.site.siteKey }).tickets.create({ subject: 'Before the crash', message: 'x' });
    const { createServer } = await import('../../server/http/create-server.js');
    const second = createServer({ ...t.database, now: t.clock.now, sweepIntervalMs: 0, webhookIntervalMs: 0, allowPrivateWebhooks: true });
    expect(await second.deliverWebhooks()).toBe(1);
    await second.close();
    expect(receiver.received.map((r) => JSON.parse(r.body).data.ticket.subject)).toEqual(['Before the crash']);
    await agent.webhooks.delete({ id: endpoint.id });
    await receiver.close();
  });

  it('refuses to deliver to private and loopback addresses unless allowed', async () => {
    const strict = await startTestServer({ allowPrivateWebhooks: false });
    const receiver = await startReceiver(() => 200);
    try {
      const strictAgent = createAgentClient({ url: strict.url, secretKey: strict.site.secretKey });
      const endpoint = await strictAgent.webhooks.create({ url: receiver.url.replace('127.0.0.1', 'localhost'), events: ['ticket.created'] });
      await createCustomerClient({ url: strict.url, siteKey: strict.site.siteKey }).tickets.create({ subject: 'x', message: 'x' });
      await strict.server.deliverWebhooks();
      expect(receiver.received).toEqual([]);
      const [delivery] = (await strictAgent.webhooks.deliveries({ endpointId: endpoint.id })).items;
      expect(delivery!.attempts[0]!.error).toMatch(/refused: .*private address/);
    } finally {
      await receiver.close();
      await strict.close();
    }
  });
});
