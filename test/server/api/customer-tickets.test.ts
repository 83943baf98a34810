import { beforeAll, describe, expect, it } from 'vitest';
import { DAY, errorCode, failure, HOUR, useTestServer, type TestServer } from '../../helpers/test-server.js';

describe('a customer’s tickets', () => {
  let t: TestServer;
  let agent: Awaited<ReturnType<TestServer['agent']>>;
  useTestServer((server) => (t = server));
  beforeAll(async () => {
    agent = await t.agent();
  });

  it('opens a ticket as new, with its first message in the thread and the actions the customer may take', async () => {
    const c = await t.customer();
    const ticket = await c.api.tickets.create.mutate({ subject: '  Login fails ', message: 'I get error 500', email: 'ana@example.com', name: 'Ana' });
    expect(ticket).toMatchObject({ subject: 'Login fails', status: 'new', version: 1, allowedActions: ['reply'], unread: false });
    const view = await c.api.tickets.get.query({ ticketId: ticket.id });
    expect(view.timeline.map((i) => (i.kind === 'message' ? `message: ${i.body}` : `event: ${i.type}`))).toEqual([
      'event: created',
      'message: I get error 500',
    ]);
    expect(view.timeline[1]).toMatchObject({ author: { kind: 'customer', name: 'Ana' } });
  });

  it('walks the whole lifecycle: answered, reply, resolved, confirmed (closed, rated), reopened', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Export', message: 'CSV export is empty' });
    t.clock.advance(HOUR);
    await agent.api.agent.tickets.reply.mutate({ ticketId, message: 'Which browser?' });
    let ticket = (await c.api.tickets.get.query({ ticketId })).ticket;
    expect(ticket).toMatchObject({ status: 'answered', unread: true });
    expect((await c.api.tickets.markRead.mutate({ ticketId })).unread).toBe(false);

    ticket = await c.api.tickets.reply.mutate({ ticketId, message: 'Firefox' });
    expect(ticket.status).toBe('open');
    await agent.api.agent.tickets.resolve.mutate({ ticketId, message: 'Fixed in 2.3' });
    ticket = (await c.api.tickets.get.query({ ticketId })).ticket;
    expect(ticket.status).toBe('resolved');
    expect(ticket.allowedActions).toEqual(['reply', 'confirmResolution', 'rejectResolution']);
    expect(ticket.autoCloseAt).toBe(new Date(t.clock.now() + 72 * HOUR).toISOString());

    ticket = await c.api.tickets.confirmResolution.mutate({ ticketId, rating: 5, comment: 'Quick!' });
    expect(ticket).toMatchObject({ status: 'closed', rating: 5, ratingComment: 'Quick!' });
    expect(ticket.allowedActions).toEqual(['reply', 'reopen', 'createFollowUp']);
    expect(ticket.reopenUntil).toBe(new Date(t.clock.now() + 30 * DAY).toISOString());

    ticket = await c.api.tickets.reopen.mutate({ ticketId, reason: 'Empty again' });
    expect(ticket).toMatchObject({ status: 'open', reopenCount: 1, rating: null });
    const types = (await c.api.tickets.get.query({ ticketId })).timeline.filter((i) => i.kind === 'event').map((i) => i.type);
    expect(types).toEqual(['created', 'resolved', 'resolution_confirmed', 'reopened']);
  });

  it('rejects a resolution with a message, back to open', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Sync', message: 'Sync stalls' });
    await agent.api.agent.tickets.resolve.mutate({ ticketId });
    const ticket = await c.api.tickets.rejectResolution.mutate({ ticketId, message: 'Still stalls at 99%' });
    expect(ticket.status).toBe('open');
    const last = (await c.api.tickets.get.query({ ticketId })).timeline.at(-1);
    expect(last).toMatchObject({ kind: 'message', body: 'Still stalls at 99%' });
    expect(await errorCode(c.api.tickets.rejectResolution.mutate({ ticketId, message: '   ' }))).toBe('VALIDATION');
  });

  it('rates a closure once when it was not rated at confirmation', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Rate me', message: 'x' });
    await agent.api.agent.tickets.resolve.mutate({ ticketId });
    await c.api.tickets.confirmResolution.mutate({ ticketId });
    expect((await c.api.tickets.rate.mutate({ ticketId, rating: 4 })).rating).toBe(4);
    expect(await errorCode(c.api.tickets.rate.mutate({ ticketId, rating: 5 }))).toBe('ILLEGAL_TRANSITION');
    expect(await errorCode(c.api.tickets.rate.mutate({ ticketId, rating: 6 }))).toBe('VALIDATION');
  });

  it('after the reopen window offers a follow-up ticket that links back, instead of a reopen', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Billing', message: 'Charged twice' });
    await agent.api.agent.tickets.resolve.mutate({ ticketId });
    await c.api.tickets.confirmResolution.mutate({ ticketId });
    t.clock.advance(31 * DAY);
    expect(await errorCode(c.api.tickets.reopen.mutate({ ticketId }))).toBe('REOPEN_WINDOW_EXPIRED');
    expect(await errorCode(c.api.tickets.reply.mutate({ ticketId, message: 'Again!' }))).toBe('REOPEN_WINDOW_EXPIRED');
    expect((await c.api.tickets.get.query({ ticketId })).ticket.allowedActions).toEqual(['rate', 'createFollowUp']);

    const followUp = await c.api.tickets.createFollowUp.mutate({ ticketId, message: 'Charged twice again' });
    expect(followUp).toMatchObject({ subject: 'Follow-up: Billing', status: 'new', followUpOf: ticketId });
    const old = await c.api.tickets.get.query({ ticketId });
    expect(old.ticket.status).toBe('closed');
    expect(old.timeline.at(-1)).toMatchObject({ kind: 'event', type: 'follow_up_created', data: { followUpId: followUp.id } });
  });

  it('returns the first ticket when a create is retried with the same idempotency key, and refuses the key for another body', async () => {
    const c = await t.customer();
    const input = { subject: 'Double click', message: 'Submitted twice?', idempotencyKey: 'key-12345678' };
    const first = await c.api.tickets.create.mutate(input);
    const retry = await c.api.tickets.create.mutate(input);
    expect(retry.id).toBe(first.id);
    expect((await c.api.tickets.list.query()).items).toHaveLength(1);
    expect(await errorCode(c.api.tickets.create.mutate({ ...input, message: 'Different' }))).toBe('IDEMPOTENCY_MISMATCH');
    expect((await c.api.tickets.list.query()).items).toHaveLength(1);
  });

  it('refuses an action naming an old version with VERSION_CONFLICT, changing nothing', async () => {
    const c = await t.customer();
    const created = await c.api.tickets.create.mutate({ subject: 'Race', message: 'x' });
    await agent.api.agent.tickets.reply.mutate({ ticketId: created.id, message: 'Hello' });
    expect(await errorCode(c.api.tickets.reply.mutate({ ticketId: created.id, message: 'late', expectedVersion: created.version }))).toBe(
      'VERSION_CONFLICT',
    );
    const now = await c.api.tickets.get.query({ ticketId: created.id });
    expect(now.ticket.version).toBe(2);
    expect(now.timeline.filter((i) => i.kind === 'message')).toHaveLength(2);
    expect((await c.api.tickets.reply.mutate({ ticketId: created.id, message: 'ok', expectedVersion: 2 })).version).toBe(3);
  });

  it('lets customer A neither read nor act on customer B’s ticket, and changes nothing', async () => {
    const a = await t.customer();
    const b = await t.customer();
    const { id: ticketId } = await b.api.tickets.create.mutate({ subject: 'Mine', message: 'secret' });
    await agent.api.agent.tickets.resolve.mutate({ ticketId });
    expect(await errorCode(a.api.tickets.get.query({ ticketId }))).toBe('NOT_FOUND');
    expect(await errorCode(a.api.tickets.reply.mutate({ ticketId, message: 'hijack' }))).toBe('NOT_FOUND');
    expect(await errorCode(a.api.tickets.confirmResolution.mutate({ ticketId }))).toBe('NOT_FOUND');
    expect(await errorCode(a.api.tickets.markRead.mutate({ ticketId }))).toBe('NOT_FOUND');
    expect(await errorCode(a.api.tickets.createFollowUp.mutate({ ticketId, message: 'x' }))).toBe('NOT_FOUND');
    const view = await b.api.tickets.get.query({ ticketId });
    expect(view.ticket).toMatchObject({ status: 'resolved', version: 2 });
  });

  it('keeps a ticket of another site out of reach, even for a verified user with the same id', async () => {
    const other = await t.otherSite();
    const there = await t.customer({ userId: 'same-user', siteKey: other.siteKey, secretKey: other.secretKey });
    const { id: ticketId } = await there.api.tickets.create.mutate({ subject: 'Other site', message: 'x' });
    const here = await t.customer({ userId: 'same-user' });
    expect((await here.api.tickets.list.query()).items).toEqual([]);
    expect(await errorCode(here.api.tickets.get.query({ ticketId }))).toBe('NOT_FOUND');
    expect(await errorCode(agent.api.agent.tickets.get.query({ ticketId }))).toBe('NOT_FOUND');
    expect(await errorCode(agent.api.agent.tickets.reply.mutate({ ticketId, message: 'x' }))).toBe('NOT_FOUND');
  });

  it('makes spam and deleted tickets look exactly like tickets that do not exist', async () => {
    const c = await t.customer();
    const spam = await c.api.tickets.create.mutate({ subject: 'Buy pills', message: 'x' });
    const gone = await c.api.tickets.create.mutate({ subject: 'Oops', message: 'x' });
    await agent.api.agent.tickets.markSpam.mutate({ ticketId: spam.id });
    await agent.api.agent.tickets.delete.mutate({ ticketId: gone.id });
    expect((await c.api.tickets.list.query()).items).toEqual([]);
    for (const ticketId of [spam.id, gone.id, 'tk_never_existed']) {
      expect(await errorCode(c.api.tickets.get.query({ ticketId }))).toBe('NOT_FOUND');
      expect(await errorCode(c.api.tickets.reply.mutate({ ticketId, message: 'hello?' }))).toBe('NOT_FOUND');
    }
    await agent.api.agent.tickets.restore.mutate({ ticketId: gone.id });
    expect((await c.api.tickets.list.query()).items.map((x) => x.id)).toEqual([gone.id]);
  });

  it('never lets an internal note or agent-only event reach the customer', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'VIP', message: 'Help' });
    await agent.api.agent.tickets.note.mutate({ ticketId, message: 'Customer is on the legacy plan' });
    await agent.api.agent.tickets.assign.mutate({ ticketId, agentId: agent.id });
    await agent.api.agent.tickets.setPriority.mutate({ ticketId, priority: 'urgent' });
    await agent.api.agent.tickets.postpone.mutate({ ticketId, until: new Date(t.clock.now() + DAY).toISOString() });
    const view = await c.api.tickets.get.query({ ticketId });
    const list = await c.api.tickets.list.query();
    for (const seen of [JSON.stringify(view), JSON.stringify(list)]) {
      expect(seen).not.toContain('legacy plan');
      expect(seen).not.toContain('urgent');
      expect(seen).not.toContain('postponed');
      expect(seen).not.toContain(agent.id);
    }
    expect(view.ticket.status).toBe('open');
    expect(view.timeline.map((i) => i.kind)).toEqual(['event', 'message']);
  });

  it('lists newest activity first, with keyset paging that neither skips nor repeats', async () => {
    const c = await t.customer();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      t.clock.advance(1000);
      ids.push((await c.api.tickets.create.mutate({ subject: `T${i}`, message: 'x' })).id);
    }
    t.clock.advance(1000);
    await agent.api.agent.tickets.reply.mutate({ ticketId: ids[1]!, message: 'bump' });
    const page1 = await c.api.tickets.list.query({ limit: 2 });
    const page2 = await c.api.tickets.list.query({ limit: 2, cursor: page1.nextCursor! });
    const page3 = await c.api.tickets.list.query({ limit: 2, cursor: page2.nextCursor! });
    expect([...page1.items, ...page2.items, ...page3.items].map((x) => x.subject)).toEqual(['T1', 'T4', 'T3', 'T2', 'T0']);
    expect(page3.nextCursor).toBeNull();
    expect(await errorCode(c.api.tickets.list.query({ cursor: 'garbage' }))).toBe('VALIDATION');
  });

  it('answers a customer in customer words: a postponed ticket is open, also in refusals', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Later', message: 'x' });
    await agent.api.agent.tickets.postpone.mutate({ ticketId, until: new Date(t.clock.now() + DAY).toISOString() });
    const error = await failure(c.api.tickets.confirmResolution.mutate({ ticketId }));
    expect(JSON.stringify(error.data)).not.toContain('postponed');
    expect(error.message).not.toContain('postponed');
    expect((await c.api.tickets.reply.mutate({ ticketId, message: 'ping' })).status).toBe('open');
  });
});

