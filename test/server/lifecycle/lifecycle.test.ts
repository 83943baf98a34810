import { describe, expect, it } from 'vitest';
import {
  AGENT_ACTIONS,
  CUSTOMER_ACTIONS,
  STATUSES,
  SYSTEM_ACTIONS,
  allowedActions,
  transition,
  type Action,
  type Actor,
  type ActorKind,
  type Command,
  type SiteRules,
  type Status,
  type TicketState,
} from '../../../server/lifecycle/lifecycle.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RULES: SiteRules = { autoCloseAfterHours: 72, reopenWindowDays: 30, agentsMayClose: true, remindAfterHours: 24 };

/** Each status as the sweeper and guards would find it: due for auto-close, due to wake, inside the reopen window. */
function ticketIn(status: Status, over: Partial<TicketState> = {}): TicketState {
  return {
    status,
    statusBeforePostpone: status === 'postponed' ? 'answered' : null,
    statusBeforeSpam: status === 'spam' ? 'open' : null,
    statusBeforeDelete: status === 'deleted' ? 'answered' : null,
    postponedUntil: status === 'postponed' ? NOW - 1 : null,
    resolvedAt: status === 'resolved' || status === 'closed' ? NOW - 100 * HOUR : null,
    closedAt: status === 'closed' ? NOW - HOUR : null,
    closedBy: status === 'closed' ? 'customer' : null,
    rating: null,
    ratingComment: null,
    topicId: null,
    tags: [],
    reopenCount: 0,
    assigneeId: null,
    priority: 'normal',
    lastEventAt: NOW - 2 * HOUR,
    lastAgentReplyAt: status === 'answered' ? NOW - 25 * HOUR : null,
    remindedAt: null,
    ...over,
  };
}

function commandFor(action: Action): Command {
  switch (action) {
    case 'reply':
    case 'note':
    case 'rejectResolution':
      return { action, body: 'text' };
    case 'rate':
      return { action, rating: 4 };
    case 'createFollowUp':
      return { action, followUpId: 'tk_next' };
    case 'postpone':
      return { action, until: NOW + DAY };
    case 'assign':
      return { action, assigneeId: 'ag_1' };
    case 'setPriority':
      return { action, priority: 'high' };
    case 'setTopic':
      return { action, topicId: 'billing' };
    case 'setTags':
      return { action, tags: ['vip'] };
    case 'breachSla':
      return { action, names: ['firstReply'] };
    default:
      return { action } as Command;
  }
}

const BEFORE = 'the status before';
const GONE = 'purged';
type Expect = Partial<Record<Status, Status | typeof BEFORE | typeof GONE | 'same'>>;
const every = (to: Expect[Status], except: Status[] = []): Expect =>
  Object.fromEntries(STATUSES.filter((s) => !except.includes(s)).map((s) => [s, to]));

/** spec/lifecycle.md's action table, written out again by hand. */
const SPEC: Record<ActorKind, Partial<Record<Action, Expect>>> = {
  customer: {
    reply: { new: 'new', answered: 'open', open: 'open', postponed: 'open', resolved: 'open', closed: 'open' },
    confirmResolution: { resolved: 'closed' },
    rejectResolution: { resolved: 'open' },
    reopen: { closed: 'open' },
    rate: { closed: 'closed' },
    createFollowUp: { closed: 'closed' },
  },
  agent: {
    reply: { new: 'answered', open: 'answered', answered: 'answered', postponed: 'answered', resolved: 'answered' },
    note: every('same'),
    resolve: { new: 'resolved', open: 'resolved', answered: 'resolved', postponed: 'resolved' },
    postpone: { new: 'postponed', open: 'postponed', answered: 'postponed' },
    reopen: { resolved: 'open', closed: 'open' },
    close: { resolved: 'closed' },
    assign: { new: 'same', open: 'same', answered: 'same', postponed: 'same', resolved: 'same' },
    setPriority: { new: 'same', open: 'same', answered: 'same', postponed: 'same', resolved: 'same' },
    // Not in the spec: topics and tags (issue 14) sort closed tickets too.
    setTopic: { new: 'same', open: 'same', answered: 'same', postponed: 'same', resolved: 'same', closed: 'same' },
    setTags: { new: 'same', open: 'same', answered: 'same', postponed: 'same', resolved: 'same', closed: 'same' },
    markSpam: every('spam', ['spam', 'deleted']),
    unspam: { spam: BEFORE },
    delete: every('deleted', ['deleted']),
    restore: { deleted: BEFORE },
    purge: { spam: GONE, deleted: GONE },
  },
  system: {
    autoClose: { resolved: 'closed' },
    wake: { postponed: BEFORE },
    remind: { answered: 'answered' },
    // Issue 14: a missed service-level target, while the clock runs.
    breachSla: { new: 'new', open: 'open', answered: 'answered' },
  },
};

