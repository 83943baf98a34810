/**
 * The ticket lifecycle of spec/lifecycle.md: a transition table and a pure
 * `transition(ticket, command, actor, now, rules)`. No I/O; the only code that
 * decides a status.
 */
import { DomainError, invalid } from './errors.js';

export const STATUSES = [
  'new',
  'open',
  'answered',
  'postponed',
  'resolved',
  'closed',
  'spam',
  'deleted',
] as const;
export type Status = (typeof STATUSES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export type ActorKind = 'customer' | 'agent' | 'system';
export interface Actor {
  kind: ActorKind;
  id: string | null;
}

export const CUSTOMER_ACTIONS = [
  'reply',
  'confirmResolution',
  'rejectResolution',
  'reopen',
  'rate',
  'createFollowUp',
] as const;
export const AGENT_ACTIONS = [
  'reply',
  'note',
  'resolve',
  'postpone',
  'reopen',
  'close',
  'assign',
  'setPriority',
  'setTopic',
  'setTags',
  'markSpam',
  'unspam',
  'delete',
  'restore',
  'purge',
] as const;
export const SYSTEM_ACTIONS = ['autoClose', 'wake', 'remind', 'breachSla'] as const;

export type CustomerAction = (typeof CUSTOMER_ACTIONS)[number];
export type AgentAction = (typeof AGENT_ACTIONS)[number];
export type Action = CustomerAction | AgentAction | (typeof SYSTEM_ACTIONS)[number];

export type Command =
  | { action: 'reply'; body: string; attachmentIds?: string[] | undefined }
  | { action: 'note'; body: string; attachmentIds?: string[] | undefined }
  | { action: 'confirmResolution'; rating?: number | undefined; comment?: string | undefined }
  | { action: 'rejectResolution'; body: string; attachmentIds?: string[] | undefined }
  | { action: 'reopen'; reason?: string | undefined }
  | { action: 'rate'; rating: number; comment?: string | undefined }
  | { action: 'createFollowUp'; followUpId: string }
  | { action: 'resolve'; body?: string | undefined }
  | { action: 'postpone'; until: number }
  | { action: 'close' }
  | { action: 'assign'; assigneeId: string | null }
  | { action: 'setPriority'; priority: Priority }
  | { action: 'setTopic'; topicId: string | null }
  | { action: 'setTags'; tags: string[] }
  | { action: 'markSpam' }
  | { action: 'unspam' }
  | { action: 'delete' }
  | { action: 'restore' }
  | { action: 'purge' }
  | { action: 'autoClose' }
  | { action: 'wake' }
  | { action: 'remind' }
  /** Service-level targets the ticket has just missed (decided by server/analytics/ticket-tracking.ts). */
  | { action: 'breachSla'; names: string[] };

/** What the lifecycle needs to know of a ticket. Times are epoch milliseconds. */
export interface TicketState {
  status: Status;
  statusBeforePostpone: Status | null;
  statusBeforeSpam: Status | null;
  statusBeforeDelete: Status | null;
  postponedUntil: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  closedBy: ActorKind | null;
  rating: number | null;
  ratingComment: string | null;
  reopenCount: number;
  assigneeId: string | null;
  priority: Priority;
  topicId: string | null;
  tags: string[];
  /** The time of the ticket's newest event: no new event may be older. */
  lastEventAt: number;
  lastAgentReplyAt: number | null;
  remindedAt: number | null;
}

export interface SiteRules {
  autoCloseAfterHours: number;
  reopenWindowDays: number;
  agentsMayClose: boolean;
  /** Null: no reminders. */
  remindAfterHours: number | null;
}

export const DEFAULT_SITE_RULES: SiteRules = {
  autoCloseAfterHours: 72,
  reopenWindowDays: 30,
  agentsMayClose: false,
  remindAfterHours: null,
};

export type EventType =
  | 'created'
  | 'replied'
  | 'note_added'
  | 'resolved'
  | 'resolution_confirmed'
  | 'resolution_rejected'
  | 'reopened'
  | 'rated'
  | 'follow_up_created'
  | 'postponed'
  | 'woke'
  | 'closed'
  | 'auto_closed'
  | 'assigned'
  | 'priority_changed'
  | 'marked_spam'
  | 'unspammed'
  | 'deleted'
  | 'restored'
  | 'reminder_due'
  | 'topic_changed'
  | 'tags_changed'
  | 'sla_breached';

/** Events a customer may see (in customer wording); every other type is agent-only. */
const CUSTOMER_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'created',
  'replied',
  'resolved',
  'resolution_confirmed',
  'resolution_rejected',
  'reopened',
  'rated',
  'follow_up_created',
  'closed',
  'auto_closed',
]);

export const isCustomerEvent = (type: EventType) => CUSTOMER_EVENT_TYPES.has(type);

