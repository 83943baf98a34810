/**
 * The bookkeeping behind metrics and service levels, kept as tickets change:
 * `track(tracking, event, …)` takes a ticket's running tally and one lifecycle event,
 * and returns the new tally, the facts to record (one per measured happening) and
 * the changes to earlier facts. Pure; the stores write what it returns in the
 * event's own transaction, and `replay` rebuilds the same from a ticket's events.
 */
import type { ActorKind, EventType, Priority, Status } from '../lifecycle/lifecycle.js';
import type { SlaClock, Tracking } from '../store/json-columns.js';
import { addBusinessMs, businessMs } from './business-hours.js';
import { SLA_NAMES, type SlaName, type SlaPolicy } from './sla-settings.js';

export type { Tracking };

export const FACT_KINDS = [
  'created',
  'first_reply',
  'resolved',
  'confirmed',
  'rejected',
  'closed_customer',
  'closed_auto',
  'closed_agent',
  'reopened',
  'rated',
  'sla_breached',
] as const;
export type FactKind = (typeof FACT_KINDS)[number];
export const CLOSE_KINDS = ['closed_customer', 'closed_auto', 'closed_agent'] as const;

/** One measured happening. Durations only on first replies and resolutions. */
export interface Fact {
  kind: FactKind;
  at: number;
  ms: number | null;
  businessMs: number | null;
  waitMs: number | null;
  waitBusinessMs: number | null;
  rating: number | null;
  /** Resolutions: at most one public agent reply so far. */
  oneTouch: boolean;
  /** Resolutions and closes: the ticket's newest of its kind (full resolution time counts the latest only). */
  latest: boolean;
  /** Closes: the customer later reopened the ticket, or opened a follow-up to it. */
  reopenedLater: boolean;
  followedUp: boolean;
}

/** Changes to a ticket's earlier facts. */
export type FactUpdate =
  | { type: 'supersede'; family: 'resolved' | 'closed' }
  | { type: 'flagLatestClose'; flag: 'reopenedLater' | 'followedUp' }
  /** Topic, priority or assignee changed: every fact of the ticket takes the new values. */
  | { type: 'dims' };

/** What `track` needs to know of an event. */
export interface TrackedEvent {
  type: EventType;
  from: Status | null;
  to: Status;
  at: number;
  actorKind: ActorKind;
  /** It wrote a message the customer sees. */
  publicMessage: boolean;
  data: Record<string, unknown> | null;
}

export interface Tracked {
  tracking: Tracking;
  /** The nearest due target not yet missed: when the sweeper looks next. */
  slaDueAt: number | null;
  facts: Fact[];
  updates: FactUpdate[];
}

/** Statuses in which the customer is waiting on the team. */
const WAITING: ReadonlySet<Status> = new Set(['new', 'open', 'postponed']);
/** Statuses in which service-level clocks run: postponed and resolved pause them. */
const RUNNING: ReadonlySet<Status> = new Set(['new', 'open', 'answered']);
const CLOSE_KIND: Partial<Record<TrackedEvent['type'], FactKind>> = {
  resolution_confirmed: 'closed_customer',
  auto_closed: 'closed_auto',
  closed: 'closed_agent',
};
const DIMENSION_EVENTS: ReadonlySet<TrackedEvent['type']> = new Set(['assigned', 'priority_changed', 'topic_changed']);
const CUSTOMER_ASKS: ReadonlySet<TrackedEvent['type']> = new Set(['replied', 'resolution_rejected', 'reopened']);

export const emptyTracking = (): Tracking => ({
  firstReplyAt: null,
  agentReplies: 0,
  waitMs: 0,
  waitBusinessMs: 0,
  waitingSince: null,
  clocks: {},
  breached: [],
});

const fact = (kind: FactKind, at: number, more: Partial<Fact> = {}): Fact => ({
  kind,
  at,
  ms: null,
  businessMs: null,
  waitMs: null,
  waitBusinessMs: null,
  rating: null,
  oneTouch: false,
  latest: false,
  reopenedLater: false,
  followedUp: false,
  ...more,
});

const newClock = (): SlaClock => ({ spentMs: 0, runningSince: null, dueAt: null, breached: false });

/** A tally to change without touching the one given (cheaper than structuredClone, on every write). */
function copy(t: Tracking): Tracking {
  const clocks: Tracking['clocks'] = {};
  for (const name of SLA_NAMES) if (t.clocks[name]) clocks[name] = { ...t.clocks[name]! };
  return { ...t, clocks, breached: [...t.breached] };
}

/**
 * One event's bookkeeping. `tracking` is the tally before it (null: none yet),
 * `createdAt` the ticket's creation, `priority` the ticket's priority after it.
 */
