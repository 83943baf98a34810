import { describe, expect, it } from 'vitest';
import { errorCode, HOUR, useTestServer, type TestServer } from '../../helpers/test-server.js';

const MIN = 60_000;

describe('"to solve" and service levels', () => {
  let t: TestServer;
  useTestServer((server) => (t = server));

  it('counts targets in business hours, pausing while postponed or resolved', async () => {
    const ada = await t.agent();
    // The test clock starts on Monday 5 January 2026, 09:00 UTC (11:00 in Tallinn).
    await ada.api.agent.site.update.mutate({
      sla: {
        targets: [{ priority: 'normal', firstReplyMinutes: 240, resolutionMinutes: 600 }],
        schedule: { timeZone: 'Europe/Tallinn', weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day: day as 'mon', from: '09:00', to: '17:00' })), holidays: ['2026-01-06'] },
      },
    });
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Broken', message: 'It broke' });
    const a = ada.api.agent.tickets;
    let { ticket } = await a.get.query({ ticketId });
    // 11:00 + 4 business hours = 15:00 Tallinn; 10 hours: Monday's 6, Tuesday is a holiday, then 4 on Wednesday (13:00).
    expect(ticket.sla).toEqual({ firstReplyDueAt: '2026-01-05T13:00:00.000Z', nextReplyDueAt: null, resolutionDueAt: '2026-01-07T11:00:00.000Z', breached: [] });
    t.clock.advance(HOUR);
    await a.postpone.mutate({ ticketId, until: '2026-01-07T09:00:00Z' });
    ({ ticket } = await a.get.query({ ticketId }));
    expect(ticket.sla).toMatchObject({ firstReplyDueAt: null, resolutionDueAt: null });
    // Woken on Wednesday 11:00 Tallinn with 1 hour spent: 3 hours left for the first reply, 9 to resolve.
    t.clock.set(Date.parse('2026-01-07T09:00:00Z'));
    await t.server.sweep();
    ({ ticket } = await a.get.query({ ticketId }));
    expect(ticket.status).toBe('new');
    expect(ticket.sla).toMatchObject({ firstReplyDueAt: '2026-01-07T12:00:00.000Z', resolutionDueAt: '2026-01-08T10:00:00.000Z' });
    await a.resolve.mutate({ ticketId, message: 'Fixed' });
    ({ ticket } = await a.get.query({ ticketId }));
    expect(ticket.sla).toMatchObject({ firstReplyDueAt: null, resolutionDueAt: null, breached: [] });
    // Nothing runs while the customer is asked to confirm: no breach however long they take.
    t.clock.advance(60 * HOUR);
    await t.server.sweep();
    expect((await a.get.query({ ticketId })).ticket.sla.breached).toEqual([]);
  });

  it('hands each of ten agents asking at once a different ticket, then the most urgent, then the longest waiting', async () => {
    await (await t.agent()).api.agent.site.update.mutate({ sla: { targets: [{ priority: 'urgent', firstReplyMinutes: 15 }, { priority: 'normal', firstReplyMinutes: 240 }] } });
    const agents = await Promise.all(Array.from({ length: 10 }, (_, i) => t.agent({ name: `Agent ${i}`, email: `agent${i}@shop.test` })));
    const boss = agents[0]!.api.agent.tickets;
    // Put the first test's ticket aside so only these count.
    for (const old of (await boss.list.query({ status: ['new', 'open', 'resolved'] })).items) await boss.markSpam.mutate({ ticketId: old.id });
    const created: string[] = [];
    for (let i = 0; i < 8; i++) {
      t.clock.advance(MIN);
      const c = await t.customer();
      created.push((await c.api.tickets.create.mutate({ subject: `Case ${i}`, message: 'Help' })).id);
    }
    await boss.assign.mutate({ ticketId: created[6]!, agentId: agents[9]!.id });

    // All at once: nobody gets a ticket another got, each gets it assigned, and nothing is left unassigned.
    const handed = await Promise.all(agents.map((a) => a.api.agent.tickets.next.mutate()));
    const ids = handed.flatMap((h) => (h ? [h.id] : []));
    expect(new Set(ids).size).toBe(ids.length);
    handed.forEach((h, i) => h && expect(h.assigneeId).toBe(agents[i]!.id));
    expect(ids.length).toBeGreaterThanOrEqual(7);
    expect((await boss.list.query({ status: ['new', 'open'], assigneeId: null })).items).toEqual([]);

    // One at a time: the most urgent first (an urgent ticket is due in 15 minutes, a normal one in 4 hours)…
    const free = async (...ticketIds: string[]) => {
      for (const ticketId of ticketIds) await boss.assign.mutate({ ticketId, agentId: null });
    };
    await free(created[0]!, created[3]!);
    await boss.setPriority.mutate({ ticketId: created[3]!, priority: 'urgent' });
    const asker = agents[1]!.api.agent.tickets;
    await free(...handed.flatMap((h, i) => (h && i === 1 ? [h.id] : [])));
    expect((await asker.next.mutate())?.id).toBe(created[3]);
    // …then the nearest due date: the oldest normal ticket.
    await boss.resolve.mutate({ ticketId: created[3]! });
    await free(created[5]!);
    expect((await asker.next.mutate())?.id).toBe(created[0]);
  });

  it('needs to know which agent is asking', async () => {
    const anonymous = t.client(() => ({ authorization: `Bearer ${t.site.secretKey}` }));
    expect(await errorCode(anonymous.agent.tickets.next.mutate())).toBe('VALIDATION');
  });
});
