import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { ORIGIN, rawPost, startTestServer, useTestServer, type TestServer } from '../../helpers/test-server.js';

describe('the HTTP edge', () => {
  let t: TestServer;
  useTestServer((server) => (t = server));

  it('answers /healthz with 200, and unknown paths with a JSON 404', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const res = await fetch(`${t.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { data: { code: 'NOT_FOUND' } } });
  });

  it('echoes a site’s allowed origin exactly (never *) and sends other origins no CORS headers at all', async () => {
    const pre = await fetch(`${t.url}/trpc/session.start`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');

    const evilPre = await fetch(`${t.url}/trpc/session.start`, { method: 'OPTIONS', headers: { origin: 'http://evil.test' } });
    expect(evilPre.headers.get('access-control-allow-origin')).toBeNull();

    const ok = await rawPost(t.url, 'session.start', { siteKey: t.site.siteKey }, { origin: ORIGIN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(ok.headers.get('vary')).toContain('Origin');

    const evil = await rawPost(t.url, 'session.start', { siteKey: t.site.siteKey }, { origin: 'http://evil.test' });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a customer token used from an origin the token’s site does not allow', async () => {
    const other = await t.otherSite();
    const c = await t.customer();
    const res = await fetch(`${t.url}/trpc/tickets.list`, { headers: { authorization: `Bearer ${c.token}`, origin: other.origins[0]! } });
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toContain('FORBIDDEN');
  });

  it('refuses unknown input keys such as status or siteId, changing nothing', async () => {
    const c = await t.customer();
    const res = await rawPost(t.url, 'tickets.create', { subject: 'x', message: 'y', status: 'closed' }, { authorization: `Bearer ${c.token}` });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { data: { code: 'VALIDATION' } } });
    expect((await c.api.tickets.list.query()).items).toEqual([]);
    const bad = await rawPost(t.url, 'tickets.create', { subject: 'x', message: '', siteId: 'site_x' }, { authorization: `Bearer ${c.token}` });
    expect(JSON.parse(bad.text).error.data.code).toBe('VALIDATION');
  });

  it('names the invalid field in a VALIDATION error', async () => {
    const c = await t.customer();
    const res = await rawPost(t.url, 'tickets.create', { subject: 'x', message: 'y', email: 'not-an-email' }, { authorization: `Bearer ${c.token}` });
    expect(JSON.parse(res.text).error.data).toMatchObject({ code: 'VALIDATION', field: 'email' });
  });

  it('refuses an oversized body with 413 before doing any work', async () => {
    const c = await t.customer();
    const huge = JSON.stringify({ subject: 'x', message: 'a'.repeat(300 * 1024) });
    const res = await rawPost(t.url, 'tickets.create', huge, { authorization: `Bearer ${c.token}` });
    expect(res.status).toBe(413);
    expect((await c.api.tickets.list.query()).items).toEqual([]);
  });

  it('refuses a batch larger than the maximum with 400', async () => {
    const c = await t.customer();
    const paths = Array.from({ length: 21 }, () => 'tickets.list').join(',');
    const res = await fetch(`${t.url}/trpc/${paths}?batch=1&input=${encodeURIComponent('{}')}`, { headers: { authorization: `Bearer ${c.token}` } });
    expect(res.status).toBe(400);
  });

  it('rate-limits anonymous sessions and ticket creation per IP with RATE_LIMITED', async () => {
    const fresh = await startTestServer({
      rateLimits: { anonymousSessions: { limit: 2, windowMs: 60_000 }, ticketCreates: { limit: 2, windowMs: 60_000 } },
    });
    try {
      const c = await fresh.customer();
      await fresh.customer();
      const third = await rawPost(fresh.url, 'session.start', { siteKey: fresh.site.siteKey });
      expect(third.status).toBe(429);
      expect(JSON.parse(third.text).error.data.code).toBe('RATE_LIMITED');
      // A verified visitor is not limited as an anonymous one.
      await fresh.customer({ userId: 'known' });

      await c.api.tickets.create.mutate({ subject: 'a', message: 'a' });
      await c.api.tickets.create.mutate({ subject: 'b', message: 'b' });
      const res = await rawPost(fresh.url, 'tickets.create', { subject: 'c', message: 'c' }, { authorization: `Bearer ${c.token}` });
      expect(res.status).toBe(429);
      expect((await c.api.tickets.list.query()).items).toHaveLength(2);
      fresh.clock.advance(61_000);
      await c.api.tickets.create.mutate({ subject: 'd', message: 'd' });
    } finally {
      await fresh.close();
    }
  });

  it('behind a proxy (CLOSELOOP_TRUST_PROXY=1) counts each customer by the address the proxy forwards, and otherwise ignores the header', async () => {
    const limits = { anonymousSessions: { limit: 1, windowMs: 60_000 }, ticketCreates: { limit: 1, windowMs: 60_000 } };
    process.env.CLOSELOOP_TRUST_PROXY = '1';
    const proxied = await startTestServer({ rateLimits: limits }).finally(() => delete process.env.CLOSELOOP_TRUST_PROXY);
    const direct = await startTestServer({ rateLimits: limits });
    try {
      const begin = (s: TestServer, from: string) => rawPost(s.url, 'session.start', { siteKey: s.site.siteKey }, { origin: ORIGIN, 'x-forwarded-for': from });
      expect((await begin(proxied, '203.0.113.1')).status).toBe(200);
      expect((await begin(proxied, '203.0.113.2, 10.0.0.1')).status).toBe(200);
      expect((await begin(proxied, '203.0.113.1')).status).toBe(429);
      // Without trust, a forged header buys nothing: both come from 127.0.0.1.
      expect((await begin(direct, '203.0.113.1')).status).toBe(200);
      expect((await begin(direct, '203.0.113.2')).status).toBe(429);
    } finally {
      await proxied.close();
      await direct.close();
    }
  });

  it('tells a person who opens the API in a browser what it serves, and answers the favicon without a 404', async () => {
    const about = await fetch(`${t.url}/`);
    expect(about.status).toBe(200);
    expect(about.headers.get('content-type')).toMatch(/^text\/html/);
    expect(about.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await about.text();
    for (const served of ['/trpc/', '/widget.js', '/healthz']) expect(page).toContain(served);
    expect((await fetch(`${t.url}/favicon.ico`)).status).toBe(204);
  });

  it('answers TRACE and other methods it does not serve with 405, logging nothing', async () => {
    const logged: string[] = [];
    const quiet = await startTestServer({ logError: (message) => logged.push(message) });
    try {
      for (const [method, path] of [['TRACE', '/trpc/tickets.list'], ['PUT', '/trpc/tickets.create'], ['DELETE', '/healthz'], ['PATCH', '/widget.js']] as const) {
        const res = await new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
          const req = http.request(`${quiet.url}${path}`, { method }, (answer) => {
            let body = '';
            answer.on('data', (chunk: Buffer) => (body += chunk));
            answer.on('end', () => resolve({ status: answer.statusCode!, allow: answer.headers.allow, body }));
          });
          req.on('error', reject);
          req.end();
        });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.allow).toBe('GET, HEAD, POST, OPTIONS');
        expect(JSON.parse(res.body)).toMatchObject({ error: { data: { code: 'VALIDATION', httpStatus: 405 } } });
      }
      expect(logged).toEqual([]);
    } finally {
      await quiet.close();
    }
  });

  it('marks every JSON answer nosniff, errors and successes alike', async () => {
    const c = await t.customer();
    for (const res of [
      await fetch(`${t.url}/trpc/tickets.list`, { headers: { authorization: `Bearer ${c.token}` } }),
      await fetch(`${t.url}/trpc/tickets.list`),
      await fetch(`${t.url}/trpc/nope.nothing`),
      await fetch(`${t.url}/nope`),
      await fetch(`${t.url}/healthz`),
    ]) {
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
    }
  });

  it('refuses the secret key from a browser: agent calls, stream tickets and streams that carry an Origin', async () => {
    const agent = { authorization: `Bearer ${t.site.secretKey}` };
    expect((await fetch(`${t.url}/trpc/agent.tickets.list`, { headers: agent })).status).toBe(200);
    for (const origin of [ORIGIN, 'http://evil.test', 'null']) {
      const list = await fetch(`${t.url}/trpc/agent.tickets.list`, { headers: { ...agent, origin } });
      expect(list.status).toBe(403);
      expect(await list.json()).toMatchObject({ error: { data: { code: 'FORBIDDEN' } } });
      const ticket = await rawPost(t.url, 'agent.streamTicket', {}, { ...agent, origin });
      expect(ticket.status).toBe(403);
    }
    const { ticket } = JSON.parse((await rawPost(t.url, 'agent.streamTicket', {}, agent)).text).result.data as { ticket: string };
    const params = new URLSearchParams({ connectionParams: JSON.stringify({ streamTicket: ticket }) });
    const stream = await fetch(`${t.url}/trpc/agent.tickets.onChange?${params}`, { headers: { origin: ORIGIN } });
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('serialized-error')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('"code":"FORBIDDEN"');
    await reader.cancel();
  });

  it('never lists the agent header in a CORS preflight', async () => {
    const pre = await fetch(`${t.url}/trpc/agent.tickets.list`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, x-closeloop-agent' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(pre.headers.get('access-control-allow-headers')).not.toMatch(/x-closeloop-agent/i);
  });

  it('answers an unexpected failure with a generic message and a correlation id that is also in the log line', async () => {
    const logged: string[] = [];
    const broken = await startTestServer({ logError: (message) => logged.push(message) });
    const c = await broken.customer();
    await broken.store.close();
    const res = await fetch(`${broken.url}/trpc/tickets.list`, { headers: { authorization: `Bearer ${c.token}` } });
    const text = await res.text();
    expect(res.status).toBe(500);
    const { correlationId } = JSON.parse(text).error.data as { correlationId: string };
    expect(correlationId).toMatch(/^[0-9a-f]{16}$/);
    expect(logged).toEqual([`closeloop: tickets.list failed [${correlationId}]`]);
    await broken.server.close().catch(() => {});
  });

  it('answers an unexpected failure with a generic message: no stack, SQL or paths', async () => {
    const broken = await startTestServer();
    const c = await broken.customer();
    await broken.store.close();
    const res = await fetch(`${broken.url}/trpc/tickets.list`, { headers: { authorization: `Bearer ${c.token}` } });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ error: { message: 'Internal server error', data: { code: 'INTERNAL' } } });
    expect(text).not.toMatch(/stack|sqlite|select|\/work|node_modules|\.ts/i);
    await broken.server.close().catch(() => {});
  });
});
