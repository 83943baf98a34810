// Server throughput and latency: Closeloop against a bare node:http baseline doing the
// same database work with the same driver (better-sqlite3, or pg with --postgres), at 10
// and 100 connections; memory of both. On PostgreSQL, also the mixed lifecycle load
// spread over two servers on one database, next to one server's.
import { join } from 'node:path';
import autocannon from 'autocannon';
import { cleanup, freshPostgres, seedDatabase, startChild, tempDir } from './fixtures.js';

function load(opts) {
  return new Promise((resolve, reject) => {
    autocannon(opts, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const figures = (r, perRequest = 1) => ({
  rps: Math.round(r.requests.average * perRequest),
  p50: r.latency.p50,
  p99: r.latency.p99,
  max: r.latency.max,
  errors: r.errors + r.timeouts + r.non2xx,
});

const body = JSON.stringify({ subject: 'Bench ticket', message: 'Something is broken, please help.' });
const batch = (n, input) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, input])));

export async function throughput({ quick, postgres = false }) {
  const duration = quick ? 2 : 8;
  const dir = tempDir();
  const rows = [];
  const memory = {};
  const databases = [];
  /** A fresh database of the run's kind: its file path or URL. */
  const fresh = async (name) => {
    if (!postgres) return join(dir, `${name}.db`);
    const database = await freshPostgres(`closeloop_bench_${name}`);
    databases.push(database);
    return database.url;
  };
  try {
    const [oursAt, baseAt] = [await fresh('closeloop'), await fresh('baseline')];
    const ours = await seedDatabase(oursAt);
    const base = await seedDatabase(baseAt);
    const closeloop = await startChild('closeloop.js', [oursAt]);
    const baseline = await startChild(postgres ? 'baseline-postgres.js' : 'baseline.js', [baseAt]);
    memory.idle = { closeloop: closeloop.memory().rss, baseline: baseline.memory().rss };
    const auth = (t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });

    // One ticket to read, for both.
    const seeded = await (await fetch(`${closeloop.url}/trpc/tickets.create`, { method: 'POST', headers: auth(ours.token), body })).json();
    const ticketId = seeded.result.data.id;
    const baseSeed = await (await fetch(`${baseline.url}/create`, { method: 'POST', headers: auth(base.token), body })).json();
    const baseId = baseSeed.result.data.id;
    const getInput = encodeURIComponent(JSON.stringify({ ticketId }));

    for (const connections of [10, 100]) {
      // Each run starts with a second of the same load, not counted: JIT warm-up and opening
      // 100 connections at once are not the steady state the figures describe.
      const run = async (url, extra = {}) => {
        await load({ url, connections, duration: 1, ...extra });
        if (url.startsWith(closeloop.url)) await closeloop.ask('loop');
        return load({ url, connections, duration, ...extra });
      };
      const pairs = [
        ['tickets.create', () => run(`${closeloop.url}/trpc/tickets.create`, { method: 'POST', headers: auth(ours.token), body }), () =>
          run(`${baseline.url}/create`, { method: 'POST', headers: auth(base.token), body })],
        ['tickets.get', () => run(`${closeloop.url}/trpc/tickets.get?input=${getInput}`, { headers: auth(ours.token) }), () =>
          run(`${baseline.url}/get?id=${baseId}`, { headers: auth(base.token) })],
        ['tickets.list', () => run(`${closeloop.url}/trpc/tickets.list`, { headers: auth(ours.token) }), () =>
          run(`${baseline.url}/list`, { headers: auth(base.token) })],
      ];
      // The server's own view of each run: its event-loop delay, and each request's time from
      // arrival to the last byte of its answer. Where the client's worst figure is far above
      // both, the request waited outside the server (on two shared cores: the load generator).
      const measured = async (go) => {
        const result = await go();
        const { loopP99, loopMax, servedP99, servedMax } = await closeloop.ask('loop');
        return { ...result, loopP99, loopMax, servedP99, servedMax };
      };
      for (const [name, oursRun, baseRun] of pairs) {
        const a = await measured(async () => figures(await oursRun()));
        const b = figures(await baseRun());
        rows.push({ name, connections, ...a, baseline: b.rps, baselineP99: b.p99, baselineMax: b.max, ratio: +(a.rps / b.rps).toFixed(2) });
      }
      // Ten creates in one batched request, as the agent SDK sends them.
      const batched = await measured(async () =>
        figures(
          await run(`${closeloop.url}/trpc/${Array(10).fill('tickets.create').join(',')}?batch=1`, {
            method: 'POST',
            headers: auth(ours.token),
            body: batch(10, JSON.parse(body)),
          }),
          10,
        ),
      );
      const createBase = rows.find((r) => r.name === 'tickets.create' && r.connections === connections);
      rows.push({ name: 'tickets.create ×10 batched (ops/s)', connections, ...batched, baseline: createBase.baseline, ratio: +(batched.rps / createBase.baseline).toFixed(2) });
      await lifecycle(closeloop.url, ours, connections, 1);
      await closeloop.ask('loop');
      const one = { name: 'mixed lifecycle (5 calls)', connections, ...(await measured(async () => figures(await lifecycle(closeloop.url, ours, connections, duration)))) };
      rows.push(one);
      if (connections === 100) memory.peak = { closeloop: closeloop.memory().peak, baseline: baseline.memory().peak };
      if (postgres) {
        const two = await twoServers(closeloop, oursAt, ours, connections, duration);
        rows.push({ ...two, baseline: one.rps, ratio: +(two.rps / one.rps).toFixed(2) });
      }
    }
    await closeloop.stop();
    await baseline.stop();
  } finally {
    cleanup(dir);
    for (const database of databases) await database.drop();
  }
  return { rows, memory };
}

