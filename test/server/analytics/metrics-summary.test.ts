import { beforeAll, describe, expect, it } from 'vitest';
import { rebuildMetrics } from '../../../server/analytics/rebuild-metrics.js';
import { errorCode, HOUR, useTestServer, type TestServer } from '../../helpers/test-server.js';

const MIN = 60_000;

/**
 * Four tickets with a known history, every time written out, and the figures a
 * support lead should read for it, worked out by hand.
 */
describe('the metrics summary', () => {
  let t: TestServer;
  let ada: Awaited<ReturnType<TestServer['agent']>>;
  let t0: number;
  let customerB: Awaited<ReturnType<TestServer['customer']>>;
  const ids: Record<'A' | 'B' | 'C' | 'D', string> = { A: '', B: '', C: '', D: '' };
  useTestServer((server) => (t = server));

  const at = (minutes: number) => t.clock.set(t0 + minutes * MIN);
  const summary = (input: { groupBy?: 'day' | 'topic' | 'tag' | 'priority' | 'assignee' | 'week'; filters?: Record<string, unknown> } = {}) =>
    ada.api.agent.metrics.summary.query({ from: new Date(t0).toISOString(), to: new Date(t0 + 5000 * MIN).toISOString(), ...input });

  beforeAll(async () => {
    ada = await t.agent();
    await ada.api.agent.site.update.mutate({
      topics: [
        { id: 'orders', labels: { en: 'Orders', et: 'Tellimused', it: 'Ordini' } },
        { id: 'billing', labels: { en: 'Billing', et: 'Arved', it: 'Fatture' } },
      ],
      sla: { targets: [{ priority: 'normal', firstReplyMinutes: 60, nextReplyMinutes: 60, resolutionMinutes: 480 }] },
    });
    await ada.api.agent.webhooks.create.mutate({ url: 'http://127.0.0.1:9/hooks', events: ['ticket.sla_breached'] });
    t0 = t.clock.now();
    const a = ada.api.agent.tickets;
    const [ca, cb, cc] = [await t.customer(), await t.customer(), await t.customer()];
    customerB = cb;

    at(0);
    ids.A = (await ca.api.tickets.create.mutate({ subject: 'Where is my parcel?', message: 'Order 42', topicId: 'orders' })).id;
    at(30);
    await a.reply.mutate({ ticketId: ids.A, message: 'On its way' });
    at(60);
    ids.B = (await cb.api.tickets.create.mutate({ subject: 'Charged twice', message: 'Twice!', topicId: 'billing' })).id;
    at(120);
    await a.resolve.mutate({ ticketId: ids.A });
    ids.C = (await cc.api.tickets.create.mutate({ subject: 'Login', message: 'Cannot sign in' })).id;
    at(121);
    await t.server.sweep(); // B's first reply was due at 120
    at(130);
    await a.reply.mutate({ ticketId: ids.C, message: 'Try again' });
    at(140);
    await a.resolve.mutate({ ticketId: ids.C });
    at(150);
    await cc.api.tickets.confirmResolution.mutate({ ticketId: ids.C });
    at(160);
    await cc.api.tickets.reopen.mutate({ ticketId: ids.C, reason: 'Still broken' });
    at(180);
    await a.reply.mutate({ ticketId: ids.B, message: 'Looking into it' });
    await ca.api.tickets.confirmResolution.mutate({ ticketId: ids.A, rating: 5 });
    at(190);
    ids.D = (await ca.api.tickets.createFollowUp.mutate({ ticketId: ids.A, message: 'One more thing' })).id;
    at(240);
    await cb.api.tickets.reply.mutate({ ticketId: ids.B, message: 'Any news?' });
    at(300);
    await a.resolve.mutate({ ticketId: ids.B, message: 'Refunded' });
    at(360);
    await cb.api.tickets.rejectResolution.mutate({ ticketId: ids.B, message: 'Not yet' });
    at(420);
    await a.resolve.mutate({ ticketId: ids.B });
    at(420 + 72 * 60);
    await t.server.sweep(); // auto-closes B; C's next reply and resolution, D's first reply and resolution are late
    await t.server.sweep(); // nothing is recorded twice
  });

  it('adds up the lifecycle: created, resolved, closed by whom, reopened', async () => {
    const { totals } = await summary();
    expect(totals).toMatchObject({ created: 4, resolved: 4, closed: 3, closedByCustomer: 2, autoClosed: 1, closedByAgent: 0, reopened: 1 });
  });

  it('times first replies, full resolutions and the requester wait (nearest-rank p50 and p90)', async () => {
    const { totals } = await summary();
    expect(totals.firstReplyMs).toEqual({ p50: 30 * MIN, p90: 120 * MIN });
    expect(totals.fullResolutionMs).toEqual({ p50: 120 * MIN, p90: 360 * MIN });
    expect(totals.requesterWaitMs).toEqual({ p50: 30 * MIN, p90: 240 * MIN });
    // No business hours set: every hour counts.
    expect(totals.firstReplyMsBusiness).toEqual(totals.firstReplyMs);
  });

  it("reads the customer's answers: confirmed, rejected, left to auto-close, reopened, followed up", async () => {
    const { totals } = await summary();
    expect(totals).toMatchObject({
      confirmationRate: 2 / 4,
      rejectionRate: 1 / 4,
      autoCloseShare: 1 / 3,
      reopenRate: 1 / 3,
      followUpRate: 1 / 3,
      oneTouchResolutions: 2,
      ratings: 1,
      csatAverage: 5,
      csatSatisfiedShare: 1,
    });
  });

  it('records each missed target once, as an agent-only event and a webhook', async () => {
    const { totals } = await summary();
    expect(totals.slaBreaches).toBe(5);
    const b = await ada.api.agent.tickets.get.query({ ticketId: ids.B });
    expect(b.ticket.sla.breached).toEqual(['firstReply']);
    expect(b.timeline.filter((i) => i.kind === 'event' && i.type === 'sla_breached')).toHaveLength(1);
    const c = await ada.api.agent.tickets.get.query({ ticketId: ids.C });
    expect([...c.ticket.sla.breached].sort()).toEqual(['nextReply', 'resolution']);
    const seenByCustomer = await customerB.api.tickets.get.query({ ticketId: ids.B });
    expect(seenByCustomer.timeline.some((i) => i.kind === 'event' && i.type === 'sla_breached')).toBe(false);
    // One delivery per breach event; targets missed at the same sweep share one.
    const deliveries = (await ada.api.agent.webhooks.deliveries.query({ limit: 100 })).items.filter((d) => d.type === 'ticket.sla_breached');
    const missed = deliveries.map((d) => (d.payload as { data: { ticket: { id: string }; event: { data: { names: string[] } } } }).data);
    expect(missed.map((m) => [m.ticket.id, [...m.event.data.names].sort()]).sort()).toEqual(
      [
        [ids.B, ['firstReply']],
        [ids.C, ['nextReply', 'resolution']],
        [ids.D, ['firstReply', 'resolution']],
      ].sort(),
    );
  });

  it('shows the backlog now: unsolved tickets by status and age', async () => {
    const { totals } = await summary();
    expect(totals).toMatchObject({
      backlog: 2,
      backlogNew: 1,
      backlogOpen: 1,
      backlogAnswered: 0,
      backlogPostponed: 0,
      backlogUnder1d: 0,
      backlog1to3d: 0,
      backlog3to7d: 2,
      backlog7to30d: 0,
      backlogOver30d: 0,
    });
  });

  it('groups by topic (every topic listed) and by day (quiet days as zero)', async () => {
    const byTopic = await summary({ groupBy: 'topic' });
    const topic = (key: string | null) => byTopic.groups!.find((g) => g.key === key)!;
    expect(topic('orders')).toMatchObject({ created: 2, resolved: 1, closedByCustomer: 1, followUpRate: 1 });
    expect(topic('billing')).toMatchObject({ created: 1, resolved: 2, autoClosed: 1, rejectionRate: 0.5 });
    expect(topic(null)).toMatchObject({ created: 1, reopenRate: 1 });
    const byDay = await summary({ groupBy: 'day' });
    expect(byDay.groups!.map((g) => [g.key, g.created, g.autoClosed])).toEqual([
      ['2026-01-05', 4, 0],
      ['2026-01-06', 0, 0],
      ['2026-01-07', 0, 0],
      ['2026-01-08', 0, 1],
    ]);
  });

  it('groups by week (from Monday), by priority (all four listed) and by assignee (null: nobody)', async () => {
    const byWeek = await summary({ groupBy: 'week' });
    expect(byWeek.groups!.map((g) => [g.key, g.created, g.closed])).toEqual([['2026-01-05', 4, 3]]);
    const byPriority = await summary({ groupBy: 'priority' });
    expect(byPriority.groups!.map((g) => [g.key, g.created])).toEqual([['low', 0], ['normal', 4], ['high', 0], ['urgent', 0]]);
    const byAssignee = await summary({ groupBy: 'assignee' });
    expect(byAssignee.groups!.map((g) => [g.key, g.created])).toEqual([[null, 4]]);
  });

  it('filters by topic, and by tag once agents tag tickets', async () => {
    expect((await summary({ filters: { topicId: 'billing' } })).totals.created).toBe(1);
    await ada.api.agent.tickets.setTags.mutate({ ticketId: ids.C, tags: ['login', 'VIP'] });
    await ada.api.agent.tickets.setTags.mutate({ ticketId: ids.B, tags: ['vip'] });
    expect((await summary({ filters: { tag: 'vip' } })).totals.created).toBe(2);
    const byTag = await summary({ groupBy: 'tag' });
    // Keys in order, none last: the same order on every database.
    expect(byTag.groups!.map((g) => [g.key, g.created])).toEqual([['login', 1], ['vip', 2], [null, 2]]);
    expect(byTag.totals.created).toBe(4);
    const list = await ada.api.agent.tickets.list.query({ tag: 'vip' });
    expect(list.items.map((i) => i.id).sort()).toEqual([ids.B, ids.C].sort());
  });

  it('moves a ticket between topics in the figures when an agent changes its topic', async () => {
    await ada.api.agent.tickets.setTopic.mutate({ ticketId: ids.C, topicId: 'orders' });
    expect((await summary({ filters: { topicId: 'orders' } })).totals.created).toBe(3);
    expect((await ada.api.agent.tickets.list.query({ topicId: 'orders' })).items).toHaveLength(3);
    expect(await errorCode(ada.api.agent.tickets.setTopic.mutate({ ticketId: ids.C, topicId: 'nope' }))).toBe('VALIDATION');
    await ada.api.agent.tickets.setTopic.mutate({ ticketId: ids.C, topicId: null });
  });

  it('gives the same figures after `metrics rebuild` recomputes them from the events', async () => {
    const before = [await summary(), await summary({ groupBy: 'topic' }), await summary({ groupBy: 'day' }), await summary({ groupBy: 'tag' })];
    expect(await rebuildMetrics(t.store, { batchSize: 3 })).toBe(4);
    const after = [await summary(), await summary({ groupBy: 'topic' }), await summary({ groupBy: 'day' }), await summary({ groupBy: 'tag' })];
    expect(after).toEqual(before);
  });

  it('refuses a range backwards or too long, naming the field', async () => {
    const from = new Date(t0).toISOString();
    const error = await errorCode(ada.api.agent.metrics.summary.query({ from, to: from }));
    expect(error).toBe('VALIDATION');
    expect(await errorCode(ada.api.agent.metrics.summary.query({ from, to: new Date(t0 + 500 * 24 * HOUR).toISOString() }))).toBe('VALIDATION');
  });
});
