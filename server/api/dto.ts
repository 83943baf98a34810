import { attachmentSettings } from '../attachments/attachment-settings.js';
import { notificationsOf } from '../mail/notification-settings.js';
/**
 * What the API returns: explicit shapes per audience, never raw rows.
 * Timestamps are ISO-8601 strings so any language can read them.
 */
import {
  AGENT_ACTIONS,
  CUSTOMER_ACTIONS,
  allowedActions,
  autoCloseAt,
  customerStatus,
  reopenUntil,
  type ActorKind,
  type Status,
} from '../lifecycle/lifecycle.js';
import type {
  AgentRow,
  AttachmentRow,
  CustomerRow,
  EventRow,
  MessageRow,
  SiteRow,
  TicketRow,
  WebhookAttemptRow,
  WebhookDeliveryRow,
  WebhookEndpointRow,
} from '../store/store.js';
import type { WebhookEvent } from '../webhooks/webhook-events.js';
import { siteRules, ticketState } from '../tickets/ticket-state.js';
import { slaView } from '../analytics/ticket-tracking.js';

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const isoAt = (ms: number) => new Date(ms).toISOString();
const firstLine = (text: string | null) => text?.trim().split('\n')[0]!.slice(0, 140) ?? null;

export function customerTicket(row: TicketRow, site: SiteRow, now: number) {
  const state = ticketState(row);
  const rules = siteRules(site);
  return {
    id: row.id,
    subject: row.subject,
    status: customerStatus(state.status) ?? 'open',
    version: row.version,
    topicId: row.topicId,
    createdAt: isoAt(row.createdAt),
    lastActivityAt: isoAt(row.lastActivityAt),
    resolvedAt: iso(row.resolvedAt),
    closedAt: iso(row.closedAt),
    autoCloseAt: iso(autoCloseAt(state, rules)),
    reopenUntil: iso(reopenUntil(state, rules)),
    reopenCount: row.reopenCount,
    followUpOf: row.followUpOf,
    rating: row.rating,
    ratingComment: row.ratingComment,
    unread: row.lastAgentReplyAt !== null && (row.customerReadAt ?? 0) < row.lastAgentReplyAt,
    /** The newest public message, its first line, for a one-line preview. */
    preview: firstLine(row.lastPublicMessage),
    allowedActions: allowedActions(state, 'customer', CUSTOMER_ACTIONS, now, rules),
  };
}
export type CustomerTicket = ReturnType<typeof customerTicket>;

export function customerSummary(row: CustomerRow) {
  return { id: row.id, externalId: row.externalId, email: row.email, name: row.name, verified: row.externalId !== null };
}

export function agentTicket(row: TicketRow, site: SiteRow, now: number, customer: CustomerRow | null) {
  const state = ticketState(row);
  const rules = siteRules(site);
  return {
    id: row.id,
    subject: row.subject,
    status: state.status,
    version: row.version,
    priority: state.priority,
    assigneeId: row.assigneeId,
    topicId: row.topicId,
    tags: row.tags,
    /** Service-level due dates (null: met, paused, or no target) and the targets missed so far. */
    sla: slaView(row.tracking),
    customer: customer ? customerSummary(customer) : null,
    contactEmail: row.contactEmail,
    contactName: row.contactName,
    createdAt: isoAt(row.createdAt),
    updatedAt: isoAt(row.updatedAt),
    lastActivityAt: isoAt(row.lastActivityAt),
    resolvedAt: iso(row.resolvedAt),
    closedAt: iso(row.closedAt),
    closedBy: row.closedBy as ActorKind | null,
    autoCloseAt: iso(autoCloseAt(state, rules)),
    postponedUntil: iso(row.postponedUntil),
    reopenUntil: iso(reopenUntil(state, rules)),
    reopenCount: row.reopenCount,
    followUpOf: row.followUpOf,
    rating: row.rating,
    ratingComment: row.ratingComment,
    preview: firstLine(row.lastPublicMessage),
    /** Where and how the customer opened it: agents only, never in a customer's view. */
    context: row.context ?? null,
    allowedActions: allowedActions(state, 'agent', AGENT_ACTIONS, now, rules),
  };
}
export type AgentTicket = ReturnType<typeof agentTicket>;

