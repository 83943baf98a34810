// The server under test, in its own process: prints {"port"} once listening,
// then answers IPC requests: {cmd: 'rss'}, {cmd: 'gc'} (a full collection), {cmd: 'sweep'},
// and {cmd: 'loop'}: since the last ask, the event loop's delay and the time from each
// request's arrival to its answer's last byte (p99 and max, ms).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createServer } from '../../../dist/server/index.js';

// A file path, or a postgres:// URL.
const [target] = process.argv.slice(2);
const server = createServer({
  ...(/^postgres(ql)?:\/\//.test(target) ? { databaseUrl: target } : { db: target }),
  sweepIntervalMs: 0,
  webhookIntervalMs: 0,
  logError: () => {},
  // The bench drives everything from one address; the limits would only measure themselves.
  rateLimits: { anonymousSessions: { limit: 1e9, windowMs: 60_000 }, ticketCreates: { limit: 1e9, windowMs: 60_000 } },
});
const { port } = await server.listen(0, '127.0.0.1');
process.send?.({ ready: true, port });
process.on('SIGINT', () => process.exit(0));
// Time from a request's arrival to its answer's last byte, as the server sees it.
let served = [];
server.server.prependListener('request', (req, res) => {
  const at = performance.now();
  res.once('finish', () => served.push(performance.now() - at));
});
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
process.on('message', async (message) => {
  if (message.cmd === 'loop') {
    served.sort((a, b) => a - b);
    const servedP99 = served.length ? +served[Math.floor(served.length * 0.99)].toFixed(1) : 0;
    const servedMax = served.length ? +served[served.length - 1].toFixed(1) : 0;
    process.send?.({ loopP99: +(loop.percentile(99) / 1e6).toFixed(1), loopMax: +(loop.max / 1e6).toFixed(1), servedP99, servedMax });
    served = [];
    loop.reset();
  }
  if (message.cmd === 'rss') process.send?.({ rss: process.memoryUsage().rss });
  if (message.cmd === 'gc') {
    globalThis.gc?.();
    process.send?.({ collected: true });
  }
  if (message.cmd === 'sweep') {
    const started = performance.now();
    const changes = await server.sweep();
    process.send?.({ swept: changes.length, ms: performance.now() - started });
  }
});
