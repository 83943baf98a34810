import { describe, expect, it } from 'vitest';
import { rebuildMetrics } from '../../../server/analytics/rebuild-metrics.js';
import { createServer } from '../../../server/http/create-server.js';
import { rawCount, rawRows, rawRun } from '../../helpers/raw-database.js';
import { HOUR, useTestServer, type TestServer } from '../../helpers/test-server.js';
import { seededRandom } from '../../../demo/backend/seeded-random.js';

describe('metrics rebuild', () => {
  let t: TestServer;
  useTestServer((server) => (t = server));

  /**
   * A seeded random history (the same on every run and both databases) over two agents,
   * topics and business-hour targets, and the figures an agent then sees.
   */
  async function randomHistory(steps: number) {
    const rnd = seededRandom(14);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
    const ada = await t.agent({ name: 'Ada', email: 'ada@shop.test' });
    const bob = await t.agent({ name: 'Bob', email: 'bob@shop.test' });
    await ada.api.agent.site.update.mutate({
      agentsMayClose: true,
      topics: [
        { id: 'orders', labels: { en: 'Orders' } },
        { id: 'billing', labels: { en: 'Billing' } },
      ],
      sla: {
        targets: [
          { priority: 'normal', firstReplyMinutes: 120, nextReplyMinutes: 240, resolutionMinutes: 24 * 60 },
          { priority: 'urgent', firstReplyMinutes: 30, nextReplyMinutes: 60, resolutionMinutes: 8 * 60 },
        ],
        schedule: { timeZone: 'Europe/Rome', weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day: day as 'mon', from: '08:00', to: '18:00' })), holidays: ['2026-01-06'] },
      },
    });
    const from = t.clock.now();
    const tickets: { id: string; customer: Awaited<ReturnType<TestServer['customer']>> }[] = [];
    for (let step = 0; step < steps; step++) {
      t.clock.advance(Math.floor(rnd() * 3 * HOUR));
      if (tickets.length < 4 || rnd() < 0.12) {
        const customer = await t.customer();
        const topicId = pick(['orders', 'billing', undefined] as const);
        tickets.push({ id: (await customer.api.tickets.create.mutate({ subject: `Case ${step}`, message: 'Hello', topicId })).id, customer });
        continue;
      }
      if (rnd() < 0.08) {
        await t.server.sweep();
        continue;
      }
      const { id, customer } = pick(tickets);
      const agent = pick([ada, bob]);
      const { ticket } = await agent.api.agent.tickets.get.query({ ticketId: id });
      const mine = (await customer.api.tickets.get.query({ ticketId: id }).catch(() => null))?.ticket;
      const moves = [
        ...ticket.allowedActions.filter((a) => !['purge', 'delete', 'markSpam', 'note', 'unspam', 'restore'].includes(a)).map((a) => ['agent', a] as const),
        ...(mine?.allowedActions ?? []).map((a) => ['customer', a] as const),
      ];
      if (moves.length === 0) continue;
      const [who, action] = pick(moves);
      const ticketId = id;
      if (who === 'agent') {
        const api = agent.api.agent.tickets;
        if (action === 'reply') await api.reply.mutate({ ticketId, message: 'On it' });
        else if (action === 'resolve') await api.resolve.mutate({ ticketId, message: rnd() < 0.5 ? 'Done' : undefined });
        else if (action === 'postpone') await api.postpone.mutate({ ticketId, until: new Date(t.clock.now() + HOUR * (1 + Math.floor(rnd() * 30))).toISOString() });
        else if (action === 'reopen') await api.reopen.mutate({ ticketId });
        else if (action === 'close') await api.close.mutate({ ticketId });
        else if (action === 'assign') await api.assign.mutate({ ticketId, agentId: pick([ada.id, bob.id, null]) });
        else if (action === 'setPriority') await api.setPriority.mutate({ ticketId, priority: pick(['low', 'normal', 'high', 'urgent'] as const) });
        else if (action === 'setTopic') await api.setTopic.mutate({ ticketId, topicId: pick(['orders', 'billing', null]) });
        else if (action === 'setTags') await api.setTags.mutate({ ticketId, tags: pick([[], ['vip'], ['vip', 'refund']]) });
      } else {
        const api = customer.api.tickets;
        if (action === 'reply') await api.reply.mutate({ ticketId, message: 'Any news?' });
        else if (action === 'confirmResolution') await api.confirmResolution.mutate({ ticketId, rating: rnd() < 0.6 ? 1 + Math.floor(rnd() * 5) : undefined });
        else if (action === 'rejectResolution') await api.rejectResolution.mutate({ ticketId, message: 'Not solved' });
        else if (action === 'reopen') await api.reopen.mutate({ ticketId });
        else if (action === 'rate') await api.rate.mutate({ ticketId, rating: 1 + Math.floor(rnd() * 5) });
        else if (action === 'createFollowUp') tickets.push({ id: (await api.createFollowUp.mutate({ ticketId, message: 'Again' })).id, customer });
      }
    }
    await t.server.sweep();

    const range = { from: new Date(from).toISOString(), to: new Date(t.clock.now() + 1).toISOString() };
    const figures = async () => {
      const out = [];
      for (const groupBy of [undefined, 'day', 'week', 'topic', 'tag', 'priority', 'assignee'] as const) out.push(await ada.api.agent.metrics.summary.query({ ...range, groupBy }));
      const { items } = await ada.api.agent.tickets.list.query({ limit: 100 });
      return { out, sla: items.map((i) => [i.id, i.sla]).sort() };
    };
    return { ada, tickets, figures };
  }

  it('recomputes from the events exactly what was kept up to date live, after a random history', async () => {
    const { figures } = await randomHistory(250);
    const live = await figures();
    // The history was busy enough to mean something.
    const totals = live.out[0]!.totals;
    expect(totals.created).toBeGreaterThan(20);
    expect(totals.resolved).toBeGreaterThan(10);
    expect(totals.closed).toBeGreaterThan(3);
    expect(totals.slaBreaches).toBeGreaterThan(0);
    expect(totals.firstReplyMsBusiness.p50).not.toBe(totals.firstReplyMs.p50);
    await rebuildMetrics(t.store, { batchSize: 7 });
    expect(await figures()).toEqual(live);
  });

  it('catches up by itself on tickets made before metrics were kept: a change counts the whole history, a starting server the rest', async () => {
    const { ada, tickets, figures } = await randomHistory(120);
    const live = await figures();
    const factsOf = (ticketId: string) =>
      rawRows(t, 'SELECT kind, at, ms, business_ms, wait_ms, rating, one_touch, latest, reopened_later, followed_up FROM metric_facts WHERE ticket_id = ? ORDER BY kind, at', [ticketId]);
    const old = tickets[0]!.id;
    const oldFacts = await factsOf(old);
    expect(oldFacts.length).toBeGreaterThan(2);

    // What an upgrade from a version without metrics leaves: the events, and no tallies or facts.
    const all = await rawCount(t, 'SELECT count(*) n FROM tickets');
    await rawRun(t, 'UPDATE tickets SET tracking = NULL, sla_due_at = NULL, waiting_since = NULL');
    await rawRun(t, 'DELETE FROM metric_facts');
    expect((await figures()).out[0]!.totals.created).toBe(0);

    // An agent's note on an old ticket: its tally is made from its whole history first, not from this event alone.
    await ada.api.agent.tickets.note.mutate({ ticketId: old, message: 'Checked the logs' });
    expect(await factsOf(old)).toEqual(oldFacts);

    // A server starting on that database recomputes the others in the background, and says so.
    let said!: (line: string) => void;
    const line = new Promise<string>((resolve) => (said = resolve));
    const second = createServer({ ...t.database, now: t.clock.now, sweepIntervalMs: 0, webhookIntervalMs: 0, log: (message) => said(message) });
    await second.listen(0);
    expect(await line).toMatch(`metrics for ${all - 1} tickets made before they were kept, recomputed from their events in`);
    await second.close();
    expect(await figures()).toEqual(live);
    expect(await rawCount(t, 'SELECT count(*) n FROM tickets WHERE tracking IS NULL')).toBe(0);
    expect(await t.server.backfillMetrics()).toBe(0);
  });
});
