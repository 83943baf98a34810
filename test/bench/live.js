// Live updates: N open customer subscriptions (real SSE, each opened with its own
// stream ticket); server memory per connection, and the time from an agent's
// reply to the customer's event.
import http from 'node:http';
import { join } from 'node:path';
import { createSqliteStore as createStore } from '../../dist/server/index.js';
import { cleanup, seedDatabase, startChild, tempDir } from './fixtures.js';

const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const enc = (v) => encodeURIComponent(JSON.stringify(v));
const SAMPLE = 50;

async function post(url, path, headers, body) {
  const res = await fetch(`${url}/trpc/${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()).result.data;
}

/** Opens one SSE stream; `onData` hears every chunk. */
function openStream(url, streamTicket, onData) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${url}/trpc/tickets.onChange?input=${enc({ lastEventId: null })}&connectionParams=${enc({ streamTicket })}`,
      { headers: { accept: 'text/event-stream' }, agent: false },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream: HTTP ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', onData);
        resolve(() => req.destroy());
      },
    );
    req.on('error', reject);
  });
}

export async function live({ quick }) {
  // Below about 1,000 streams the per-connection figure is mostly noise (heap pages come in chunks).
  const counts = quick ? [1_000, 2_000] : [1_000, 10_000];
  const rows = [];
  for (const count of counts) {
    const dir = tempDir();
    const file = join(dir, 'live.db');
    try {
      const keys = await seedDatabase(file);
      const store = createStore(file);
      const tokens = [];
      for (let i = 0; i < count; i++) tokens.push((await store.startSession({ siteId: keys.site.id, identity: null }, Date.now())).token);
      await store.close();
      const server = await startChild('closeloop.js', [file]);
      const agent = { authorization: `Bearer ${keys.site.secretKey}` };
      const tickets = [];
      for (const token of tokens.slice(0, SAMPLE)) {
        tickets.push((await post(server.url, 'tickets.create', { authorization: `Bearer ${token}` }, { subject: 'Live', message: 'x' })).id);
      }
      const waiting = new Map();
      const closers = [];
      const openFrom = async (from, to) => {
        for (let i = from; i < to; i += 100) {
          await Promise.all(
            tokens.slice(i, Math.min(i + 100, to)).map(async (token, j) => {
              const { ticket } = await post(server.url, 'session.streamTicket', { authorization: `Bearer ${token}` }, undefined);
              const index = i + j;
              closers.push(await openStream(server.url, ticket, (chunk) => {
                if (chunk.includes('"replied"')) waiting.get(index)?.();
              }));
            }),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
        await server.ask('gc');
        return server.memory().rss;
      };
      // The first half warms the process up (compiled code, pools, the heap's young generation);
      // the second half shows what one more open connection costs.
      const warm = Math.round(count / 2);
      await server.ask('gc');
      const idle = server.memory().rss;
      const before = await openFrom(0, warm);
      const after = await openFrom(warm, count);
      const times = [];
      for (let i = 0; i < tickets.length; i++) {
        const heard = new Promise((resolve) => waiting.set(i, resolve));
        const started = performance.now();
        await post(server.url, 'agent.tickets.reply', agent, { ticketId: tickets[i], message: 'Hello from support' });
        await heard;
        times.push(performance.now() - started);
      }
      rows.push({
        connections: count,
        perConnectionKB: Math.round((after - before) / (count - warm) / 1024),
        // Everything the streams added, warm-up included: an upper bound.
        overallPerConnectionKB: Math.round((after - idle) / count / 1024),
        serverRssMB: Math.round(after / 1024 / 1024),
        replyToEventP50: +percentile(times, 50).toFixed(1),
        replyToEventP99: +percentile(times, 99).toFixed(1),
      });
      closers.forEach((close) => close());
      await server.stop();
    } finally {
      cleanup(dir);
    }
  }
  return rows;
}
