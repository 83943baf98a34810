import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../server/store/open-store.js';
import { sweep } from '../../../server/tickets/sweeper.js';
import { DAY, HOUR, useTestServer, type TestServer } from '../../helpers/test-server.js';

describe('the sweeper', () => {
  let t: TestServer;
  let agent: Awaited<ReturnType<TestServer['agent']>>;
  useTestServer((server) => (t = server));
  beforeAll(async () => {
    agent = await t.agent();
  });

  async function resolvedTicket() {
    const c = await t.customer();
    const { id } = await c.api.tickets.create.mutate({ subject: 'Sweep me', message: 'x' });
    await agent.api.agent.tickets.resolve.mutate({ ticketId: id });
    return { c, id };
  }

  it('auto-closes a resolved ticket once the site’s delay has passed with no customer activity, as the system', async () => {
    const { c, id } = await resolvedTicket();
    t.clock.advance(71 * HOUR);
    expect(await t.server.sweep()).toEqual([]);
    t.clock.advance(HOUR);
    const changes = await t.server.sweep();
    expect(changes).toContainEqual({ ticketId: id, action: 'autoClose', from: 'resolved', to: 'closed' });
    const view = await c.api.tickets.get.query({ ticketId: id });
    expect(view.ticket).toMatchObject({ status: 'closed', closedAt: new Date(t.clock.now()).toISOString() });
    expect(view.timeline.at(-1)).toMatchObject({ kind: 'event', type: 'auto_closed', actor: { kind: 'system' } });
    expect(await t.server.sweep()).toEqual([]);
  });

  it('does not auto-close a ticket whose resolution the customer answered', async () => {
    const { c, id } = await resolvedTicket();
    await c.api.tickets.reply.mutate({ ticketId: id, message: 'Not quite' });
    t.clock.advance(100 * HOUR);
    expect((await t.server.sweep()).map((x) => x.ticketId)).not.toContain(id);
  });

  it('follows each site’s own fractional delay', async () => {
    await agent.api.agent.site.update.mutate({ autoCloseAfterHours: 0.5 });
    const { id } = await resolvedTicket();
    t.clock.advance(29 * 60_000);
    expect((await t.server.sweep()).map((x) => x.ticketId)).not.toContain(id);
    t.clock.advance(60_000);
    expect((await t.server.sweep()).map((x) => x.ticketId)).toContain(id);
    await agent.api.agent.site.update.mutate({ autoCloseAfterHours: 72 });
  });

  it('wakes a postponed ticket to the status it had when `until` passes', async () => {
    const c = await t.customer();
    const { id: ticketId } = await c.api.tickets.create.mutate({ subject: 'Later', message: 'x' });
    await agent.api.agent.tickets.reply.mutate({ ticketId, message: 'Will check tomorrow' });
    await agent.api.agent.tickets.postpone.mutate({ ticketId, until: new Date(t.clock.now() + DAY).toISOString() });
    t.clock.advance(DAY - 1);
    expect((await t.server.sweep()).map((x) => x.ticketId)).not.toContain(ticketId);
    t.clock.advance(1);
    expect(await t.server.sweep()).toContainEqual({ ticketId, action: 'wake', from: 'postponed', to: 'answered' });
    const full = await agent.api.agent.tickets.get.query({ ticketId });
    expect(full.ticket).toMatchObject({ status: 'answered', postponedUntil: null });
    expect(full.timeline.at(-1)).toMatchObject({ type: 'woke', actor: { kind: 'system' } });
  });

  it('drains a backlog larger than one batch, one transaction per batch', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await resolvedTicket()).id);
    t.clock.advance(73 * HOUR);
    const changes = await sweep(t.server.app, { batchSize: 3 });
    expect(ids.every((id) => changes.some((c) => c.ticketId === id && c.to === 'closed'))).toBe(true);
  });

  it('reaches live subscribers when another process (a cron `closeloop sweep`) does the closing', async () => {
    const { c, id } = await resolvedTicket();
    const lastEventId = String(await t.store.maxEventId());
    const got: string[] = [];
    let wake = () => {};
    const sub = c.api.tickets.onChange.subscribe(
      { lastEventId },
      {
        onData: (d) => {
          got.push(`${d.data.ticketId}:${d.data.type}`);
          wake();
        },
      },
    );
    t.clock.advance(73 * HOUR);
    const cron = openStore(t.database);
    await sweep({ store: cron, now: t.clock.now, hub: { changed: () => {} } });
    await cron.close();
    const deadline = Date.now() + 5_000;
    while (!got.includes(`${id}:auto_closed`) && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, deadline - Date.now());
      });
    }
    sub.unsubscribe();
    expect(got).toContain(`${id}:auto_closed`);
  });
});
