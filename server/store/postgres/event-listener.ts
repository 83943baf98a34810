import pg from 'pg';
import type { PostgresTarget } from './open-postgres.js';

const CHANNEL = 'closeloop_events';

/**
 * One LISTEN connection for the process: `onEvent` runs whenever any server commits
 * events (the trigger in migration 0001 sends their ids). A dropped connection is
 * reopened with backoff, and `onEvent` runs once more on reconnecting, since
 * notifications sent meanwhile are lost (the events table has them all).
 * Resolves with a function that stops listening.
 */
export async function listenForEvents(target: PostgresTarget, onEvent: () => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let retryMs = 250;
  let timer: NodeJS.Timeout | null = null;

  async function connect() {
    const next = new pg.Client({ connectionString: target.connectionString });
    next.on('notification', () => onEvent());
    next.on('error', () => reconnect(next));
    next.on('end', () => reconnect(next));
    await next.connect();
    await next.query(`LISTEN ${CHANNEL}`);
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    retryMs = 250;
  }

  function reconnect(failed: pg.Client) {
    if (stopped || client !== failed) return;
    client = null;
    failed.end().catch(() => undefined);
    const attempt = () => {
      timer = null;
      connect()
        .then(() => onEvent())
        .catch(() => {
          retryMs = Math.min(retryMs * 2, 10_000);
          if (!stopped) timer = setTimeout(attempt, retryMs);
        });
    };
    timer = setTimeout(attempt, retryMs);
  }

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const open = client;
    client = null;
    await open?.end().catch(() => undefined);
  };
}