const ALL_ACTIONS = [...new Set<Action>([...CUSTOMER_ACTIONS, ...AGENT_ACTIONS, ...SYSTEM_ACTIONS])];
const ACTORS: ActorKind[] = ['customer', 'agent', 'system'];
const beforeOf = (t: TicketState) =>
  t.status === 'spam' ? t.statusBeforeSpam : t.status === 'deleted' ? t.statusBeforeDelete : t.statusBeforePostpone;

describe('the transition table', () => {
  for (const actor of ACTORS) {
    for (const action of ALL_ACTIONS) {
      for (const status of STATUSES) {
        const expected = SPEC[actor][action]?.[status];
        const story = expected
          ? `lets the ${actor} ${action} a ${status} ticket (→ ${expected})`
          : `refuses the ${actor} ${action} on a ${status} ticket`;
        it(story, () => {
          const ticket = ticketIn(status);
          const result = transition(ticket, commandFor(action), { kind: actor, id: null }, NOW, RULES);
          const offered = allowedActions(ticket, actor, ALL_ACTIONS, NOW, RULES).includes(action);
          if (!expected) {
            expect(result.ok).toBe(false);
            if (!result.ok) expect(result.error.code).toBe('ILLEGAL_TRANSITION');
            expect(offered).toBe(false);
            return;
          }
          expect(result.ok).toBe(true);
          expect(offered).toBe(true);
          if (!result.ok) return;
          if (expected === GONE) return expect(result.change.kind).toBe('purge');
          if (result.change.kind !== 'update') throw new Error('expected an update');
          const to = expected === 'same' ? status : expected === BEFORE ? beforeOf(ticket) : expected;
          expect(result.change.event.to).toBe(to);
          expect(result.change.event.from).toBe(status);
          expect(result.change.patch.status ?? status).toBe(to);
        });
      }
    }
  }
});

const customer = { kind: 'customer' as const, id: 'cus_1' };
const agent = { kind: 'agent' as const, id: 'ag_1' };
const system = { kind: 'system' as const, id: null };

function applied(t: TicketState, c: Command, actor: Actor = agent, now = NOW, rules = RULES) {
  const r = transition(t, c, actor, now, rules);
  if (!r.ok) throw r.error;
  if (r.change.kind !== 'update') throw new Error('expected an update');
  return { state: { ...t, ...r.change.patch, lastEventAt: r.change.event.at }, change: r.change };
}