export function agentDto(row: AgentRow) {
  return { id: row.id, email: row.email, name: row.name, createdAt: isoAt(row.createdAt) };
}

export function siteDto(row: SiteRow) {
  return {
    id: row.id,
    name: row.name,
    siteKey: row.siteKey,
    origins: row.origins,
    autoCloseAfterHours: row.autoCloseAfterHours,
    reopenWindowDays: row.reopenWindowDays,
    agentsMayClose: row.agentsMayClose,
    remindAfterHours: row.remindAfterHours,
    texts: row.texts,
    contextKeepsQuery: row.contextKeepsQuery,
    notifications: notificationsOf(row),
    attachments: attachmentSettings(row),
    topics: row.topics,
    sla: row.sla ?? null,
    createdAt: isoAt(row.createdAt),
  };
}

export function webhookEndpointDto(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: row.events as WebhookEvent[],
    disabledAt: iso(row.disabledAt),
    disabledReason: row.disabledReason,
    rotating: row.previousSecret !== null,
    createdAt: isoAt(row.createdAt),
  };
}

export function webhookDeliveryDto(delivery: WebhookDeliveryRow, attempts: WebhookAttemptRow[]) {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    type: delivery.type as WebhookEvent,
    status: delivery.status as 'pending' | 'delivered' | 'failed',
    attempts: attempts.map((a) => ({ at: isoAt(a.at), statusCode: a.statusCode, error: a.error, durationMs: a.durationMs })),
    nextAttemptAt: delivery.status === 'pending' ? isoAt(delivery.nextAttemptAt) : null,
    createdAt: isoAt(delivery.createdAt),
    deliveredAt: iso(delivery.deliveredAt),
    payload: JSON.parse(delivery.payload) as unknown,
  };
}

export interface Person {
  kind: ActorKind;
  name: string | null;
}

/**
 * A file sent with a message; `url` is signed for this caller and lives 30 minutes (fit
 * for `<img src>`: no headers needed). `thumbnailUrl`: a smaller copy of an image, when
 * its uploader sent one (the widget does for large images), for previews.
 */
export interface AttachmentItem {
  id: string;
  name: string;
  size: number;
  contentType: string;
  url: string;
  thumbnailUrl: string | null;
}

export type TimelineItem =
  | { kind: 'message'; id: string; at: string; author: Person; body: string; internal: boolean; attachments: AttachmentItem[] }
  | {
      kind: 'event';
      id: number;
      at: string;
      type: string;
      from: string | null;
      to: string;
      actor: Person;
      data: Record<string, unknown> | null;
    };

export function messageItem(row: MessageRow, author: Person, attachments: AttachmentItem[]): TimelineItem {
  return { kind: 'message', id: row.id, at: isoAt(row.createdAt), author, body: row.body, internal: row.internal, attachments };
}

export function attachmentItem(row: AttachmentRow, url: string, thumbnailUrl: string | null): AttachmentItem {
  return { id: row.id, name: row.name, size: row.size, contentType: row.contentType, url, thumbnailUrl };
}

export function eventItem(row: EventRow, actor: Person, audience: 'customer' | 'agent'): TimelineItem {
  const word = (s: string | null) =>
    s === null || audience === 'agent' ? s : (customerStatus(s as Status) ?? 'open');
  return {
    kind: 'event',
    id: row.id,
    at: isoAt(row.at),
    type: row.type,
    from: word(row.fromStatus),
    to: word(row.toStatus) ?? row.toStatus,
    actor,
    data: row.data ?? null,
  };
}
