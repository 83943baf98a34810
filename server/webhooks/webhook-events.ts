/**
 * Which webhook events a ticket change emits, and what they carry. Pure: the
 * store calls it inside the transaction that makes the change, so the outbox
 * row and the change commit together.
 */
import type { CustomerRow, EventRow, MessageRow, SiteRow, TicketRow } from '../store/store.js';

export const WEBHOOK_EVENTS = [
  'ticket.created',
  'ticket.replied',
  'ticket.status_changed',
  'ticket.resolved',
  'ticket.closed',
  'ticket.reopened',
  'ticket.reminder_due',
  // A service-level target missed (event data: the targets' names); once per miss.
  'ticket.sla_breached',
  // An email to a customer that could not be delivered (a bounce, a refused address).
  'email.failed',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const PARKING = new Set(['spam', 'deleted']);

export function webhookEventsFor(event: Pick<EventRow, 'type' | 'fromStatus' | 'toStatus'>, message: MessageRow | null): WebhookEvent[] {
  const types: WebhookEvent[] = [];
  const { type, fromStatus: from, toStatus: to } = event;
  if (type === 'created') types.push('ticket.created');
  if (message && !message.internal && type !== 'created') types.push('ticket.replied');
  if (from !== null && from !== to) types.push('ticket.status_changed');
  if (type === 'resolved') types.push('ticket.resolved');
  if (to === 'closed' && from !== null && from !== 'closed' && !PARKING.has(from)) types.push('ticket.closed');
  if (type === 'reopened') types.push('ticket.reopened');
  if (type === 'reminder_due') types.push('ticket.reminder_due');
  if (type === 'sla_breached') types.push('ticket.sla_breached');
  return types;
}

/** The JSON body of one delivery: a snapshot as of the change, not of delivery time. */
export function webhookPayload(
  type: WebhookEvent,
  site: SiteRow,
  ticket: TicketRow,
  customer: CustomerRow | null,
  event: EventRow,
  message: MessageRow | null,
) {
  return {
    type,
    timestamp: iso(event.at),
    siteId: site.id,
    data: {
      ticket: {
        id: ticket.id,
        subject: ticket.subject,
        status: ticket.status,
        version: ticket.version,
        priority: ticket.priority,
        assigneeId: ticket.assigneeId,
        topicId: ticket.topicId,
        tags: ticket.tags,
        followUpOf: ticket.followUpOf,
        rating: ticket.rating,
        createdAt: iso(ticket.createdAt),
        resolvedAt: iso(ticket.resolvedAt),
        closedAt: iso(ticket.closedAt),
        customer: customer && {
          id: customer.id,
          externalId: customer.externalId,
          email: customer.email ?? ticket.contactEmail,
          name: customer.name ?? ticket.contactName,
        },
      },
      event: {
        id: event.id,
        type: event.type,
        from: event.fromStatus,
        to: event.toStatus,
        actor: { kind: event.actorKind, id: event.actorId },
        at: iso(event.at),
        data: event.data ?? null,
      },
      message: message && { id: message.id, body: message.body, author: { kind: message.authorKind, id: message.authorId } },
    },
  };
}
