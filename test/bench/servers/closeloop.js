// The server under test, in its own process: prints {"port"} once listening,
// then answers IPC requests: {cmd: 'rss'}, {cmd: 'gc'} (a full collection) and {cmd: 'sweep'}.
import { createServer } from '../../../dist/server/index.js';

const [db] = process.argv.slice(2);
const server = createServer({
  db,
  sweepIntervalMs: 0,
  webhookIntervalMs: 0,
  logError: () => {},
  // The bench drives everything from one address; the limits would only measure themselves.
  rateLimits: { anonymousSessions: { limit: 1e9, windowMs: 60_000 }, ticketCreates: { limit: 1e9, windowMs: 60_000 } },
});
const { port } = await server.listen(0, '127.0.0.1');
process.send?.({ ready: true, port });
process.on('SIGINT', () => process.exit(0));
process.on('message', async (message) => {
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
