import { DomainError, notFound } from '../lifecycle/errors.js';
import { customerStatus, transition, type Actor, type Command, type Status } from '../lifecycle/lifecycle.js';
import type { Decide, Store, TicketRef } from '../store/store.js';
import { siteRules, ticketState } from './ticket-state.js';

export interface ActDeps {
  store: Store;
  now: () => number;
  hub: { changed: () => void };
}

/**
 * How every ticket action decides, inside the store's transaction: the ticket
 * must be visible to the actor, at the expected version, and the lifecycle
 * must allow the command. Throws (so nothing is written) otherwise.
 */
export function decider(command: Command, actor: Actor, now: number, expectedVersion?: number): Decide {
  const forCustomer = actor.kind === 'customer';
  return (ticket, site) => {
    if (forCustomer && customerStatus(ticket.status as Status) === null) throw notFound();
    if (expectedVersion !== undefined && ticket.version !== expectedVersion) {
      throw new DomainError('VERSION_CONFLICT', 'The ticket changed since you loaded it; reload and try again', {
        expectedVersion,
        currentVersion: ticket.version,
      });
    }
    const result = transition(ticketState(ticket), command, actor, now, siteRules(site));
    if (result.ok) return result.change;
    throw forCustomer ? inCustomerWords(result.error) : result.error;
  };
}

/** Decide, persist in one transaction, then tell the live feed. */
export async function act(deps: ActDeps, ref: TicketRef, command: Command, actor: Actor, expectedVersion?: number) {
  const applied = await deps.store.applyToTicket(ref, actor, decider(command, actor, deps.now(), expectedVersion));
  deps.hub.changed();
  return applied;
}

/** A customer never learns of statuses they cannot see (postponed reads as open). */
function inCustomerWords(error: DomainError) {
  const from = error.details.from as Status | undefined;
  if (!from) return error;
  const shown = customerStatus(from) ?? 'open';
  return new DomainError(error.code, error.message.replace(from, shown), { ...error.details, from: shown });
}
