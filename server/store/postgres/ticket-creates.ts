import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { LifecycleEvent } from '../../lifecycle/lifecycle.js';
import { notFound, rateLimited } from '../../lifecycle/errors.js';
import { emailKey } from '../../mail/notification-settings.js';
import { newId } from '../ids.js';
import { idempotencyMismatch, liveKeyUse, previewOf } from '../ticket-writes.js';
import type { ActorRef, Applied, Decide, EventRow, Idempotency, MessageRow, NewTicket, SiteRow, TicketRef, TicketRow } from '../store.js';
import { insertEvents } from './insert-events.js';
import type { Tracked } from '../../analytics/ticket-tracking.js';
import { trackChange, trackedEvent, trackingColumns } from '../metric-writes.js';
import type { Q } from './postgres-store.js';
import { idempotencyKeys, messages, sites, tickets } from './schema.js';

export interface Created {
  ticket: TicketRow;
  created: boolean;
  eventIds: number[];
}

type Outcome = { ok: true; value: Created } | { ok: false; error: unknown };

export interface TicketCreatesDeps {
  transaction: <T>(fn: (q: Q) => Promise<T>) => Promise<T>;
  read: <T>(fn: (q: Q) => Promise<T>) => Promise<T>;
  /** Adds `n` to a rate-limit counter; returns the count after. */
  takeRateLimit(q: Q, key: string, n: number, windowMs: number, now: number): Promise<number>;
  applyOne(q: Q, ref: TicketRef, actor: ActorRef, decide: Decide): Promise<Applied>;
  /** The email and the webhooks' reads, before the event takes the ordering lock; returns the deliveries' writer. */
  outboxesBefore(q: Q, site: SiteRow, ticket: TicketRow, actor: ActorRef, event: LifecycleEvent, message: MessageRow): Promise<((row: EventRow) => Promise<void>) | null>;
  /** Makes the uploads listed with a create its opening message's (or refuses, failing the group). */
  claimAttachments(q: Q, site: SiteRow, actor: ActorRef, ticketId: string, message: MessageRow, ids: string[] | undefined): Promise<void>;
  /** The facts a change adds (see metric-writes.ts). */
  writeFacts(q: Q, changes: { ticket: TicketRow; tracked: Tracked }[]): Promise<void>;
  /** Groups in flight at once (each holds a connection to its commit). */
  maxInFlight: number;
}

interface Unit {
  input: NewTicket;
  resolve: (value: Created) => void;
  reject: (error: unknown) => void;
}

const MAX_GROUP = 64;
const keyOf = (idem: Pick<Idempotency, 'scope' | 'key'>) => `${idem.scope}\u0000${idem.key}`;

/**
 * Group commit for ticket creates on PostgreSQL. Creates asked for while others are being
 * written — the calls of a batched request, or a crowd of customers — share one transaction:
 * one multi-row insert per table, one turn at the event-order lock, one commit. A create the
 * group refuses (rate limit, idempotency mismatch, unknown site) is refused alone; when the
 * group's transaction fails as a whole, each create is tried again in its own, so one bad
 * create never takes the others down.
 */
