import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../../server/index.js';
import { freshTestDatabase } from '../../helpers/test-server.js';

describe('mounting inside an existing Node app', () => {
  it('serves the API from the host app’s own HTTP server through `handle`', async () => {
    const fresh = await freshTestDatabase();
    const closeloop = createServer({ ...fresh.database, sweepIntervalMs: 0 });
    const site = await closeloop.store.createSite({ name: 'Mounted', origins: ['http://host.test'] }, Date.now());
    const host = http.createServer((req, res) => {
      if (req.url === '/') return res.end('host home');
      return closeloop.handle(req, res);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${base}/`)).text()).toBe('host home');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const res = await fetch(`${base}/trpc/session.start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ siteKey: site.siteKey }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { result: { data: { token: string } } }).result.data.token).toMatch(/^cls_/);
    } finally {
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
      await closeloop.close();
      await fresh.cleanup();
    }
  });
});
