/**
 * What a decided change writes to the ticket row, and the store's own refusals:
 * the same for every database.
 */
import { isCustomerEvent, type Change } from '../lifecycle/lifecycle.js';
import { DomainError } from '../lifecycle/errors.js';
import type { ActorRef, Idempotency } from './store.js';

/** What a list shows of a message: enough for one line, whatever the screen. */
export const previewOf = (body: string) => body.slice(0, 300);

/** The ticket's new column values for a change (its version is bumped by the store). */
export function ticketUpdateFor(change: Extract<Change, { kind: 'update' }>, actor: ActorRef): Record<string, unknown> {
  const { event, message } = change;
  const publicActivity = isCustomerEvent(event.type) && !message?.internal;
  const agentReplied = actor.kind === 'agent' && message !== null && !message.internal;
  return {
    ...change.patch,
    updatedAt: event.at,
    lastEventAt: event.at,
    ...(publicActivity ? { lastActivityAt: event.at } : {}),
    ...(agentReplied ? { lastAgentReplyAt: event.at } : {}),
    ...(message && !message.internal ? { lastPublicMessage: previewOf(message.body) } : {}),
  };
}

export const idempotencyMismatch = () =>
  new DomainError('IDEMPOTENCY_MISMATCH', 'This idempotency key was already used for a different ticket', {
    field: 'idempotencyKey',
  });

/** A recorded use of an idempotency key that still counts, else null: one older than `notBefore` has expired. */
export const liveKeyUse = <T extends { createdAt: number }>(seen: T | null | undefined, idem: Idempotency): T | null =>
  seen && seen.createdAt >= idem.notBefore ? seen : null;
