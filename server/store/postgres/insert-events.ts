import { sql } from 'drizzle-orm';
import type { LifecycleEvent } from '../../lifecycle/lifecycle.js';
import type { ActorRef, EventRow, TicketRow } from '../store.js';
import type { Q } from './postgres-store.js';
import { events } from './schema.js';

/** Event ids must become visible in the order they were given, or a live reader resuming after id N would skip a slower N−1. */
const EVENT_ORDER_LOCK = 0x636c6576; // 'clev'

export interface NewEvent {
  ticket: Pick<TicketRow, 'id' | 'siteId' | 'customerId'>;
  actor: ActorRef;
  event: LifecycleEvent;
  messageId: string | null;
}

/**
 * Inserts events, at most one per ticket, in one statement. It first takes the event-order
 * lock, held until commit, so that ids become visible in the order they were drawn; callers
 * do everything they can before it. The rows travel as one JSON parameter, however many.
 */
export async function insertEvents(q: Q, rows: NewEvent[]): Promise<EventRow[]> {
  const written = rows.map(({ ticket, actor, event, messageId }) => ({
    id: 0,
    ticketId: ticket.id,
    siteId: ticket.siteId,
    customerId: ticket.customerId,
    type: event.type,
    fromStatus: event.from,
    toStatus: event.to,
    actorKind: actor.kind,
    actorId: actor.id,
    messageId,
    at: event.at,
    data: event.data ?? null,
  }));
  const json = JSON.stringify(
    written.map((e) => ({
      ticket_id: e.ticketId,
      site_id: e.siteId,
      customer_id: e.customerId,
      type: e.type,
      from_status: e.fromStatus,
      to_status: e.toStatus,
      actor_kind: e.actorKind,
      actor_id: e.actorId,
      message_id: e.messageId,
      at: e.at,
      data: e.data,
    })),
  );
  const { rows: ids } = await q.execute<{ id: string; ticket_id: string }>(sql`
    INSERT INTO ${events} (ticket_id, site_id, customer_id, type, from_status, to_status, actor_kind, actor_id, message_id, at, data)
    SELECT r.ticket_id, r.site_id, r.customer_id, r.type, r.from_status, r.to_status, r.actor_kind, r.actor_id, r.message_id, r.at, r.data
    FROM (SELECT pg_advisory_xact_lock(${EVENT_ORDER_LOCK})) AS ordered, json_populate_recordset(NULL::${events}, ${json}::json) WITH ORDINALITY AS r
    ORDER BY r.ordinality
    RETURNING id, ticket_id`);
  const idOf = new Map(ids.map((row) => [row.ticket_id, Number(row.id)]));
  return written.map((e) => ({ ...e, id: idOf.get(e.ticketId)! }));
}
