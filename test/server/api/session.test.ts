import { describe, expect, it } from 'vitest';
import { errorCode, signTestIdentity, useTestServer, type TestServer } from '../../helpers/test-server.js';

describe('customer sessions', () => {
  let t: TestServer;
  useTestServer((server) => (t = server));

  it('starts an anonymous session with an opaque token of at least 128 random bits', async () => {
    const a = await t.customer();
    const b = await t.customer();
    expect(a.token).not.toBe(b.token);
    expect(Buffer.from(a.token.replace(/^cls_/, ''), 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(a.customer).toMatchObject({ verified: false, externalId: null });
    expect(a.site.name).toBe('Test shop');
  });

  it('stores the token hashed, never as given', async () => {
    const { token } = await t.customer();
    const { rawCount } = await import('../../helpers/raw-database.js');
    expect(await rawCount(t, 'select count(*) n from customer_sessions where token_hash = ?', [token])).toBe(0);
  });

  it('verifies a customer with the site backend’s identity token and keeps their tickets across sessions', async () => {
    const first = await t.customer({ userId: 'user-42', email: 'kai@example.com', name: 'Kai' });
    expect(first.customer).toMatchObject({ verified: true, externalId: 'user-42', email: 'kai@example.com', name: 'Kai' });
    const ticket = await first.api.tickets.create.mutate({ subject: 'Invoice', message: 'Wrong amount' });
    const second = await t.customer({ userId: 'user-42' });
    expect(second.customer.id).toBe(first.customer.id);
    expect((await second.api.tickets.list.query()).items.map((x) => x.id)).toEqual([ticket.id]);
  });

  it('refuses expired, unsigned (alg none), wrongly signed and other-site identity tokens with UNAUTHORIZED', async () => {
    const now = t.clock.now();
    const other = await t.otherSite();
    const good = signTestIdentity(t.site.secretKey, { sub: 'u1' }, now);
    const [h, p] = good.split('.');
    const tokens = {
      expired: signTestIdentity(t.site.secretKey, { sub: 'u1', exp: Math.floor(now / 1000) - 1 }, now),
      noExp: signTestIdentity(t.site.secretKey, { sub: 'u1', exp: undefined }, now),
      algNone: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`,
      badSignature: `${h}.${p}.${'A'.repeat(43)}`,
      otherSite: signTestIdentity(other.secretKey, { sub: 'u1' }, now),
      garbage: 'not-a-jwt',
    };
    for (const [name, identity] of Object.entries(tokens)) {
      const code = await errorCode(t.client(() => ({})).session.start.mutate({ siteKey: t.site.siteKey, identity }));
      expect(code, name).toBe('UNAUTHORIZED');
    }
  });

  it('records when the identity expires, and keeps the session working as the same customer after that', async () => {
    const now = t.clock.now();
    const c = await t.customer({ userId: 'user-exp' });
    const session = await t.store.sessionByToken(c.token);
    expect(session!.session.identityExpiresAt).toBe((Math.floor(now / 1000) + 3600) * 1000);
    const ticket = await c.api.tickets.create.mutate({ subject: 'Before expiry', message: 'x' });

    t.clock.advance(2 * 3_600_000);
    // The token proved who they were when the session began; the session lives until it is ended.
    expect((await c.api.tickets.list.query()).items.map((x) => x.id)).toContain(ticket.id);
    await c.api.session.end.mutate();
    expect(await errorCode(c.api.tickets.list.query())).toBe('UNAUTHORIZED');
    // Signing in again needs a fresh token: the old one has expired.
    const stale = signTestIdentity(t.site.secretKey, { sub: 'user-exp' }, now);
    expect(await errorCode(t.client(() => ({})).session.start.mutate({ siteKey: t.site.siteKey, identity: stale }))).toBe('UNAUTHORIZED');
  });

  it('refuses an unknown site key', async () => {
    expect(await errorCode(t.client(() => ({})).session.start.mutate({ siteKey: 'pk_nope' }))).toBe('UNAUTHORIZED');
  });

  it('shows an anonymous visitor who types someone’s email none of that person’s tickets', async () => {
    const owner = await t.customer({ userId: 'owner-1', email: 'owner@example.com' });
    await owner.api.tickets.create.mutate({ subject: 'Private', message: 'My address is…' });
    const stranger = await t.customer();
    await stranger.api.tickets.create.mutate({ subject: 'Hi', message: 'Hello', email: 'owner@example.com' });
    const seen = await stranger.api.tickets.list.query();
    expect(seen.items.map((x) => x.subject)).toEqual(['Hi']);
  });

  it('ends a session: the token stops working at once', async () => {
    const c = await t.customer();
    await c.api.session.end.mutate();
    expect(await errorCode(c.api.tickets.list.query())).toBe('UNAUTHORIZED');
  });

  it('refuses customer calls without a session', async () => {
    expect(await errorCode(t.client(() => ({})).tickets.list.query())).toBe('UNAUTHORIZED');
    expect(await errorCode(t.client(() => ({ authorization: 'Bearer cls_forged' })).tickets.list.query())).toBe('UNAUTHORIZED');
  });
});
