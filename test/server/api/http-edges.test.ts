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
