/**
 * The metrics' part of a write, the same for every database: the ticket's new tally
 * columns and the fact rows an event adds (server/analytics/ticket-tracking.ts decides them).
 */
import { slaPolicy } from '../analytics/sla-settings.js';
import { replay, track, type Fact, type Tracked, type TrackedEvent } from '../analytics/ticket-tracking.js';
import type { LifecycleEvent, Priority } from '../lifecycle/lifecycle.js';
import type { ActorRef, EventRow, SiteRow, TicketRow } from './store.js';

/** What `track` needs of a change about to be written. */
export function trackedEvent(event: LifecycleEvent, actor: ActorRef, publicMessage: boolean): TrackedEvent {
  return { type: event.type, from: event.from, to: event.to, at: event.at, actorKind: actor.kind, publicMessage, data: event.data };
}

/** The same, from a stored event (for a rebuild). */
export function storedEvent(row: EventRow): TrackedEvent {
  return {
    type: row.type as TrackedEvent['type'],
    from: row.fromStatus as TrackedEvent['from'],
    to: row.toStatus as TrackedEvent['to'],
    at: row.at,
    actorKind: row.actorKind as TrackedEvent['actorKind'],
    publicMessage: row.messageId !== null && row.type !== 'note_added',
    data: row.data,
  };
}

/** One change's bookkeeping on a ticket (`ticket` as it was before, or as created). */
export function trackChange(ticket: Pick<TicketRow, 'tracking' | 'createdAt'>, priority: string, site: SiteRow, event: TrackedEvent): Tracked {
  return track(ticket.tracking, ticket.createdAt, priority as Priority, event, slaPolicy(site.sla));
}

/** A ticket's tally and facts made again from its stored events, oldest first. */
export function replayTicket(ticket: Pick<TicketRow, 'createdAt'>, site: SiteRow, history: EventRow[]): Tracked {
  return replay(ticket.createdAt, history.map(storedEvent), slaPolicy(site.sla));
}

export const trackingColumns = (tracked: Tracked) => ({ tracking: tracked.tracking, slaDueAt: tracked.slaDueAt, waitingSince: tracked.tracking.waitingSince });

/** Fact rows for insert, carrying the ticket's current topic, priority and assignee. */
export function factRows(facts: Fact[], ticket: Pick<TicketRow, 'id' | 'siteId' | 'topicId' | 'priority' | 'assigneeId'>) {
  return facts.map((f) => ({
    siteId: ticket.siteId,
    ticketId: ticket.id,
    topicId: ticket.topicId,
    priority: ticket.priority,
    assigneeId: ticket.assigneeId,
    ...f,
  }));
}
