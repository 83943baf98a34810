import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSseStreams } from '../../../server/http/sse-streams.js';

describe('live streams', () => {
  let server: http.Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** A server whose one stream waits for the client to leave; `gone` settles when the stream is done. */
  async function serve(pingMs: number) {
    const streams = createSseStreams({ pingMs, client: { reconnectAfterInactivityMs: 25_000 } });
    let left!: () => void;
    const gone = new Promise<void>((resolve) => (left = resolve));
    server = http.createServer((_req, res) => {
      void streams
        .stream(
          res,
          {},
          async (signal) =>
            (async function* quiet() {
              await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
              yield* [];
            })(),
          () => null,
        )
        .then(left);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { streams, gone, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it('pings a quiet stream so proxies keep it open, and lets go of it when the client leaves', async () => {
    const { streams, gone, url } = await serve(10);
    const abort = new AbortController();
    const res = await fetch(url, { signal: abort.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: ping')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text.startsWith('event: connected\ndata: {"reconnectAfterInactivityMs":25000}\n\n\n')).toBe(true);
    expect(streams.openCount).toBe(1);
    abort.abort();
    await gone;
    expect(streams.openCount).toBe(0);
  });
});