describe('the rules behind the table', () => {
  it('closes the ticket when the customer confirms the resolution, keeping the rating', () => {
    const { state, change } = applied(ticketIn('resolved'), { action: 'confirmResolution', rating: 5, comment: 'Thanks' }, customer);
    expect(state).toMatchObject({ status: 'closed', closedAt: NOW, closedBy: 'customer', rating: 5, ratingComment: 'Thanks' });
    expect(change.event.type).toBe('resolution_confirmed');
  });

  it('lets the customer reopen inside the reopen window and counts the reopen', () => {
    const { state, change } = applied(ticketIn('closed', { rating: 3 }), { action: 'reopen', reason: 'Broke again' }, customer);
    expect(state).toMatchObject({ status: 'open', closedAt: null, rating: null, reopenCount: 1 });
    expect(change.event).toMatchObject({ type: 'reopened', data: { reason: 'Broke again' } });
  });

  it('refuses a customer reopen, or a reply, after the reopen window with REOPEN_WINDOW_EXPIRED', () => {
    const old = ticketIn('closed', { closedAt: NOW - 31 * DAY });
    for (const c of [{ action: 'reopen' } as const, { action: 'reply', body: 'hello?' } as const]) {
      const r = transition(old, c, customer, NOW, RULES);
      expect(r.ok ? 'ok' : r.error.code).toBe('REOPEN_WINDOW_EXPIRED');
    }
    expect(allowedActions(old, 'customer', CUSTOMER_ACTIONS, NOW, RULES)).toEqual(['rate', 'createFollowUp']);
  });

  it('treats a customer reply to a closed ticket as a reopen', () => {
    const { state, change } = applied(ticketIn('closed'), { action: 'reply', body: 'Still broken' }, customer);
    expect(state.status).toBe('open');
    expect(change.event).toMatchObject({ type: 'reopened', data: { via: 'reply' } });
    expect(change.message).toEqual({ body: 'Still broken', internal: false });
  });

  it('applies no reopen window to agents', () => {
    expect(applied(ticketIn('closed', { closedAt: NOW - 400 * DAY }), { action: 'reopen' }).state.status).toBe('open');
  });

  it('lets an agent close only when the site allows it', () => {
    const r = transition(ticketIn('resolved'), { action: 'close' }, agent, NOW, { ...RULES, agentsMayClose: false });
    expect(r.ok ? 'ok' : r.error.code).toBe('FORBIDDEN');
    expect(allowedActions(ticketIn('resolved'), 'agent', AGENT_ACTIONS, NOW, { ...RULES, agentsMayClose: false })).not.toContain('close');
  });

  it('accepts one rating per closure, and a new one after a reopen and close', () => {
    const rated = applied(ticketIn('closed'), { action: 'rate', rating: 2 }, customer).state;
    const again = transition(rated, { action: 'rate', rating: 5 }, customer, NOW, RULES);
    expect(again.ok).toBe(false);
    const reopened = applied(rated, { action: 'reopen' }, customer).state;
    const resolved = applied(reopened, { action: 'resolve' }).state;
    const closed = applied(resolved, { action: 'confirmResolution' }, customer).state;
    expect(applied(closed, { action: 'rate', rating: 5 }, customer).state.rating).toBe(5);
  });

  it('refuses a postpone into the past with a VALIDATION error on `until`', () => {
    const r = transition(ticketIn('open'), { action: 'postpone', until: NOW - 1 }, agent, NOW, RULES);
    expect(r.ok ? null : { code: r.error.code, field: r.error.details.field }).toEqual({ code: 'VALIDATION', field: 'until' });
  });

  it('wakes a postponed ticket to the status it had, and only once `until` has passed', () => {
    const { state: parked } = applied(ticketIn('answered'), { action: 'postpone', until: NOW + DAY });
    expect(parked).toMatchObject({ status: 'postponed', statusBeforePostpone: 'answered', postponedUntil: NOW + DAY });
    expect(transition(parked, { action: 'wake' }, system, NOW + HOUR, RULES).ok).toBe(false);
    const { state } = applied(parked, { action: 'wake' }, system, NOW + DAY);
    expect(state).toMatchObject({ status: 'answered', statusBeforePostpone: null, postponedUntil: null });
  });

  it('auto-closes a resolved ticket only after the site delay, fractional hours included', () => {
    const rules = { ...RULES, autoCloseAfterHours: 0.5 };
    const resolved = ticketIn('resolved', { resolvedAt: NOW });
    expect(transition(resolved, { action: 'autoClose' }, system, NOW + 29 * 60_000, rules).ok).toBe(false);
    const { state, change } = applied(resolved, { action: 'autoClose' }, system, NOW + 30 * 60_000, rules);
    expect(state).toMatchObject({ status: 'closed', closedBy: 'system' });
    expect(change.event.type).toBe('auto_closed');
  });

  it('brings a ticket back exactly as it was through spam, delete, restore and unspam', () => {
    const closed = ticketIn('closed');
    const spam = applied(closed, { action: 'markSpam' }).state;
    const deleted = applied(spam, { action: 'delete' }).state;
    const restored = applied(deleted, { action: 'restore' }, agent, NOW + HOUR).state;
    expect(restored.status).toBe('spam');
    const back = applied(restored, { action: 'unspam' }, agent, NOW + 2 * HOUR).state;
    expect(back).toMatchObject({ status: 'closed', closedAt: closed.closedAt, resolvedAt: closed.resolvedAt, reopenCount: 0 });
  });

  it('withdraws the resolution when an agent replies to a resolved ticket', () => {
    const { state } = applied(ticketIn('resolved'), { action: 'reply', body: 'One more thing' });
    expect(state).toMatchObject({ status: 'answered', resolvedAt: null });
  });

  it('never dates an event before the ticket’s newest one, even when the clock steps back', () => {
    const r = transition(ticketIn('open', { lastEventAt: NOW }), { action: 'resolve' }, agent, NOW - HOUR, RULES);
    expect(r.ok && r.change.kind === 'update' && r.change.event.at).toBe(NOW);
  });

  it('reminds once per agent reply, only after the site’s delay, and not when reminders are off', () => {
    const answered = ticketIn('answered', { lastAgentReplyAt: NOW - 23 * HOUR });
    expect(transition(answered, { action: 'remind' }, system, NOW, RULES).ok).toBe(false);
    const { state, change } = applied(answered, { action: 'remind' }, system, NOW + HOUR);
    expect(change.event).toMatchObject({ type: 'reminder_due', from: 'answered', to: 'answered' });
    expect(transition(state, { action: 'remind' }, system, NOW + 2 * DAY, RULES).ok).toBe(false);
    expect(transition(answered, { action: 'remind' }, system, NOW + DAY, { ...RULES, remindAfterHours: null }).ok).toBe(false);
  });

  it('records internal notes as internal messages without touching the status', () => {
    const { state, change } = applied(ticketIn('answered'), { action: 'note', body: 'VIP customer' });
    expect(state.status).toBe('answered');
    expect(change.message).toEqual({ body: 'VIP customer', internal: true });
  });
});