export function createTicketCreates(deps: TicketCreatesDeps) {
  let queue: Unit[] = [];
  let inFlight = 0;

  /** Which creates are retries answered by their first ticket: read once for the group. */
  async function recordedKeys(q: Q, idems: Idempotency[]) {
    if (idems.length === 0) return new Map<string, typeof idempotencyKeys.$inferSelect>();
    const rows = await q
      .select()
      .from(idempotencyKeys)
      .where(or(...idems.map((i) => and(eq(idempotencyKeys.scope, i.scope), eq(idempotencyKeys.key, i.key)))));
    return new Map(rows.map((row) => [keyOf(row), row]));
  }

  /** Counts each create against its limit, one statement per key; returns the refused ones. */
  async function overLimit(units: Unit[]): Promise<Set<Unit>> {
    const limited = units.filter((u) => u.input.rateLimit);
    if (limited.length === 0) return new Set();
    const retries = await deps.read((q) => recordedKeys(q, limited.flatMap((u) => u.input.idempotency ?? [])));
    // A retry that will be answered with its first ticket is not counted.
    const byKey = new Map<string, Unit[]>();
    for (const u of limited) {
      const idem = u.input.idempotency;
      if (idem && liveKeyUse(retries.get(keyOf(idem)), idem)?.bodyHash === idem.bodyHash) continue;
      const key = u.input.rateLimit!.key;
      byKey.set(key, [...(byKey.get(key) ?? []), u]);
    }
    const refused = new Set<Unit>();
    await Promise.all(
      [...byKey].map(async ([key, group]) => {
        const { windowMs, now, limit } = group[0]!.input.rateLimit!;
        const after = await deps.read((q) => deps.takeRateLimit(q, key, group.length, windowMs, now));
        group.forEach((u, i) => {
          if (after - group.length + i + 1 > limit) refused.add(u);
        });
      }),
    );
    return refused;
  }

  /** Writes the creates in the caller's transaction; each gets its outcome, or the whole call throws. */
  async function writeCreates(q: Q, inputs: NewTicket[]): Promise<Outcome[]> {
    const outcomes: (Outcome | null)[] = inputs.map(() => null);
    const idems = inputs.flatMap((i) => i.idempotency ?? []);
    if (idems.length > 0) {
      // Two servers handling two copies of one retry take turns on its key; in one order, so never a deadlock.
      const names = JSON.stringify([...new Set(idems.map((i) => `idem:${i.scope}:${i.key}`))].sort());
      await q.execute(sql`SELECT pg_advisory_xact_lock(hashtext(name)) FROM (SELECT value AS name FROM json_array_elements_text(${names}::json) ORDER BY 1) AS keys`);
    }
    const recorded = await recordedKeys(q, idems);
    const earlier = recorded.size
      ? new Map((await q.select().from(tickets).where(inArray(tickets.id, [...recorded.values()].map((r) => r.ticketId)))).map((t) => [t.id, t]))
      : new Map<string, TicketRow>();
    const siteRows = new Map((await q.select().from(sites).where(inArray(sites.id, [...new Set(inputs.map((i) => i.siteId))]))).map((s) => [s.id, s]));

    /** A key used earlier in this group: its later copies get the same ticket. */
    const claimed = new Map<string, { index: number; bodyHash: string }>();
    const copies: { index: number; of: number }[] = [];
    const writes: { index: number; input: NewTicket; site: SiteRow; id: string; eventIds: number[]; tracked: Tracked }[] = [];
    inputs.forEach((input, index) => {
      const idem = input.idempotency;
      if (idem) {
        const seen = liveKeyUse(recorded.get(keyOf(idem)), idem);
        const first = seen ? earlier.get(seen.ticketId) : undefined;
        if (seen && first) {
          outcomes[index] = seen.bodyHash === idem.bodyHash ? { ok: true, value: { ticket: first, created: false, eventIds: [] } } : { ok: false, error: idempotencyMismatch() };
          return;
        }
        const twin = claimed.get(keyOf(idem));
        if (twin) {
          if (twin.bodyHash === idem.bodyHash) copies.push({ index, of: twin.index });
          else outcomes[index] = { ok: false, error: idempotencyMismatch() };
          return;
        }
        claimed.set(keyOf(idem), { index, bodyHash: idem.bodyHash });
      }
      const site = siteRows.get(input.siteId);
      if (!site) outcomes[index] = { ok: false, error: notFound() };
      // The opening message is the customer's, also when an agent files it for them: no reply yet.
      else writes.push({ index, input, site, id: newId('tk'), eventIds: [], tracked: trackChange({ tracking: null, createdAt: input.event.at }, 'normal', site, trackedEvent(input.event, input.actor, false)) });
    });

    for (const w of writes) {
      if (!w.input.followUpOf) continue;
      const { ticketId, decide } = w.input.followUpOf;
      const ref = { siteId: w.input.siteId, ticketId, customerId: w.input.customerId };
      const applied = await deps.applyOne(q, ref, w.input.actor, (old, site) => decide(old, site, w.id));
      if (applied.eventId !== null) w.eventIds.push(applied.eventId);
    }

    if (writes.length > 0) {
      const ticketRows = await q
        .insert(tickets)
        .values(
          writes.map(({ input, id, tracked }) => ({
            id,
            topicId: input.topicId ?? null,
            ...trackingColumns(tracked),
            siteId: input.siteId,
            customerId: input.customerId,
            subject: input.subject,
            status: input.event.to,
            version: 1,
            followUpOf: input.followUpOf?.ticketId ?? null,
            contactEmail: input.contactEmail ?? null,
            emailKey: emailKey(input.contactEmail),
            contactName: input.contactName ?? null,
            locale: input.locale ?? 'en',
            lastPublicMessage: previewOf(input.body),
            context: input.context ?? null,
            createdAt: input.event.at,
            updatedAt: input.event.at,
            lastEventAt: input.event.at,
            lastActivityAt: input.event.at,
          })),
        )
        .returning();
      const messageRows = await q
        .insert(messages)
        .values(writes.map(({ input, id }) => ({ id: newId('msg'), ticketId: id, authorKind: input.messageAuthor.kind, authorId: input.messageAuthor.id, body: input.body, internal: false, createdAt: input.event.at })))
        .returning();
      const keyed = writes.flatMap(({ input, id }) => (input.idempotency ? [{ ...input.idempotency, ticketId: id, at: input.event.at }] : []));
      if (keyed.length > 0) {
        await q
          .insert(idempotencyKeys)
          .values(keyed.map((k) => ({ scope: k.scope, key: k.key, bodyHash: k.bodyHash, ticketId: k.ticketId, createdAt: k.at })))
          .onConflictDoUpdate({
            target: [idempotencyKeys.scope, idempotencyKeys.key],
            set: { ticketId: sql`excluded.ticket_id`, bodyHash: sql`excluded.body_hash`, createdAt: sql`excluded.created_at` },
          });
      }
      const ticketOf = new Map(ticketRows.map((t) => [t.id, t]));
      const messageOf = new Map(messageRows.map((m) => [m.ticketId, m]));
      const made = writes.map((w) => ({ ...w, ticket: ticketOf.get(w.id)!, message: messageOf.get(w.id)! }));
      for (const m of made) await deps.claimAttachments(q, m.site, m.input.messageAuthor, m.id, m.message, m.input.attachmentIds);
      await deps.writeFacts(q, made);
      const webhooks = [];
      for (const m of made) webhooks.push(await deps.outboxesBefore(q, m.site, m.ticket, m.input.actor, m.input.event, m.message));
      const eventRows = await insertEvents(q, made.map((m) => ({ ticket: m.ticket, actor: m.input.actor, event: m.input.event, messageId: m.message.id })));
      for (const [i, m] of made.entries()) {
        await webhooks[i]?.(eventRows[i]!);
        outcomes[m.index] = { ok: true, value: { ticket: m.ticket, created: true, eventIds: [...m.eventIds, eventRows[i]!.id] } };
      }
    }
    for (const { index, of } of copies) {
      const first = outcomes[of]!;
      outcomes[index] = first.ok ? { ok: true, value: { ticket: first.value.ticket, created: false, eventIds: [] } } : first;
    }
    return outcomes.map((o) => o!);
  }

  const settle = (units: Unit[], outcomes: Outcome[]) =>
    outcomes.forEach((o, i) => (o.ok ? units[i]!.resolve(o.value) : units[i]!.reject(o.error)));

  async function runGroup(units: Unit[]) {
    let refused: Set<Unit>;
    try {
      refused = await overLimit(units);
    } catch (error) {
      for (const u of units) u.reject(error);
      return;
    }
    for (const u of refused) u.reject(rateLimited());
    const go = units.filter((u) => !refused.has(u));
    if (go.length === 0) return;
    try {
      settle(go, await deps.transaction((q) => writeCreates(q, go.map((u) => u.input))));
    } catch (error) {
      if (go.length === 1) return go[0]!.reject(error);
      // Something in the group failed the whole transaction: each create alone, in the order
      // asked (two copies of one retry stay first and copy), finds out whose it was.
      for (const u of go) {
        try {
          settle([u], await deps.transaction((q) => writeCreates(q, [u.input])));
        } catch (e) {
          u.reject(e);
        }
      }
    }
  }

  function pump() {
    while (inFlight < deps.maxInFlight && queue.length > 0) {
      const units = queue.slice(0, MAX_GROUP);
      queue = queue.slice(MAX_GROUP);
      inFlight++;
      void runGroup(units).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  /** Creates a ticket, possibly in a transaction shared with others; resolves once committed. */
  return function createTicket(input: NewTicket): Promise<Created> {
    return new Promise<Created>((resolve, reject) => {
      // Those asked for in the same turn of the event loop start together.
      if (queue.length === 0) setImmediate(pump);
      queue.push({ input, resolve, reject });
    });
  };
}
