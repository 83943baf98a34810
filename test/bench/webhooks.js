// Webhook delivery: N ticket.created events to three endpoints, once with all three
// healthy (the baseline) and once with one of them stalling (never answering, so each
// attempt runs into the timeout). Throughput and lag (event written -> receiver has it)
// are measured at the healthy endpoints: a stalled one must not slow them down.
import http from 'node:http';
import { join } from 'node:path';
import { createServer } from '../../dist/server/index.js';
import { cleanup, seedDatabase, tempDir } from './fixtures.js';

const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function receiver({ stall }) {
  const arrivals = [];
  const hanging = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (stall) return void hanging.push(res);
      arrivals.push({ at: Date.now(), createdAt: Date.parse(JSON.parse(body).data.ticket.createdAt) });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    arrivals,
    close: () => new Promise((resolve) => {
      hanging.forEach((res) => res.destroy());
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

async function run({ events, stalling }) {
  const dir = tempDir();
  const file = join(dir, 'webhooks.db');
  const keys = await seedDatabase(file);
  const server = createServer({ db: file, sweepIntervalMs: 0, webhookIntervalMs: 50, allowPrivateWebhooks: true, logError: () => {} });
  const { url } = await server.listen(0, '127.0.0.1');
  const receivers = [await receiver({ stall: stalling }), await receiver({ stall: false }), await receiver({ stall: false })];
  const agent = { authorization: `Bearer ${keys.site.secretKey}`, 'content-type': 'application/json' };
  for (const r of receivers) {
    await fetch(`${url}/trpc/agent.webhooks.create`, { method: 'POST', headers: agent, body: JSON.stringify({ url: r.url, events: ['ticket.created'] }) });
  }
  const started = Date.now();
  for (let i = 0; i < events; i += 10) {
    const calls = Array.from({ length: Math.min(10, events - i) }, (_, j) => ({ customer: { id: `u${i + j}` }, subject: `Event ${i + j}`, message: 'x' }));
    const paths = calls.map(() => 'agent.tickets.create').join(',');
    await fetch(`${url}/trpc/${paths}?batch=1`, { method: 'POST', headers: agent, body: JSON.stringify(Object.fromEntries(calls.map((c, k) => [k, c]))) });
  }
  const healthy = receivers.slice(1);
  const deadline = Date.now() + 120_000;
  while (healthy.some((r) => r.arrivals.length < events) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const elapsed = Math.max(...healthy.flatMap((r) => r.arrivals.map((a) => a.at))) - started;
  const lags = healthy.flatMap((r) => r.arrivals.map((a) => a.at - a.createdAt));
  await server.close();
  await Promise.all(receivers.map((r) => r.close()));
  cleanup(dir);
  return {
    stalling,
    delivered: healthy.reduce((n, r) => n + r.arrivals.length, 0),
    expected: events * healthy.length,
    perSecond: Math.round((healthy.reduce((n, r) => n + r.arrivals.length, 0) * 1000) / elapsed),
    lagP50: percentile(lags, 50),
    lagP99: percentile(lags, 99),
  };
}

export async function webhooks({ quick }) {
  const events = quick ? 300 : 1_000;
  return { events, rows: [await run({ events, stalling: false }), await run({ events, stalling: true })] };
}
