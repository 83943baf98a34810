import fc from 'fast-check';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCustomerEvent, type EventType } from '../../../server/lifecycle/lifecycle.js';
import { DomainError } from '../../../server/lifecycle/errors.js';
import { createServer, type CloseloopServer } from '../../../server/http/create-server.js';
import type { EventRow } from '../../../server/store/store.js';
import { callerFor } from '../../helpers/caller.js';
import { createClock, freshTestDatabase, HOUR } from '../../helpers/test-server.js';

const CUSTOMER_ACTIONS = ['reply', 'confirmResolution', 'rejectResolution', 'reopen', 'rate', 'createFollowUp'] as const;
const AGENT_ACTIONS = ['reply', 'note', 'resolve', 'postpone', 'reopen', 'close', 'assign', 'setPriority', 'markSpam', 'unspam', 'delete', 'restore'] as const;
const NOTE = 'INTERNAL-NOTE never for customers';

const codeOf = (error: unknown) =>
  error instanceof TRPCError && error.cause instanceof DomainError ? error.cause.code : error instanceof TRPCError ? error.code : 'THROWN';

/** Replays events from `created`: the status they add up to. */
function replay(events: EventRow[]) {
  expect(events[0]?.type).toBe('created');
  return events.reduce<string | null>((status, e) => e.toStatus ?? status, null);
}

/** Invariant 1, with parking understood: closed is entered from resolved, or restored to the closed it was. */
function checkClosedOnlyFromResolved(events: EventRow[]) {
  let lastReal: string | null = null;
  for (const e of events) {
    if (e.toStatus === 'closed' && e.fromStatus !== 'closed') {
      if (e.fromStatus === 'spam' || e.fromStatus === 'deleted') expect(lastReal).toBe('closed');
      else expect(e.fromStatus).toBe('resolved');
    }
    if (e.toStatus !== 'spam' && e.toStatus !== 'deleted') lastReal = e.toStatus;
  }
}