export interface LifecycleEvent {
  type: EventType;
  from: Status | null;
  to: Status;
  at: number;
  data: Record<string, unknown> | null;
}

export type TicketPatch = Partial<Omit<TicketState, 'lastEventAt' | 'lastAgentReplyAt'>>;

export type Change =
  | {
      kind: 'update';
      patch: TicketPatch;
      event: LifecycleEvent;
      message: ChangeMessage | null;
    }
  | { kind: 'purge'; at: number };

export type Result = { ok: true; change: Change } | { ok: false; error: DomainError };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Statuses where assignment and priority still matter. */
const ACTIVE: readonly Status[] = ['new', 'open', 'answered', 'postponed', 'resolved'];
const ALL: readonly Status[] = STATUSES;

type Target = Status | 'same' | 'beforePostpone' | 'beforeSpam' | 'beforeDelete' | 'purged';
type Guard = (t: TicketState, c: Command, now: number, rules: SiteRules) => DomainError | null;

interface Row {
  action: Action;
  actor: ActorKind;
  from: readonly Status[];
  to: Target;
  guard?: Guard;
}

const reopenWindowEnd = (t: TicketState, rules: SiteRules) =>
  (t.closedAt ?? 0) + rules.reopenWindowDays * DAY;

const withinReopenWindow: Guard = (t, _c, now, rules) =>
  now < reopenWindowEnd(t, rules)
    ? null
    : new DomainError(
        'REOPEN_WINDOW_EXPIRED',
        'This ticket was closed too long ago to reopen; open a follow-up ticket instead',
        { closedAt: new Date(t.closedAt ?? 0).toISOString() },
      );

const notRatedYet: Guard = (t) =>
  t.rating === null
    ? null
    : new DomainError('ILLEGAL_TRANSITION', 'This closure is already rated', {
        from: t.status,
        action: 'rate',
      });

const untilInFuture: Guard = (_t, c, now) =>
  c.action === 'postpone' && c.until > now ? null : invalid('until', 'until must be in the future');

const agentsMayClose: Guard = (_t, _c, _now, rules) =>
  rules.agentsMayClose
    ? null
    : new DomainError('FORBIDDEN', 'This site lets only the customer close a ticket');

const autoCloseDue: Guard = (t, _c, now, rules) =>
  t.resolvedAt !== null && now >= t.resolvedAt + rules.autoCloseAfterHours * HOUR
    ? null
    : new DomainError('ILLEGAL_TRANSITION', 'Auto-close is not due yet', {
        from: t.status,
        action: 'autoClose',
      });

const wakeDue: Guard = (t, _c, now) =>
  t.postponedUntil !== null && now >= t.postponedUntil
    ? null
    : new DomainError('ILLEGAL_TRANSITION', 'The ticket is postponed until later', {
        from: t.status,
        action: 'wake',
      });

const reminderDue: Guard = (t, _c, now, rules) => {
  const due =
    rules.remindAfterHours !== null &&
    t.lastAgentReplyAt !== null &&
    (t.remindedAt === null || t.remindedAt < t.lastAgentReplyAt) &&
    now >= t.lastAgentReplyAt + rules.remindAfterHours * HOUR;
  return due ? null : new DomainError('ILLEGAL_TRANSITION', 'No reminder is due', { from: t.status, action: 'remind' });
};

const row = (action: Action, actor: ActorKind, from: readonly Status[], to: Target, guard?: Guard): Row =>
  guard ? { action, actor, from, to, guard } : { action, actor, from, to };