export function track(
  before: Tracking | null,
  createdAt: number,
  priority: Priority,
  event: TrackedEvent,
  policy: SlaPolicy,
): Tracked {
  const { schedule } = policy;
  const t = copy(before ?? emptyTracking());
  const { at, to, from } = event;
  const facts: Fact[] = [];
  const updates: FactUpdate[] = [];

  if (event.type === 'created') {
    facts.push(fact('created', at));
    t.clocks = { firstReply: newClock(), resolution: newClock() };
  }

  // The customer's wait: time spent in new, open and postponed.
  if (t.waitingSince !== null && !WAITING.has(to)) {
    t.waitMs += at - t.waitingSince;
    t.waitBusinessMs += businessMs(schedule, t.waitingSince, at);
    t.waitingSince = null;
  } else if (t.waitingSince === null && WAITING.has(to)) {
    t.waitingSince = at;
  }

  if (event.actorKind === 'agent' && event.publicMessage) {
    t.agentReplies += 1;
    if (t.firstReplyAt === null) {
      t.firstReplyAt = at;
      facts.push(fact('first_reply', at, { ms: at - createdAt, businessMs: businessMs(schedule, createdAt, at) }));
    }
    delete t.clocks.firstReply;
    delete t.clocks.nextReply;
  }
  if (event.actorKind === 'customer' && CUSTOMER_ASKS.has(event.type) && t.firstReplyAt !== null && !t.clocks.nextReply) {
    t.clocks.nextReply = newClock();
  }

  switch (event.type) {
    case 'resolved':
      updates.push({ type: 'supersede', family: 'resolved' });
      facts.push(
        fact('resolved', at, {
          ms: at - createdAt,
          businessMs: businessMs(schedule, createdAt, at),
          waitMs: t.waitMs,
          waitBusinessMs: t.waitBusinessMs,
          oneTouch: t.agentReplies <= 1,
          latest: true,
        }),
      );
      break;
    case 'resolution_confirmed':
      facts.push(fact('confirmed', at));
      if (typeof event.data?.rating === 'number') facts.push(fact('rated', at, { rating: event.data.rating }));
      break;
    case 'resolution_rejected':
      facts.push(fact('rejected', at));
      break;
    case 'rated':
      facts.push(fact('rated', at, { rating: Number(event.data?.rating) }));
      break;
    case 'reopened':
      if (from === 'closed') {
        facts.push(fact('reopened', at));
        updates.push({ type: 'flagLatestClose', flag: 'reopenedLater' });
      }
      break;
    case 'follow_up_created':
      updates.push({ type: 'flagLatestClose', flag: 'followedUp' });
      break;
    case 'sla_breached':
      for (const name of (event.data?.names ?? []) as SlaName[]) {
        const clock = t.clocks[name];
        if (clock) clock.breached = true;
        if (!t.breached.includes(name)) t.breached.push(name);
        facts.push(fact('sla_breached', at));
      }
      break;
  }
  const closeKind = CLOSE_KIND[event.type];
  if (closeKind && to === 'closed' && from !== 'closed') {
    updates.push({ type: 'supersede', family: 'closed' });
    facts.push(fact(closeKind, at, { latest: true }));
  }
  if (DIMENSION_EVENTS.has(event.type)) updates.push({ type: 'dims' });

  // Service-level clocks run in new, open and answered; due dates follow the current priority.
  const running = RUNNING.has(to);
  for (const name of SLA_NAMES) {
    const clock = t.clocks[name];
    if (!clock) continue;
    if (clock.runningSince !== null && !running) {
      clock.spentMs += businessMs(schedule, clock.runningSince, at);
      clock.runningSince = null;
    } else if (clock.runningSince === null && running) {
      clock.runningSince = at;
    }
    const target = policy.targetMs(priority, name);
    clock.dueAt = clock.runningSince !== null && target !== null ? addBusinessMs(schedule, clock.runningSince, Math.max(0, target - clock.spentMs)) : null;
  }
  return { tracking: t, slaDueAt: nextDue(t), facts, updates };
}

/** The nearest due date of a running clock that has not missed yet. */
export function nextDue(t: Tracking): number | null {
  let due: number | null = null;
  for (const name of SLA_NAMES) {
    const c = t.clocks[name];
    if (c && !c.breached && c.dueAt !== null && (due === null || c.dueAt < due)) due = c.dueAt;
  }
  return due;
}

/** The targets missed by `now` and not yet recorded. */
export function missedTargets(t: Tracking | null, now: number): SlaName[] {
  if (!t) return [];
  return SLA_NAMES.filter((name) => {
    const c = t.clocks[name];
    return c !== undefined && !c.breached && c.dueAt !== null && c.dueAt <= now;
  });
}

/** What an agent sees of a ticket's service levels. */
export function slaView(t: Tracking | null) {
  const due = (name: SlaName) => {
    const at = t?.clocks[name]?.dueAt;
    return at == null ? null : new Date(at).toISOString();
  };
  return {
    firstReplyDueAt: due('firstReply'),
    nextReplyDueAt: due('nextReply'),
    resolutionDueAt: due('resolution'),
    breached: [...(t?.breached ?? [])],
  };
}

/** Applies fact updates to facts in memory, as the stores do in SQL. */
export function applyUpdates(facts: Fact[], updates: FactUpdate[]) {
  for (const u of updates) {
    if (u.type === 'supersede') {
      for (const f of facts) if (family(f.kind) === u.family) f.latest = false;
    } else if (u.type === 'flagLatestClose') {
      for (const f of facts) if (family(f.kind) === 'closed' && f.latest) f[u.flag] = true;
    }
  }
}

export const family = (kind: FactKind) => (kind === 'resolved' ? 'resolved' : (CLOSE_KINDS as readonly string[]).includes(kind) ? 'closed' : null);

/** A ticket's tally and facts from its whole history (for `closeloop metrics rebuild`). */
export function replay(createdAt: number, events: TrackedEvent[], policy: SlaPolicy): Tracked {
  let tracking: Tracking | null = null;
  let priority: Priority = 'normal';
  let slaDueAt: number | null = null;
  const facts: Fact[] = [];
  for (const event of events) {
    if (event.type === 'priority_changed') priority = event.data?.to as Priority;
    const step = track(tracking, createdAt, priority, event, policy);
    applyUpdates(facts, step.updates);
    facts.push(...step.facts);
    tracking = step.tracking;
    slaDueAt = step.slaDueAt;
  }
  return { tracking: tracking ?? emptyTracking(), slaDueAt, facts, updates: [] };
}