describe('the list’s one-line preview', () => {
  let t: TestServer;
  useTestServer((server) => (t = server));

  it('shows the first line of the newest public message, never an internal note', async () => {
    const c = await t.customer();
    const agent = await t.agent();
    const ticket = await c.api.tickets.create.mutate({ subject: 'Preview', message: 'First line\nsecond line' });
    expect(ticket.preview).toBe('First line');
    await agent.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'We are on it.\nMore detail.' });
    await agent.api.agent.tickets.note.mutate({ ticketId: ticket.id, message: 'SECRET: refund without asking' });
    const [listed] = (await c.api.tickets.list.query()).items;
    expect(listed!.preview).toBe('We are on it.');
    expect(JSON.stringify(await c.api.tickets.list.query())).not.toContain('SECRET');
  });
});

describe('what a ticket was opened from', () => {
  let t: TestServer;
  useTestServer((server) => (t = server));

  const context = {
    pageUrl: 'https://shop.test/orders/1042?tab=items#access_token=abc',
    userAgent: 'Mozilla/5.0 (Test)',
    language: 'et-EE',
    fields: { plan: 'pro', orderId: '1042' },
  };

  it('reaches agents (page, browser, language, the site’s fields) and never the customer; the URL drops its fragment', async () => {
    const c = await t.customer();
    const agent = await t.agent();
    const ticket = await c.api.tickets.create.mutate({ subject: 'Context', message: 'x', context });
    expect(JSON.stringify(ticket)).not.toContain('1042');
    expect(JSON.stringify(await c.api.tickets.get.query({ ticketId: ticket.id }))).not.toContain('Mozilla');
    const { ticket: seen } = await agent.api.agent.tickets.get.query({ ticketId: ticket.id });
    expect(seen.context).toEqual({ ...context, pageUrl: 'https://shop.test/orders/1042?tab=items' });
  });

  it('drops the query string too where the site says so', async () => {
    const agent = await t.agent();
    await agent.api.agent.site.update.mutate({ contextKeepsQuery: false });
    try {
      const c = await t.customer();
      const ticket = await c.api.tickets.create.mutate({ subject: 'No query', message: 'x', context });
      expect((await agent.api.agent.tickets.get.query({ ticketId: ticket.id })).ticket.context?.pageUrl).toBe('https://shop.test/orders/1042');
    } finally {
      await agent.api.agent.site.update.mutate({ contextKeepsQuery: true });
    }
  });

  it('refuses context that is not a web page, too large or too many fields, creating nothing', async () => {
    const c = await t.customer();
    const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, 'x']));
    for (const bad of [
      { pageUrl: 'javascript:alert(1)' },
      { fields: { plan: 'x'.repeat(501) } },
      { fields: tooMany },
      { fields: { 'bad name!': 'x' } },
      { secret: 'x' },
    ]) {
      expect(await errorCode(c.api.tickets.create.mutate({ subject: 'Bad', message: 'x', context: bad as unknown as typeof context }))).toBe('VALIDATION');
    }
    expect((await c.api.tickets.list.query()).items).toEqual([]);
    // And says what is wrong, in words a developer can act on.
    const bad = await failure(c.api.tickets.create.mutate({ subject: 'Bad', message: 'x', context: { fields: { 'bad name!': 'x' } } }));
    expect(bad.message).toBe('context.fields: field names are 1–40 letters, digits, dots, dashes or underscores');
    expect((await failure(c.api.tickets.create.mutate({ subject: 'Bad', message: 'x', context: { pageUrl: 'javascript:alert(1)' } }))).message).toBe(
      'context.pageUrl: must be an http(s) address',
    );
  });
});