/** The spec's action table. Every (status, action, actor) not listed is illegal. */
export const TRANSITIONS: readonly Row[] = [
  row('reply', 'customer', ['new'], 'new'),
  row('reply', 'customer', ['answered', 'open', 'postponed', 'resolved'], 'open'),
  row('reply', 'customer', ['closed'], 'open', withinReopenWindow),
  row('confirmResolution', 'customer', ['resolved'], 'closed'),
  row('rejectResolution', 'customer', ['resolved'], 'open'),
  row('reopen', 'customer', ['closed'], 'open', withinReopenWindow),
  row('rate', 'customer', ['closed'], 'same', notRatedYet),
  row('createFollowUp', 'customer', ['closed'], 'same'),
  row('reply', 'agent', ['new', 'open', 'answered', 'postponed', 'resolved'], 'answered'),
  row('note', 'agent', ALL, 'same'),
  row('resolve', 'agent', ['new', 'open', 'answered', 'postponed'], 'resolved'),
  row('postpone', 'agent', ['new', 'open', 'answered'], 'postponed', untilInFuture),
  row('reopen', 'agent', ['resolved', 'closed'], 'open'),
  row('close', 'agent', ['resolved'], 'closed', agentsMayClose),
  row('assign', 'agent', ACTIVE, 'same'),
  row('setPriority', 'agent', ACTIVE, 'same'),
  // Topics and tags describe a ticket for reports: closed tickets may still be sorted.
  row('setTopic', 'agent', [...ACTIVE, 'closed'], 'same'),
  row('setTags', 'agent', [...ACTIVE, 'closed'], 'same'),
  // A second markSpam or delete would overwrite the status to go back to.
  row('markSpam', 'agent', ALL.filter((s) => s !== 'deleted' && s !== 'spam'), 'spam'),
  row('unspam', 'agent', ['spam'], 'beforeSpam'),
  row('delete', 'agent', ALL.filter((s) => s !== 'deleted'), 'deleted'),
  row('restore', 'agent', ['deleted'], 'beforeDelete'),
  row('purge', 'agent', ['spam', 'deleted'], 'purged'),
  row('autoClose', 'system', ['resolved'], 'closed', autoCloseDue),
  row('wake', 'system', ['postponed'], 'beforePostpone', wakeDue),
  // Not in the spec's table: a suggested site rule. An agent-only event, once per agent reply.
  row('remind', 'system', ['answered'], 'same', reminderDue),
  // Not in the spec's table: service levels (an agent-only event, once per missed target).
  row('breachSla', 'system', ['new', 'open', 'answered'], 'same'),
];

const findRow = (status: Status, action: Action, actor: ActorKind) =>
  TRANSITIONS.find((r) => r.action === action && r.actor === actor && r.from.includes(status));

/** The first event of every ticket. */
export function created(now: number, topicId?: string | null): LifecycleEvent {
  return { type: 'created', from: null, to: 'new', at: now, data: topicId ? { topicId } : null };
}

export function transition(
  ticket: TicketState,
  command: Command,
  actor: Actor,
  now: number,
  rules: SiteRules,
): Result {
  const found = findRow(ticket.status, command.action, actor.kind);
  if (!found) {
    return {
      ok: false,
      error: new DomainError(
        'ILLEGAL_TRANSITION',
        `Cannot ${command.action} a ticket that is ${ticket.status}`,
        { from: ticket.status, action: command.action },
      ),
    };
  }
  const refused = found.guard?.(ticket, command, now, rules);
  if (refused) return { ok: false, error: refused };

  const at = Math.max(now, ticket.lastEventAt);
  if (command.action === 'purge') return { ok: true, change: { kind: 'purge', at } };

  const to = resolveTarget(ticket, found.to);
  return { ok: true, change: { kind: 'update', ...effects(ticket, command, actor, to, at) } };
}

/** The actions this actor may take on the ticket now, guards included. */
export function allowedActions<A extends Action>(
  ticket: TicketState,
  actor: ActorKind,
  actions: readonly A[],
  now: number,
  rules: SiteRules,
): A[] {
  return actions.filter((action) => {
    const found = findRow(ticket.status, action, actor);
    if (!found) return false;
    // Guards that check a command's own input (postpone's `until`) pass for any valid input.
    if (found.guard === untilInFuture) return true;
    return !found.guard?.(ticket, { action } as Command, now, rules);
  });
}

/** When a customer may no longer reopen: null unless the ticket is closed. */
export function reopenUntil(ticket: TicketState, rules: SiteRules): number | null {
  return ticket.status === 'closed' ? reopenWindowEnd(ticket, rules) : null;
}

/** When the system will close a resolved ticket on its own: null unless resolved. */
export function autoCloseAt(ticket: TicketState, rules: SiteRules): number | null {
  if (ticket.status !== 'resolved' || ticket.resolvedAt === null) return null;
  return ticket.resolvedAt + rules.autoCloseAfterHours * HOUR;
}

/** How a customer sees a status: postponed is open; spam and deleted do not exist. */
export type CustomerStatus = Exclude<Status, 'postponed' | 'spam' | 'deleted'>;

export function customerStatus(status: Status): CustomerStatus | null {
  if (status === 'postponed') return 'open';
  if (status === 'spam' || status === 'deleted') return null;
  return status;
}

function resolveTarget(ticket: TicketState, to: Target): Status {
  switch (to) {
    case 'same':
      return ticket.status;
    case 'beforePostpone':
      return ticket.statusBeforePostpone ?? 'open';
    case 'beforeSpam':
      return ticket.statusBeforeSpam ?? 'open';
    case 'beforeDelete':
      return ticket.statusBeforeDelete ?? 'open';
    case 'purged':
      throw new Error('purge has no target status');
    default:
      return to;
  }
}