/**
 * The mixed lifecycle load split evenly over the running server and a second one on the same
 * database, as a load balancer would; req/s summed, latencies the worse of the two. The
 * baseline column then holds one server's req/s under the same total load.
 */
async function twoServers(first, target, keys, connections, duration) {
  const second = await startChild('closeloop.js', [target]);
  try {
    const half = Math.max(1, connections / 2);
    await Promise.all([lifecycle(first.url, keys, half, 1), lifecycle(second.url, keys, half, 1)]);
    const [a, b] = (await Promise.all([lifecycle(first.url, keys, half, duration), lifecycle(second.url, keys, half, duration)])).map((r) => figures(r));
    const worse = (k) => Math.max(a[k], b[k]);
    const served = await first.ask('loop');
    return { name: 'mixed lifecycle, two servers', connections, rps: a.rps + b.rps, p50: worse('p50'), p99: worse('p99'), max: worse('max'), errors: a.errors + b.errors, ...served };
  } finally {
    await second.stop();
  }
}

/** create → agent reply → customer reply → resolve → confirm, chained per connection. */
function lifecycle(url, keys, connections, duration) {
  const customer = { authorization: `Bearer ${keys.token}`, 'content-type': 'application/json' };
  const agent = { authorization: `Bearer ${keys.site.secretKey}`, 'x-closeloop-agent': keys.agentId, 'content-type': 'application/json' };
  const step = (path, headers, input) => ({
    method: 'POST',
    path: `/trpc/${path}`,
    headers,
    setupRequest: (req, context) => ({ ...req, body: JSON.stringify(input(context)) }),
    onResponse: (status, resBody, context) => {
      if (path === 'tickets.create') context.ticketId = JSON.parse(resBody).result.data.id;
    },
  });
  return load({
    url,
    connections,
    duration,
    requests: [
      step('tickets.create', customer, () => JSON.parse(body)),
      step('agent.tickets.reply', agent, (c) => ({ ticketId: c.ticketId, message: 'Try this' })),
      step('tickets.reply', customer, (c) => ({ ticketId: c.ticketId, message: 'Did not help' })),
      step('agent.tickets.resolve', agent, (c) => ({ ticketId: c.ticketId })),
      step('tickets.confirmResolution', customer, (c) => ({ ticketId: c.ticketId, rating: 5 })),
    ],
  });
}
