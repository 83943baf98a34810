import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAgentClient, createCustomerClient } from '../../../sdk/index.js';
import { startTestServer } from '../../helpers/test-server.js';
import { waiter } from '../../helpers/waiting.js';

/** A receiver that records each delivery's ticket subject; `hold` keeps every request hanging until released. */
async function startReceiver(opts: { hold?: boolean } = {}) {
  const subjects: string[] = [];
  const hanging: http.ServerResponse[] = [];
  const w = waiter();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      subjects.push((JSON.parse(body) as { data: { ticket: { subject: string } } }).data.ticket.subject);
      w.poke();
      if (opts.hold) hanging.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    subjects,
    until: w.until,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function setUp() {
  const t = await startTestServer({ webhookTimeoutMs: 60_000 });
  const agent = createAgentClient({ url: t.url, secretKey: t.site.secretKey });
  const stalled = await startReceiver({ hold: true });
  const healthy = await startReceiver();
  // The stalled endpoint is registered first, so its deliveries are the oldest; 60 in all, more than one round used to claim.
  await agent.webhooks.create({ url: stalled.url, events: ['ticket.created'] });
  await agent.webhooks.create({ url: healthy.url, events: ['ticket.created'] });
  const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey });
  const subjects = Array.from({ length: 30 }, (_, i) => `Ticket ${i + 1}`);
  for (const subject of subjects) await customer.tickets.create({ subject, message: 'x' });
  const errors: unknown[] = [];
  return {
    t,
    stalled,
    healthy,
    subjects,
    errors,
    pump: () => t.server.app.webhooks.pump((error) => errors.push(error)),
    async close() {
      await stalled.close();
      await healthy.close();
      await t.close();
    },
  };
}

describe('webhook delivery', () => {
  it('lets no stalled endpoint hold up another: the healthy one gets every event, in order, while the other hangs', async () => {
    const s = await setUp();
    try {
      s.pump();
      await s.healthy.until(() => s.healthy.subjects.length === s.subjects.length, 'every event at the healthy endpoint');
      expect(s.healthy.subjects).toEqual(s.subjects);
      // The stalled endpoint has its first event in hand and nothing after it: one at a time, in order.
      expect(s.stalled.subjects).toEqual(['Ticket 1']);
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
