import { EventSource } from 'eventsource';
import { beforeAll, describe, expect, it } from 'vitest';
import { CloseloopError, createAgentClient, createCustomerClient, signIdentity } from '../../sdk/index.js';
import { useTestServer, type TestServer } from '../helpers/test-server.js';

describe('the customer client', () => {
  let t: TestServer;
  let agent: ReturnType<typeof createAgentClient>;
  useTestServer((server) => (t = server));
  beforeAll(async () => {
    agent = createAgentClient({ url: t.url, secretKey: t.site.secretKey });
  });

  const customer = (extra: Partial<Parameters<typeof createCustomerClient>[0]> = {}) =>
    createCustomerClient({ url: t.url, siteKey: t.site.siteKey, EventSource, ...extra });

  it('starts a session on first use and exposes its token to persist and resume', async () => {
    const client = customer();
    expect(client.session.token).toBeNull();
    const created = await client.tickets.create({ subject: 'Hello', message: 'First message' });
    expect(client.session.token).toMatch(/^cls_/);
    expect(client.session.customer).toMatchObject({ verified: false });

    const resumed = customer({ token: client.session.token! });
    expect((await resumed.tickets.list()).items.map((x) => x.id)).toEqual([created.id]);
    expect(await resumed.getToken()).toBe(client.session.token);
  });

  it('signs a user in with an identity token made by signIdentity', async () => {
    const identity = await signIdentity(t.site.secretKey, { id: 'user-7', email: 'mo@example.com', name: 'Mo' }, { now: t.clock.now() });
    const client = customer({ identity });
    await client.getToken();
    expect(client.session.customer).toMatchObject({ verified: true, externalId: 'user-7', email: 'mo@example.com', name: 'Mo' });
  });

  it('binds an identity token to this site with audience, and refuses to sign one that lives over 24 hours', async () => {
    const identity = await signIdentity(t.site.secretKey, { id: 'user-aud' }, { now: t.clock.now(), audience: t.site.siteKey });
    const client = customer({ identity });
    await client.getToken();
    expect(client.session.customer).toMatchObject({ verified: true, externalId: 'user-aud' });
    await expect(signIdentity(t.site.secretKey, { id: 'x' }, { expiresInSeconds: 86_401 })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('covers the whole customer lifecycle with typed methods', async () => {
    const client = customer();
    const ticket = await client.tickets.create({ subject: 'Broken export', message: 'CSV is empty' });
    await agent.tickets.reply({ ticketId: ticket.id, message: 'Fixed?' });
    expect((await client.tickets.get({ ticketId: ticket.id })).ticket.unread).toBe(true);
    expect((await client.tickets.markRead({ ticketId: ticket.id })).unread).toBe(false);
    expect((await client.tickets.reply({ ticketId: ticket.id, message: 'No' })).status).toBe('open');
    await agent.tickets.resolve({ ticketId: ticket.id });
    expect((await client.tickets.rejectResolution({ ticketId: ticket.id, message: 'Still empty' })).status).toBe('open');
    await agent.tickets.resolve({ ticketId: ticket.id });
    expect((await client.tickets.confirmResolution({ ticketId: ticket.id })).status).toBe('closed');
    expect((await client.tickets.rate({ ticketId: ticket.id, rating: 4, comment: 'ok' })).rating).toBe(4);
    expect((await client.tickets.reopen({ ticketId: ticket.id, reason: 'Again' })).status).toBe('open');
    await agent.tickets.resolve({ ticketId: ticket.id });
    await client.tickets.confirmResolution({ ticketId: ticket.id });
    const followUp = await client.tickets.createFollowUp({ ticketId: ticket.id, message: 'Related' });
    expect(followUp.followUpOf).toBe(ticket.id);
  });

  it('throws one CloseloopError class with the spec code, HTTP status and details', async () => {
    const client = customer();
    const error = await client.tickets.get({ ticketId: 'tk_nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloseloopError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const invalid = await client.tickets.create({ subject: '', message: 'x' }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'VALIDATION', status: 400, data: { field: 'subject' } });
  });

  it('retries network failures for idempotent calls, never for others', async () => {
    const client = customer();
    const { id: ticketId } = await client.tickets.create({ subject: 'Flaky', message: 'x' });
    let failuresLeft = 0;
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (failuresLeft-- > 0) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const viaFlaky = customer({ token: client.session.token!, fetch: flaky });

    failuresLeft = 2;
    calls = 0;
    expect((await viaFlaky.tickets.list()).items).toHaveLength(1);
    expect(calls).toBe(3);

    failuresLeft = 1;
    calls = 0;
    const created = await viaFlaky.tickets.create({ subject: 'Retried create', message: 'x' });
    expect(calls).toBe(2);
    expect((await client.tickets.list()).items.filter((x) => x.id === created.id)).toHaveLength(1);

    failuresLeft = 1;
    calls = 0;
    const error = await viaFlaky.tickets.reply({ ticketId, message: 'once' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NETWORK', status: 0 });
    expect(calls).toBe(1);
  });

  it('hears live changes and stops when unsubscribed', async () => {
    const client = customer();
    const { id: ticketId } = await client.tickets.create({ subject: 'Live', message: 'x' });
    const heard: string[] = [];
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    let arrived!: () => void;
    const got = new Promise<void>((resolve) => (arrived = resolve));
    const stop = client.subscribe(
      (change) => {
        heard.push(`${change.type}:${change.ticket.status}`);
        arrived();
      },
      { lastEventId: String(await t.store.maxEventId()), onStarted: () => started() },
    );
    await ready;
    await agent.tickets.reply({ ticketId, message: 'Hi' });
    await got;
    stop();
    expect(heard).toEqual(['replied:answered']);
  });

  it('ends the session for good', async () => {
    const client = customer();
    await client.tickets.list();
    const token = client.session.token!;
    await client.endSession();
    expect(client.session.token).toBeNull();
    const stale = customer({ token });
    expect(await stale.tickets.list().catch((e: CloseloopError) => e.code)).toBe('UNAUTHORIZED');
  });
});
