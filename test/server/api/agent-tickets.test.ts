import { beforeAll, describe, expect, it } from 'vitest';
import { DAY, errorCode, failure, HOUR, useTestServer, type TestServer } from '../../helpers/test-server.js';
import { rawCount, rawRows } from '../../helpers/raw-database.js';

describe('agent procedures', () => {
  let t: TestServer;
  let ada: Awaited<ReturnType<TestServer['agent']>>;
  useTestServer((server) => (t = server));
  beforeAll(async () => {
    ada = await t.agent({ name: 'Ada', email: 'ada@shop.test' });
  });

  const newTicket = async (subject = 'Help') => {
    t.clock.advance(1000);
    const c = await t.customer();
    return { c, ticket: await c.api.tickets.create.mutate({ subject, message: 'Please help' }) };
  };

  it('refuses agent calls without the secret key, with a customer token, or naming an unknown agent', async () => {
    expect(await errorCode(t.client(() => ({})).agent.tickets.list.query())).toBe('UNAUTHORIZED');
    expect(await errorCode(t.client(() => ({ authorization: 'Bearer sk_wrong' })).agent.tickets.list.query())).toBe('UNAUTHORIZED');
    const c = await t.customer();
    expect(await errorCode(c.api.agent.tickets.list.query())).toBe('UNAUTHORIZED');
    const impostor = t.client(() => ({ authorization: `Bearer ${t.site.secretKey}`, 'x-closeloop-agent': 'ag_nobody' }));
    expect(await errorCode(impostor.agent.tickets.list.query())).toBe('UNAUTHORIZED');
  });

  it('upserts agents by email and lists them', async () => {
    const again = await t.agent({ name: 'Ada Lovelace', email: 'ada@shop.test' });
    expect(again.id).toBe(ada.id);
    const list = await ada.api.agent.agents.list.query();
    expect(list).toContainEqual(expect.objectContaining({ id: ada.id, name: 'Ada Lovelace' }));
  });

  it('creates a ticket on behalf of a site user, who then sees it when they sign in', async () => {
    const input = {
      customer: { id: 'crm-77', email: 'lea@example.com', name: 'Lea' },
      subject: 'Phone call: refund',
      message: 'Lea called about a refund',
      idempotencyKey: 'call-2026-0001',
    };
    const ticket = await ada.api.agent.tickets.create.mutate(input);
    expect(ticket).toMatchObject({ status: 'new', customer: { externalId: 'crm-77', email: 'lea@example.com', verified: true } });
    expect((await ada.api.agent.tickets.create.mutate(input)).id).toBe(ticket.id);
    expect(await errorCode(ada.api.agent.tickets.create.mutate({ ...input, subject: 'Other' }))).toBe('IDEMPOTENCY_MISMATCH');
    const lea = await t.customer({ userId: 'crm-77' });
    expect((await lea.api.tickets.list.query()).items.map((x) => x.id)).toEqual([ticket.id]);
    const first = (await lea.api.tickets.get.query({ ticketId: ticket.id })).timeline.find((i) => i.kind === 'message');
    expect(first).toMatchObject({ author: { kind: 'customer' }, body: 'Lea called about a refund' });
  });

  it('records who did what: every action an event with the acting agent and a timestamp', async () => {
    const { ticket } = await newTicket();
    const ticketId = ticket.id;
    const a = ada.api.agent.tickets;
    t.clock.advance(HOUR);
    await a.note.mutate({ ticketId, message: 'Looks like the cache' });
    await a.assign.mutate({ ticketId, agentId: ada.id });
    await a.setPriority.mutate({ ticketId, priority: 'high' });
    await a.reply.mutate({ ticketId, message: 'Clear your cache' });
    const until = new Date(t.clock.now() + DAY).toISOString();
    expect((await a.postpone.mutate({ ticketId, until })).status).toBe('postponed');
    expect((await a.resolve.mutate({ ticketId })).status).toBe('resolved');
    expect((await a.reopen.mutate({ ticketId, reason: 'Customer called' })).status).toBe('open');
    const full = await a.get.query({ ticketId });
    expect(full.ticket).toMatchObject({ assigneeId: ada.id, priority: 'high', status: 'open' });
    const events = full.timeline.filter((i) => i.kind === 'event');
    expect(events.map((e) => e.type)).toEqual(['created', 'assigned', 'priority_changed', 'postponed', 'resolved', 'reopened']);
    for (const e of events.slice(1)) expect(e).toMatchObject({ actor: { kind: 'agent', name: expect.stringContaining('Ada') } });
    expect(full.timeline).toContainEqual(expect.objectContaining({ kind: 'message', internal: true, body: 'Looks like the cache' }));
    expect(full.timeline.every((i) => typeof i.at === 'string' && !Number.isNaN(Date.parse(i.at)))).toBe(true);
  });

  it('refuses an illegal action with ILLEGAL_TRANSITION naming the status and action, changing nothing', async () => {
    const { ticket } = await newTicket();
    const error = await failure(ada.api.agent.tickets.unspam.mutate({ ticketId: ticket.id }));
    expect(error.data).toMatchObject({ code: 'ILLEGAL_TRANSITION', from: 'new', action: 'unspam' });
    expect((await ada.api.agent.tickets.get.query({ ticketId: ticket.id })).ticket.version).toBe(1);
  });

  it('closes a resolved ticket only when the site lets agents close', async () => {
    const { ticket } = await newTicket();
    await ada.api.agent.tickets.resolve.mutate({ ticketId: ticket.id });
    expect(await errorCode(ada.api.agent.tickets.close.mutate({ ticketId: ticket.id }))).toBe('FORBIDDEN');
    await ada.api.agent.site.update.mutate({ agentsMayClose: true });
    expect((await ada.api.agent.tickets.close.mutate({ ticketId: ticket.id })).status).toBe('closed');
    await ada.api.agent.site.update.mutate({ agentsMayClose: false });
  });

  it('refuses to assign to someone who is not an agent of the site', async () => {
    const { ticket } = await newTicket();
    expect(await errorCode(ada.api.agent.tickets.assign.mutate({ ticketId: ticket.id, agentId: 'ag_ghost' }))).toBe('VALIDATION');
  });

  it('marks spam and unspams back; deletes and restores back; purges leaving only a content-free record', async () => {
    const { ticket } = await newTicket('Spammy');
    const a = ada.api.agent.tickets;
    await a.reply.mutate({ ticketId: ticket.id, message: 'Hi' });
    expect((await a.markSpam.mutate({ ticketId: ticket.id })).status).toBe('spam');
    expect((await a.unspam.mutate({ ticketId: ticket.id })).status).toBe('answered');
    expect((await a.delete.mutate({ ticketId: ticket.id })).status).toBe('deleted');
    expect((await a.restore.mutate({ ticketId: ticket.id })).status).toBe('answered');
    expect(await errorCode(a.purge.mutate({ ticketId: ticket.id }))).toBe('ILLEGAL_TRANSITION');
    await a.delete.mutate({ ticketId: ticket.id });
    expect(await a.purge.mutate({ ticketId: ticket.id })).toEqual({ id: ticket.id, purged: true });
    expect(await errorCode(a.get.query({ ticketId: ticket.id }))).toBe('NOT_FOUND');

    const left = (table: string, column: string) => rawCount(t, `select count(*) n from ${table} where ${column} = ?`, [ticket.id]);
    expect([await left('tickets', 'id'), await left('messages', 'ticket_id'), await left('events', 'ticket_id')]).toEqual([0, 0, 0]);
    const [record] = await rawRows(t, 'select * from purge_records where ticket_id = ?', [ticket.id]);
    expect(record).toMatchObject({ ticket_id: ticket.id, actor_kind: 'agent', actor_id: ada.id });
    expect(Object.keys(record as object).sort()).toEqual(['actor_id', 'actor_kind', 'at', 'id', 'site_id', 'ticket_id']);
  });

  it('lists the site’s tickets with filters (status, assignee, customer, subject text) and cursor paging', async () => {
    const { c, ticket: printer } = await newTicket('Printer on fire');
    const { ticket: mail } = await newTicket('Mail bounces');
    const { ticket: spam } = await newTicket('Cheap printer ink');
    await ada.api.agent.tickets.assign.mutate({ ticketId: mail.id, agentId: ada.id });
    await ada.api.agent.tickets.markSpam.mutate({ ticketId: spam.id });
    const list = (input: Parameters<typeof ada.api.agent.tickets.list.query>[0]) =>
      ada.api.agent.tickets.list.query(input).then((p) => p.items.map((x) => x.id));

    expect(await list({ q: 'printer' })).toEqual([printer.id]);
    expect(await list({ q: 'printer', status: ['new', 'spam'] })).toEqual([spam.id, printer.id]);
    expect(await list({ assigneeId: ada.id })).toContain(mail.id);
    expect(await list({ assigneeId: ada.id })).not.toContain(printer.id);
    expect(await list({ customerId: c.customer.id })).toEqual([printer.id]);
    expect(await list({ q: '100%_' })).toEqual([]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ada.api.agent.tickets.list.query({ limit: 3, cursor });
      seen.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = await ada.api.agent.tickets.list.query({ limit: 100 });
    expect(seen).toEqual(all.items.map((x) => x.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('reads and updates the site’s own rules, validating them', async () => {
    const site = await ada.api.agent.site.get.query();
    expect(site).toMatchObject({ autoCloseAfterHours: 72, reopenWindowDays: 30, agentsMayClose: false, origins: ['http://shop.test'] });
    expect(site).not.toHaveProperty('secretKey');
    const updated = await ada.api.agent.site.update.mutate({ autoCloseAfterHours: 1.5, reopenWindowDays: 0.25, origins: ['https://shop.test/path'] });
    expect(updated).toMatchObject({ autoCloseAfterHours: 1.5, reopenWindowDays: 0.25, origins: ['https://shop.test'] });
    expect(await errorCode(ada.api.agent.site.update.mutate({ autoCloseAfterHours: -1 }))).toBe('VALIDATION');
    expect(await errorCode(ada.api.agent.site.update.mutate({ origins: ['javascript:alert(1)'] }))).toBe('VALIDATION');
    await ada.api.agent.site.update.mutate({ autoCloseAfterHours: 72, reopenWindowDays: 30, origins: ['http://shop.test'] });
  });

  it('refuses a postpone into the past', async () => {
    const { ticket } = await newTicket();
    const until = new Date(t.clock.now() - HOUR).toISOString();
    const error = await failure(ada.api.agent.tickets.postpone.mutate({ ticketId: ticket.id, until }));
    expect(error.data).toMatchObject({ code: 'VALIDATION', field: 'until' });
  });
});
