import { EventSource } from 'eventsource';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient, createCustomerClient } from '../../sdk/index.js';
import { DAY, useTestServer, type TestServer } from '../helpers/test-server.js';

describe('the agent client', () => {
  let t: TestServer;
  let agent: ReturnType<typeof createAgentClient>;
  let ada: string;
  useTestServer((server) => (t = server));
  beforeAll(async () => {
    const anonymous = createAgentClient({ url: t.url, secretKey: t.site.secretKey, EventSource });
    ada = (await anonymous.agents.upsert({ email: 'ada@shop.test', name: 'Ada' })).id;
    agent = anonymous.as(ada);
  });

  const customerTicket = async (subject = 'Help') => {
    t.clock.advance(1000);
    const c = createCustomerClient({ url: t.url, siteKey: t.site.siteKey });
    return { c, ticket: await c.tickets.create({ subject, message: 'Please' }) };
  };

  it('runs every agent action, recorded as the acting agent', async () => {
    const { ticket } = await customerTicket();
    const ticketId = ticket.id;
    expect((await agent.tickets.note({ ticketId, message: 'internal' })).status).toBe('new');
    expect((await agent.tickets.assign({ ticketId, agentId: ada })).assigneeId).toBe(ada);
    expect((await agent.tickets.setPriority({ ticketId, priority: 'urgent' })).priority).toBe('urgent');
    expect((await agent.tickets.reply({ ticketId, message: 'On it' })).status).toBe('answered');
    expect((await agent.tickets.postpone({ ticketId, until: new Date(t.clock.now() + DAY) })).status).toBe('postponed');
    expect((await agent.tickets.resolve({ ticketId, message: 'Done' })).status).toBe('resolved');
    await agent.site.update({ agentsMayClose: true });
    expect((await agent.tickets.close({ ticketId })).status).toBe('closed');
    expect((await agent.tickets.reopen({ ticketId })).status).toBe('open');
    expect((await agent.tickets.markSpam({ ticketId })).status).toBe('spam');
    expect((await agent.tickets.unspam({ ticketId })).status).toBe('open');
    expect((await agent.tickets.delete({ ticketId })).status).toBe('deleted');
    expect((await agent.tickets.restore({ ticketId })).status).toBe('open');
    await agent.tickets.delete({ ticketId });
    expect(await agent.tickets.purge({ ticketId })).toEqual({ id: ticketId, purged: true });
    expect(await agent.tickets.get({ ticketId }).catch((e: { code: string }) => e.code)).toBe('NOT_FOUND');
  });

  it('creates tickets for users, gets them with the full timeline, and iterates every page', async () => {
    const created = await agent.tickets.create({ customer: { id: 'u-1', email: 'u1@example.com' }, subject: 'By phone', message: 'Called in' });
    const full = await agent.tickets.get({ ticketId: created.id });
    expect(full.ticket.customer).toMatchObject({ externalId: 'u-1' });
    expect(full.timeline.map((i) => i.kind)).toEqual(['event', 'message']);
    for (let i = 0; i < 4; i++) await customerTicket(`Iterate ${i}`);
    const seen: string[] = [];
    for await (const ticket of agent.tickets.iterate({ q: 'Iterate', limit: 3 })) seen.push(ticket.subject);
    expect(seen).toEqual(['Iterate 3', 'Iterate 2', 'Iterate 1', 'Iterate 0']);
    expect((await agent.tickets.list({ customerExternalId: 'u-1' })).items.map((x) => x.id)).toEqual([created.id]);
  });

  it('reads and changes the site’s rules, and lists agents', async () => {
    expect((await agent.site.get()).id).toBe(t.site.id);
    expect((await agent.site.update({ reopenWindowDays: 7, remindAfterHours: 48 })).remindAfterHours).toBe(48);
    expect((await agent.agents.list()).map((a) => a.id)).toContain(ada);
  });

  it('hears every change on the site live', async () => {
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    let arrived!: (type: string) => void;
    const got = new Promise<string>((resolve) => (arrived = resolve));
    const stop = agent.subscribe((change) => arrived(`${change.type}:${change.ticket?.subject}`), {
      lastEventId: String(await t.store.maxEventId()),
      onStarted: () => started(),
    });
    await ready;
    await customerTicket('Live one');
    expect(await got).toBe('created:Live one');
    stop();
  });

  it('refuses a wrong secret key with UNAUTHORIZED', async () => {
    const wrong = createAgentClient({ url: t.url, secretKey: 'sk_wrong' });
    expect(await wrong.tickets.list().catch((e: { code: string; status: number }) => [e.code, e.status])).toEqual(['UNAUTHORIZED', 401]);
  });
});
