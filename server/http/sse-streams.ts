/**
 * Live streams in tRPC's SSE wire format (what `httpSubscriptionLink` reads),
 * written straight to the socket. tRPC's adapter pipes each stream through a
 * Fetch Response, three web streams and several async generators: about
 * 100 KB per open connection. Open widgets sit idle for hours, so that is
 * what decides how many fit in one process.
 */
import type http from 'node:http';
import { isTrackedEnvelope } from '@trpc/server/unstable-core-do-not-import';

// The header and frame layout of tRPC's sseStreamProducer.
const HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};
const frame = (fields: { event?: string; data: string; id?: string }) =>
  `${fields.event === undefined ? '' : `event: ${fields.event}\n`}data: ${fields.data}\n${fields.id === undefined ? '' : `id: ${fields.id}\n`}\n\n`;
const PING = frame({ event: 'ping', data: '' });
const RETURN = frame({ event: 'return', data: '' });

export interface SseOptions {
  /** A ping to every open stream this often, so proxies keep quiet streams open. */
  pingMs: number;
  /** What the `connected` event tells the client (its reconnect-after-silence time). */
  client: object;
}

export function createSseStreams(options: SseOptions) {
  const open = new Set<http.ServerResponse>();
  const connected = frame({ event: 'connected', data: JSON.stringify(options.client) });
  let pinger: NodeJS.Timeout | null = null;

  function track(res: http.ServerResponse) {
    open.add(res);
    if (!pinger) {
      pinger = setInterval(() => {
        for (const stream of open) stream.write(PING);
      }, options.pingMs);
      pinger.unref();
    }
  }
  function untrack(res: http.ServerResponse) {
    open.delete(res);
    if (open.size === 0 && pinger) {
      clearInterval(pinger);
      pinger = null;
    }
  }

  /**
   * Streams what `start` returns until it ends, fails, or the client goes.
   * A failure (before or during the stream) is sent as a `serialized-error` event.
   */
  async function stream(
    res: http.ServerResponse,
    headers: Record<string, string>,
    start: (signal: AbortSignal) => Promise<AsyncIterable<unknown>>,
    formatError: (cause: unknown) => unknown,
  ) {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const send = (text: string) => {
      if (!abort.signal.aborted) res.write(text);
    };
    let iterable: AsyncIterable<unknown> | null = null;
    let failure: { cause: unknown } | null = null;
    try {
      iterable = await start(abort.signal);
    } catch (cause) {
      failure = { cause };
    }
    res.writeHead(200, { ...headers, ...HEADERS });
    send(connected);
    track(res);
    try {
      if (failure) throw failure.cause;
      for await (const value of iterable!) {
        if (abort.signal.aborted) break;
        send(isTrackedEnvelope(value) ? frame({ data: JSON.stringify(value[1]), id: String(value[0]) }) : frame({ data: JSON.stringify(value) }));
      }
      send(RETURN);
    } catch (cause) {
      send(frame({ event: 'serialized-error', data: JSON.stringify(formatError(cause)) }));
    } finally {
      untrack(res);
      res.end();
    }
  }

  return {
    stream,
    get openCount() {
      return open.size;
    },
  };
}