const EVENT_TYPE: Record<Exclude<Action, 'purge'>, EventType> = {
  reply: 'replied',
  note: 'note_added',
  confirmResolution: 'resolution_confirmed',
  rejectResolution: 'resolution_rejected',
  reopen: 'reopened',
  rate: 'rated',
  createFollowUp: 'follow_up_created',
  resolve: 'resolved',
  postpone: 'postponed',
  close: 'closed',
  assign: 'assigned',
  setPriority: 'priority_changed',
  markSpam: 'marked_spam',
  unspam: 'unspammed',
  delete: 'deleted',
  restore: 'restored',
  autoClose: 'auto_closed',
  wake: 'woke',
  remind: 'reminder_due',
  setTopic: 'topic_changed',
  setTags: 'tags_changed',
  breachSla: 'sla_breached',
};

/** A message a change writes; its attachments (uploads of the actor) are claimed with it. */
export interface ChangeMessage {
  body: string;
  internal: boolean;
  attachmentIds?: string[];
}

const withFiles = (message: ChangeMessage, ids: string[] | undefined): ChangeMessage => (ids?.length ? { ...message, attachmentIds: ids } : message);

function effects(
  t: TicketState,
  c: Exclude<Command, { action: 'purge' }>,
  actor: Actor, to: Status, at: number) {
  const from = t.status;
  const patch: TicketPatch = { ...statusPatch(t, to, actor, at) };
  let message: ChangeMessage | null = null;
  let data: Record<string, unknown> | null = null;
  let type = EVENT_TYPE[c.action];

  switch (c.action) {
    case 'reply':
      message = withFiles({ body: c.body, internal: false }, c.attachmentIds);
      // A customer's reply to a closed ticket is a reopen (spec: reply from closed).
      if (from === 'closed') {
        type = 'reopened';
        data = { via: 'reply' };
      }
      break;
    case 'note':
      message = withFiles({ body: c.body, internal: true }, c.attachmentIds);
      break;
    case 'rejectResolution':
      message = withFiles({ body: c.body, internal: false }, c.attachmentIds);
      break;
    case 'resolve':
      if (c.body) message = { body: c.body, internal: false };
      break;
    case 'confirmResolution':
      patch.rating = c.rating ?? null;
      patch.ratingComment = c.comment ?? null;
      if (c.rating !== undefined) data = { rating: c.rating, comment: c.comment ?? null };
      break;
    case 'rate':
      patch.rating = c.rating;
      patch.ratingComment = c.comment ?? null;
      data = { rating: c.rating, comment: c.comment ?? null };
      break;
    case 'reopen':
      if (c.reason) data = { reason: c.reason };
      break;
    case 'createFollowUp':
      data = { followUpId: c.followUpId };
      break;
    case 'postpone':
      patch.postponedUntil = c.until;
      data = { until: new Date(c.until).toISOString() };
      break;
    case 'assign':
      patch.assigneeId = c.assigneeId;
      data = { from: t.assigneeId, to: c.assigneeId };
      break;
    case 'setPriority':
      patch.priority = c.priority;
      data = { from: t.priority, to: c.priority };
      break;
    case 'setTopic':
      patch.topicId = c.topicId;
      data = { from: t.topicId, to: c.topicId };
      break;
    case 'setTags':
      patch.tags = c.tags;
      data = { from: t.tags, to: c.tags };
      break;
    case 'breachSla':
      data = { names: c.names };
      break;
    case 'remind':
      patch.remindedAt = at;
      break;
  }
  return { patch, message, event: { type, from, to, at, data } };
}

/** The bookkeeping that follows from entering and leaving statuses. */
function statusPatch(t: TicketState, to: Status, actor: Actor, at: number): TicketPatch {
  const from = t.status;
  if (to === from) return {};
  const patch: TicketPatch = { status: to };

  // Spam and deleted park a ticket: going there and back keeps everything else as it was.
  // Restoring may land back in spam: leaving `deleted` is checked first so the pre-spam status survives.
  if (from === 'deleted') return { ...patch, statusBeforeDelete: null };
  if (to === 'spam') return { ...patch, statusBeforeSpam: from };
  if (to === 'deleted') return { ...patch, statusBeforeDelete: from };
  if (from === 'spam') return { ...patch, statusBeforeSpam: null };

  if (to === 'postponed') patch.statusBeforePostpone = from;
  if (from === 'postponed') {
    patch.statusBeforePostpone = null;
    patch.postponedUntil = null;
  }
  if (to === 'resolved') patch.resolvedAt = at;
  if (from === 'resolved' && to !== 'closed') patch.resolvedAt = null;
  if (to === 'closed') {
    patch.closedAt = at;
    patch.closedBy = actor.kind;
  }
  if (from === 'closed') {
    patch.closedAt = null;
    patch.closedBy = null;
    patch.resolvedAt = null;
    patch.rating = null;
    patch.ratingComment = null;
    patch.reopenCount = t.reopenCount + 1;
  }
  return patch;
}