describe('the lifecycle invariants, under random action sequences', () => {
  let server: CloseloopServer;
  let cleanup: () => Promise<void> | void;
  const clock = createClock();

  beforeAll(async () => {
    const fresh = await freshTestDatabase();
    cleanup = fresh.cleanup;
    server = createServer({
      ...fresh.database,
      now: clock.now,
      sweepIntervalMs: 0,
      logError: () => {},
      rateLimits: { anonymousSessions: { limit: 1e9, windowMs: 1 }, ticketCreates: { limit: 1e9, windowMs: 1 } },
    });
  });
  afterAll(async () => {
    await server.close();
    await cleanup();
  });

  it('keeps all seven invariants after every step', async () => {
    const site = await server.store.createSite({ name: 'Prop shop', origins: ['http://prop.test'] }, clock.now());
    await server.store.updateSite(site.id, { autoCloseAfterHours: 2, reopenWindowDays: 1, agentsMayClose: true });
    const agentApi = callerFor(server.app, { authorization: `Bearer ${site.secretKey}` });
    const me = await agentApi.agent.agents.upsert({ email: 'prop@shop.test', name: 'Prop' });
    const agent = callerFor(server.app, { authorization: `Bearer ${site.secretKey}`, 'x-closeloop-agent': me.id });

    const step = fc.record({
      who: fc.constantFrom('customer', 'agent', 'agent', 'sweep'),
      customerAction: fc.constantFrom(...CUSTOMER_ACTIONS),
      agentAction: fc.constantFrom(...AGENT_ACTIONS),
      advance: fc.integer({ min: -10 * 60_000, max: 36 * HOUR }),
      stale: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
      rating: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    });

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const start = await callerFor(server.app).session.start({ siteKey: site.siteKey });
        const customer = callerFor(server.app, { authorization: `Bearer ${start.token}` });
        const created = await customer.tickets.create({ subject: 'Broken', message: 'It does not work' });
        const ticketId = created.id;

        const snapshot = async () => {
          const { ticket: row, messages, events } = (await server.store.thread({ siteId: site.id, ticketId }, { includeInternal: true }))!;
          return { version: row.version, status: row.status, messages: messages.length, events };
        };

        for (const s of steps) {
          clock.advance(s.advance);
          const before = await snapshot();
          const version = s.stale ? (before.version > 1 ? before.version - 1 : before.version + 1) : before.version;
          const base = { ticketId, expectedVersion: version };
          let outcome: 'ok' | string = 'ok';
          try {
            if (s.who === 'sweep') await server.sweep();
            else if (s.who === 'customer') {
              const a = s.customerAction;
              if (a === 'reply') await customer.tickets.reply({ ...base, message: 'Any news?' });
              if (a === 'confirmResolution') await customer.tickets.confirmResolution({ ...base, rating: s.rating });
              if (a === 'rejectResolution') await customer.tickets.rejectResolution({ ...base, message: 'Not fixed' });
              if (a === 'reopen') await customer.tickets.reopen({ ...base, reason: 'Again' });
              if (a === 'rate') await customer.tickets.rate({ ...base, rating: s.rating ?? 3 });
              if (a === 'createFollowUp') await customer.tickets.createFollowUp({ ticketId, message: 'Related problem' });
            } else {
              const a = s.agentAction;
              const t = agent.agent.tickets;
              if (a === 'reply') await t.reply({ ...base, message: 'Try this' });
              if (a === 'note') await t.note({ ...base, message: NOTE });
              if (a === 'resolve') await t.resolve({ ...base });
              if (a === 'postpone') await t.postpone({ ...base, until: new Date(clock.now() + 6 * HOUR).toISOString() });
              if (a === 'reopen') await t.reopen({ ...base });
              if (a === 'close') await t.close({ ...base });
              if (a === 'assign') await t.assign({ ...base, agentId: me.id });
              if (a === 'setPriority') await t.setPriority({ ...base, priority: 'high' });
              if (a === 'markSpam') await t.markSpam({ ...base });
              if (a === 'unspam') await t.unspam({ ...base });
              if (a === 'delete') await t.delete({ ...base });
              if (a === 'restore') await t.restore({ ...base });
            }
          } catch (error) {
            outcome = codeOf(error);
          }
          const after = await snapshot();
          const stalePassed = s.stale && s.who !== 'sweep' && !(s.who === 'customer' && s.customerAction === 'createFollowUp');

          if (outcome === 'ok') {
            // 5: a change bumps the version by exactly one; 2: and writes exactly one event.
            const changed = s.who === 'sweep' ? after.version - before.version : 1;
            expect(stalePassed).toBe(false);
            expect(after.version).toBe(before.version + changed);
            expect(after.events.length).toBe(before.events.length + changed);
          } else {
            // 4 and 5: a refused action changes nothing at all.
            expect(['ILLEGAL_TRANSITION', 'REOPEN_WINDOW_EXPIRED', 'VERSION_CONFLICT', 'NOT_FOUND', 'FORBIDDEN']).toContain(outcome);
            expect(after).toEqual(before);
            if (stalePassed && outcome !== 'NOT_FOUND') expect(outcome).toBe('VERSION_CONFLICT');
          }

          // 2: replaying the events gives the current status.
          expect(replay(after.events)).toBe(after.status);
          // 3: every event has a time, and times never go backwards (even when the clock did).
          after.events.forEach((e, i) => {
            expect(Number.isFinite(e.at)).toBe(true);
            if (i > 0) expect(e.at).toBeGreaterThanOrEqual(after.events[i - 1]!.at);
          });
          // 1: closed is only entered from resolved.
          checkClosedOnlyFromResolved(after.events);

          // 6: internal notes and agent-only events never reach the customer; spam/deleted look absent.
          const list = await customer.tickets.list();
          expect(JSON.stringify(list)).not.toContain(NOTE);
          if (after.status === 'spam' || after.status === 'deleted') {
            expect(list.items.map((t) => t.id)).not.toContain(ticketId);
            expect(await customer.tickets.get({ ticketId }).then(() => 'found', codeOf)).toBe('NOT_FOUND');
          } else {
            const view = await customer.tickets.get({ ticketId });
            expect(JSON.stringify(view)).not.toContain(NOTE);
            expect(view.ticket.status).not.toBe('postponed');
            for (const item of view.timeline) {
              if (item.kind === 'message') expect(item.internal).toBe(false);
              else expect(isCustomerEvent(item.type as EventType)).toBe(true);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
