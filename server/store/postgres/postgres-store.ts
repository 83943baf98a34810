/**
 * The PostgreSQL store: several Closeloop servers on one database. Each write is a
 * READ COMMITTED transaction on a pooled connection that locks what it decides on
 * (`SELECT … FOR UPDATE` on the ticket), so two servers changing one ticket take
 * turns and neither loses the other's change. Workers claim jobs with
 * `FOR UPDATE SKIP LOCKED`, so every server can run them at once.
 */
import { and, asc, desc, eq, getTableColumns, gt, inArray, isNull, lt, lte, max, min, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgDatabase } from 'drizzle-orm/pg-core';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { Change, LifecycleEvent } from '../../lifecycle/lifecycle.js';
import { notFound } from '../../lifecycle/errors.js';
import { emailKey } from '../../mail/notification-settings.js';
import { webhookEventsFor, webhookPayload, type WebhookEvent } from '../../webhooks/webhook-events.js';
import { decodeCursor, keysetPage } from '../cursor.js';
import { newId, sha256 } from '../ids.js';
import { containsPattern } from '../search-pattern.js';
import { idempotencyMismatch, liveKeyUse, ticketUpdateFor } from '../ticket-writes.js';
import type { ActorRef, Applied, Decide, EventRow, Idempotency, Identity, MessageRow, SiteRow, Store, TicketRef, TicketRow } from '../store.js';
import { createPostgresEmailStore } from './postgres-email-store.js';
import { createPostgresAttachmentStore } from './postgres-attachment-store.js';
import { listenForEvents } from './event-listener.js';
import { insertEvents } from './insert-events.js';
import { createPostgresMetricStore } from './postgres-metric-store.js';
import { trackChange, trackedEvent, trackingColumns } from '../metric-writes.js';
import { createTicketCreates } from './ticket-creates.js';
import { fromJsonRows, type JsonRow } from './json-rows.js';
import { postgresTables } from './postgres-tables.js';
import { migratePostgres, openPool, postgresTarget } from './open-postgres.js';
import * as schema from './schema.js';
import { drizzle } from 'drizzle-orm/node-postgres';

const {
  agents,
  customers,
  customerSessions,
  events,
  idempotencyKeys,
  messages,
  purgeRecords,
  rateLimits,
  sites,
  streamTickets,
  tickets,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
} = schema;

/** The database or a transaction on it: every query helper takes either. */
export type Q = PgDatabase<NodePgQueryResultHKT, typeof schema>;

/** A delivery as the store hands it out: without PostgreSQL's `seq`, which only orders them. */
const { seq: _deliverySeq, ...deliveryColumns } = getTableColumns(webhookDeliveries);

/** Deadlocks and serialization failures: the transaction is retried from the start. */
const RETRYABLE = new Set(['40P01', '40001']);

export interface PostgresStoreOptions {
  /** Connections in the pool. Default 10. */
  poolSize?: number;
}

export function createPostgresStore(databaseUrl: string, options: PostgresStoreOptions = {}): Store {
  const target = postgresTarget(databaseUrl);
  const pool = openPool(target, options.poolSize ?? 10);
  // A pool error on an idle connection (the server restarted) must not crash the process: the next query reconnects.
  pool.on('error', () => undefined);
  const db = drizzle(pool, { schema });
  const ready = migratePostgres(pool, target);
  // Every call waits for the migration; its failure is reported by the first call (and by `ready()`).
  ready.catch(() => undefined);

  /** Runs `fn` in one transaction, again from the start after a deadlock. */
  async function transaction<T>(fn: (tx: Q) => Promise<T>): Promise<T> {
    await ready;
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction(fn);
      } catch (error) {
        const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
        if (!code || !RETRYABLE.has(code) || attempt >= 5) throw error;
      }
    }
  }

  /** A read outside any transaction. */
  async function read<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    await ready;
    return fn(db);
  }

  const first = <T>(rows: T[]) => rows[0] ?? null;

  const siteById = async (q: Q, id: string) => first(await q.select().from(sites).where(eq(sites.id, id)));
  const ticketById = async (q: Q, id: string, lock = false) => {
    const query = q.select().from(tickets).where(eq(tickets.id, id));
    return first(await (lock ? query.for('update') : query));
  };

  function ownerCondition(ref: TicketRef): SQL | undefined {
    if (ref.customerId === undefined) return undefined;
    return ref.email ? or(eq(tickets.customerId, ref.customerId), eq(tickets.emailKey, ref.email)) : eq(tickets.customerId, ref.customerId);
  }

  async function loadTicket(q: Q, ref: TicketRef, lock = false) {
    const query = q
      .select()
      .from(tickets)
      .where(and(eq(tickets.id, ref.ticketId), eq(tickets.siteId, ref.siteId), ownerCondition(ref)));
    return first(await (lock ? query.for('update') : query));
  }

  async function enqueueWebhook(q: Q, site: SiteRow, type: WebhookEvent, payload: string, at: number) {
    const live = await liveEndpoints(q, site.id);
    const rows = live.filter((e) => e.events.includes(type)).map((endpoint) => ({ id: newId('msg', 16), endpointId: endpoint.id, siteId: site.id, type, payload, status: 'pending', nextAttemptAt: at, createdAt: at }));
    if (rows.length) await q.insert(webhookDeliveries).values(rows);
  }

  type Endpoint = typeof webhookEndpoints.$inferSelect;
  const endpointsOf = async (q: Q, siteId: string): Promise<Endpoint[]> =>
    q.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.siteId, siteId), isNull(webhookEndpoints.disabledAt)));
  // Read once per transaction and site: a sweep changing a thousand tickets asks once, not a thousand times.
  const endpointsSeen = new WeakMap<Q, Map<string, Promise<Endpoint[]>>>();
  const liveEndpoints = (q: Q, siteId: string) => {
    if (q === db) return endpointsOf(q, siteId);
    const seen = endpointsSeen.get(q) ?? new Map<string, Promise<Endpoint[]>>();
    endpointsSeen.set(q, seen);
    if (!seen.has(siteId)) seen.set(siteId, endpointsOf(q, siteId));
    return seen.get(siteId)!;
  };

  const files = createPostgresAttachmentStore({ transaction, single: read });

  const emails = createPostgresEmailStore({
    transaction,
    read,
    siteById,
    ticketById: (q, id) => ticketById(q, id),
    enqueueWebhook: (q, site, type, data, at) => enqueueWebhook(q, site, type, JSON.stringify({ type, timestamp: new Date(at).toISOString(), siteId: site.id, data }), at),
    apply: async (q, ticket, site, actor, decide) => write(q, ticket, site, actor, decide(ticket, site)),
  });

  async function insertMessage(q: Q, ticketId: string, actor: ActorRef, body: string, internal: boolean, at: number): Promise<MessageRow> {
    const [row] = await q.insert(messages).values({ id: newId('msg'), ticketId, authorKind: actor.kind, authorId: actor.id, body, internal, createdAt: at }).returning();
    return row!;
  }

  /**
   * Reads what the change's webhook deliveries need (endpoints, the customer) before the event
   * takes the ordering lock; the returned function writes them, in one statement, once the
   * event has its id. Null when no endpoint wants the change.
   */
  async function webhookWrites(q: Q, site: SiteRow, ticket: TicketRow, event: LifecycleEvent, message: MessageRow | null) {
    const types = webhookEventsFor({ type: event.type, fromStatus: event.from, toStatus: event.to }, message);
    if (types.length === 0) return null;
    const endpoints = await liveEndpoints(q, site.id);
    if (!endpoints.some((e) => types.some((type) => e.events.includes(type)))) return null;
    const customer = first(await q.select().from(customers).where(eq(customers.id, ticket.customerId)));
    return async (eventRow: EventRow) => {
      const rows = types.flatMap((type) => {
        const payload = JSON.stringify(webhookPayload(type, site, ticket, customer, eventRow, message));
        return endpoints
          .filter((e) => e.events.includes(type))
          .map((endpoint) => ({ id: newId('msg', 16), endpointId: endpoint.id, siteId: site.id, type, payload, status: 'pending', nextAttemptAt: event.at, createdAt: event.at }));
      });
      await q.insert(webhookDeliveries).values(rows);
    };
  }

  /**
   * The outboxes' part of a change that must come before its event takes the ordering lock:
   * the email, and the webhook deliveries' reads. Returns what writes the deliveries once the
   * event has its id (null when no endpoint wants the change).
   */
  async function outboxesBefore(q: Q, site: SiteRow, ticket: TicketRow, actor: ActorRef, event: LifecycleEvent, message: MessageRow | null) {
    await emails.enqueueForChange(q, site, ticket, { type: event.type, actorKind: actor.kind, at: event.at }, message !== null && !message.internal);
    return webhookWrites(q, site, ticket, event, message);
  }

  /** The change's email, its event (taking the ordering lock), then the webhooks that name it. */
  async function insertEventWithOutboxes(q: Q, site: SiteRow, ticket: TicketRow, actor: ActorRef, event: LifecycleEvent, message: MessageRow | null) {
    const webhooks = await outboxesBefore(q, site, ticket, actor, event, message);
    const [eventRow] = await insertEvents(q, [{ ticket, actor, event, messageId: message?.id ?? null }]);
    if (webhooks) await webhooks(eventRow!);
    return eventRow!;
  }

  /** Writes a decided change, inside the caller's transaction (which holds the ticket's row lock). */
  async function write(q: Q, ticket: TicketRow, site: SiteRow, actor: ActorRef, change: Change): Promise<Applied> {
    if (change.kind === 'purge') {
      await q.delete(tickets).where(eq(tickets.id, ticket.id));
      await q.delete(idempotencyKeys).where(eq(idempotencyKeys.ticketId, ticket.id));
      await q.insert(purgeRecords).values({ ticketId: ticket.id, siteId: site.id, actorKind: actor.kind, actorId: actor.id, at: change.at });
      await files.doom(q, ticket.id);
      return { ticket: null, eventId: null };
    }
    // A ticket from before metrics were kept gets its tally from its history first (before this event joins it).
    const tallied = ticket.tracking === null ? await metrics.retrack(q, ticket, site) : ticket;
    const { event, message } = change;
    const messageRow = message ? await insertMessage(q, ticket.id, actor, message.body, message.internal, event.at) : null;
    if (message && messageRow) await files.claim(q, site, actor, ticket.id, messageRow, message.attachmentIds);
    const tracked = trackChange(tallied, change.patch.priority ?? ticket.priority, site, trackedEvent(event, actor, message !== null && !message.internal));
    const [updated] = await q
      .update(tickets)
      .set({ ...ticketUpdateFor(change, actor), ...trackingColumns(tracked), version: sql`${tickets.version} + 1` })
      .where(eq(tickets.id, ticket.id))
      .returning();
    if (!updated) throw notFound();
    await metrics.writeFacts(q, [{ ticket: updated, tracked }]);
    const eventRow = await insertEventWithOutboxes(q, site, updated, actor, event, messageRow);
    return { ticket: updated, eventId: eventRow.id };
  }

  async function idempotentTicket(q: Q, idem: Idempotency): Promise<TicketRow | null> {
    const seen = liveKeyUse(first(await q.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, idem.scope), eq(idempotencyKeys.key, idem.key)))), idem);
    if (!seen) return null;
    if (seen.bodyHash !== idem.bodyHash) throw idempotencyMismatch();
    return ticketById(q, seen.ticketId);
  }

  async function upsertCustomerRow(q: Q, siteId: string, identity: Identity, now: number) {
    const details = {
      ...(identity.email !== undefined ? { email: identity.email } : {}),
      ...(identity.name !== undefined ? { name: identity.name } : {}),
    };
    // One statement, so two servers verifying the same new user at once make one customer.
    const [row] = await q
      .insert(customers)
      .values({ id: newId('cus'), siteId, externalId: identity.externalId, ...details, createdAt: now })
      .onConflictDoUpdate({ target: [customers.siteId, customers.externalId], set: Object.keys(details).length ? details : { externalId: identity.externalId } })
      .returning();
    return row!;
  }

  async function upsertVerifiedCustomer(q: Q, siteId: string, identity: Identity, now: number) {
    const customer = await upsertCustomerRow(q, siteId, identity, now);
    const address = emailKey(identity.email);
    if (address) await emails.proveAddress(q, siteId, address, now);
    return customer;
  }

  async function takeRateLimit(q: Q, key: string, n: number, windowMs: number, now: number) {
    const [row] = await q
      .insert(rateLimits)
      .values({ key, count: n, resetAt: now + windowMs })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`CASE WHEN ${rateLimits.resetAt} <= ${now} THEN ${n}::int ELSE ${rateLimits.count} + ${n}::int END`,
          resetAt: sql`CASE WHEN ${rateLimits.resetAt} <= ${now} THEN excluded.reset_at ELSE ${rateLimits.resetAt} END`,
        },
      })
      .returning({ count: rateLimits.count });
    return row!.count;
  }

  async function applyOne(q: Q, ref: TicketRef, actor: ActorRef, decide: Decide): Promise<Applied> {
    const ticket = await loadTicket(q, ref, true);
    if (!ticket) throw notFound();
    const site = await siteById(q, ticket.siteId);
    if (!site) throw notFound();
    return write(q, ticket, site, actor, decide(ticket, site));
  }

  const metrics = createPostgresMetricStore({ transaction, read, applyOne: (q, ref, actor, decide) => applyOne(q, ref, actor, decide) });

  const createTicket = createTicketCreates({
    writeFacts: metrics.writeFacts,
    transaction,
    read,
    takeRateLimit,
    applyOne,
    outboxesBefore,
    claimAttachments: files.claim,
    // The event-order lock lets one create commit at a time anyway: two groups in flight (one
    // writing, one committing) let the queue grow into large groups. Measured on two cores at 10
    // connections: 1 and 2 in flight ~500 single creates/s, 5 in flight ~350.
    maxInFlight: 2,
  });

  /** Keys of a site's reminder and auto-close rules, per site (the sweeper's queries). */
  async function perSite(limit: number, query: (site: SiteRow, room: number) => Promise<{ id: string }[]>) {
    const due: string[] = [];
    for (const site of await read((q) => q.select().from(sites))) {
      if (due.length >= limit) break;
      due.push(...(await query(site, limit - due.length)).map((r) => r.id));
    }
    return due;
  }

  let stopListening: (() => Promise<void>) | null = null;
  const newEventListeners = new Set<() => void>();

  return {
    location: target.safeUrl,
    dialect: 'postgres',
    ready: async () => {
      try {
        await ready;
      } catch (error) {
        throw new Error(`cannot open database ${target.safeUrl}: ${(error as Error).message}`);
      }
    },

    close: async () => {
      await stopListening?.();
      await ready.catch(() => undefined);
      await pool.end();
    },

    /* ---------- sites ---------- */

    createSite: async (input, now) => {
      const secretKey = newId('sk', 24);
      const row = { id: newId('site', 8), name: input.name, siteKey: newId('pk', 12), secretKey, secretKeyHash: sha256(secretKey), origins: input.origins, createdAt: now };
      return (await read((q) => q.insert(sites).values(row).returning()))[0]!;
    },
    listSites: () => read((q) => q.select().from(sites).orderBy(asc(sites.createdAt))),
    getSite: (id) => read((q) => siteById(q, id)),
    siteByKey: (siteKey) => read(async (q) => first(await q.select().from(sites).where(eq(sites.siteKey, siteKey)))),
    siteBySecret: (secretKey) => read(async (q) => first(await q.select().from(sites).where(eq(sites.secretKeyHash, sha256(secretKey))))),
    updateSite: (id, patch) =>
      read(async (q) => (Object.keys(patch).length === 0 ? siteById(q, id) : first(await q.update(sites).set(patch).where(eq(sites.id, id)).returning()))),
    allOrigins: () => read(async (q) => (await q.select({ origins: sites.origins }).from(sites)).flatMap((s) => s.origins)),

    /* ---------- customers and sessions ---------- */

    startSession: async (input, now) => {
      const token = newId('cls', 32);
      return transaction(async (q) => {
        const customer = input.identity
          ? await upsertVerifiedCustomer(q, input.siteId, input.identity, now)
          : (await q.insert(customers).values({ id: newId('cus'), siteId: input.siteId, createdAt: now }).returning())[0]!;
        await q.insert(customerSessions).values({
          id: newId('ses'),
          siteId: input.siteId,
          customerId: customer.id,
          tokenHash: sha256(token),
          verified: input.identity !== null,
          identityExpiresAt: input.identity?.expiresAt ?? null,
          createdAt: now,
        });
        return { token, customer };
      });
    },

    emails,

    tables: postgresTables(transaction, read),
    attachments: files.store,
    metrics: metrics.store,

    startEmailSession: async (siteId, code, now) => {
      const token = newId('cls', 32);
      const customer = await emails.spendCode(code, siteId, now, async (q, address) => {
        const [row] = await q.insert(customers).values({ id: newId('cus'), siteId, email: address, createdAt: now }).returning();
        await q.insert(customerSessions).values({ id: newId('ses'), siteId, customerId: row!.id, tokenHash: sha256(token), verified: false, provenEmail: address, createdAt: now });
        return row!;
      });
      return customer ? { token, customer } : null;
    },

    sessionByToken: (token) =>
      read(async (q) =>
        first(
          await q
            .select({ session: customerSessions, customer: customers, site: sites })
            .from(customerSessions)
            .innerJoin(customers, eq(customers.id, customerSessions.customerId))
            .innerJoin(sites, eq(sites.id, customerSessions.siteId))
            .where(and(eq(customerSessions.tokenHash, sha256(token)), isNull(customerSessions.revokedAt))),
        ),
      ),

    revokeSession: async (token, now) => {
      await read((q) => q.update(customerSessions).set({ revokedAt: now }).where(eq(customerSessions.tokenHash, sha256(token))));
    },

    getCustomer: (id) => read(async (q) => first(await q.select().from(customers).where(eq(customers.id, id)))),
    customerByExternalId: (siteId, externalId) =>
      read(async (q) => first(await q.select().from(customers).where(and(eq(customers.siteId, siteId), eq(customers.externalId, externalId))))),
    customersByIds: async (ids) => (ids.length === 0 ? [] : read((q) => q.select().from(customers).where(inArray(customers.id, ids)))),
    upsertCustomer: (siteId, identity, now) => transaction((q) => upsertVerifiedCustomer(q, siteId, identity, now)),

    /* ---------- agents ---------- */

    upsertAgent: async (siteId, input, now) =>
      (
        await read((q) =>
          q
            .insert(agents)
            .values({ id: newId('ag', 8), siteId, email: input.email, name: input.name, createdAt: now })
            .onConflictDoUpdate({ target: [agents.siteId, agents.email], set: { name: input.name } })
            .returning(),
        )
      )[0]!,
    listAgents: (siteId) => read((q) => q.select().from(agents).where(eq(agents.siteId, siteId)).orderBy(asc(agents.name))),
    getAgent: (siteId, id) => read(async (q) => first(await q.select().from(agents).where(and(eq(agents.siteId, siteId), eq(agents.id, id))))),
    agentsByIds: async (ids) => (ids.length === 0 ? [] : read((q) => q.select().from(agents).where(inArray(agents.id, ids)))),

    /* ---------- tickets ---------- */

    createTicket: (input) => createTicket(input),

    idempotentTicket: (idem) => read((q) => idempotentTicket(q, idem)),

    deleteExpiredIdempotencyKeys: (before, limit) =>
      transaction(async (q) => {
        const expired = await q
          .select({ scope: idempotencyKeys.scope, key: idempotencyKeys.key })
          .from(idempotencyKeys)
          .where(lt(idempotencyKeys.createdAt, before))
          .orderBy(asc(idempotencyKeys.createdAt))
          .limit(limit)
          .for('update', { skipLocked: true });
        for (const k of expired) await q.delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, k.scope), eq(idempotencyKeys.key, k.key)));
        return expired.length;
      }),

    applyToTicket: (ref, actor, decide) => transaction((q) => applyOne(q, ref, actor, decide)),

    applyToTickets: (ticketIds, actor, decide) =>
      transaction(async (q) => {
        if (ticketIds.length === 0) return [];
        // Tickets another server is changing right now are left to it (or to the next sweep).
        const locked = await q.select().from(tickets).where(inArray(tickets.id, ticketIds)).orderBy(asc(tickets.id)).for('update', { skipLocked: true });
        const byId = new Map(locked.map((t) => [t.id, t]));
        const done: { ticketId: string; from: string; applied: Applied }[] = [];
        const sitesSeen = new Map<string, SiteRow | null>();
        for (const ticketId of ticketIds) {
          const ticket = byId.get(ticketId);
          if (ticket && !sitesSeen.has(ticket.siteId)) sitesSeen.set(ticket.siteId, await siteById(q, ticket.siteId));
          const site = ticket && sitesSeen.get(ticket.siteId);
          if (!ticket || !site) continue;
          let change: Change;
          try {
            change = decide(ticket, site);
          } catch {
            continue;
          }
          done.push({ ticketId, from: ticket.status, applied: await write(q, ticket, site, actor, change) });
        }
        return done;
      }),

    getTicket: (ref) => read((q) => loadTicket(q, ref)),

    ticketsByIds: async (ids) => (ids.length === 0 ? [] : read((q) => q.select().from(tickets).where(inArray(tickets.id, ids)))),

    listCustomerTickets: (owner, page) =>
      read(async (q) => {
        const after = decodeCursor(page.cursor);
        const mine = owner.email
          ? or(eq(tickets.customerId, owner.customerId), and(eq(tickets.siteId, owner.siteId), eq(tickets.emailKey, owner.email)))
          : eq(tickets.customerId, owner.customerId);
        const rows = await q
          .select()
          .from(tickets)
          .where(and(mine, notInArray(tickets.status, ['spam', 'deleted']), after ? sql`(${tickets.lastActivityAt}, ${tickets.id}) < (${after[0]}, ${after[1]})` : undefined))
          .orderBy(desc(tickets.lastActivityAt), desc(tickets.id))
          .limit(page.limit + 1);
        return keysetPage(rows, page.limit, (t) => t.lastActivityAt);
      }),

    listSiteTickets: (siteId, filters, page) =>
      read(async (q) => {
        const conditions: SQL[] = [eq(tickets.siteId, siteId)];
        if (filters.status?.length) conditions.push(inArray(tickets.status, filters.status));
        else conditions.push(notInArray(tickets.status, ['spam', 'deleted']));
        if (filters.assigneeId === null) conditions.push(isNull(tickets.assigneeId));
        else if (filters.assigneeId !== undefined) conditions.push(eq(tickets.assigneeId, filters.assigneeId));
        if (filters.customerId) conditions.push(eq(tickets.customerId, filters.customerId));
        // ILIKE: SQLite's LIKE ignores case, and the search must find the same tickets on both.
        if (filters.q) conditions.push(sql`${tickets.subject} ILIKE ${containsPattern(filters.q)} ESCAPE '\\'`);
        if (filters.topicId === null) conditions.push(isNull(tickets.topicId));
        else if (filters.topicId !== undefined) conditions.push(eq(tickets.topicId, filters.topicId));
        if (filters.tag !== undefined) conditions.push(sql`${tickets.tags} @> jsonb_build_array(${filters.tag}::text)`);
        const after = cursorCondition(page.cursor, tickets.lastActivityAt, tickets.id);
        if (after) conditions.push(after);
        const rows = await q
          .select()
          .from(tickets)
          .where(and(...conditions))
          .orderBy(desc(tickets.lastActivityAt), desc(tickets.id))
          .limit(page.limit + 1);
        return keysetPage(rows, page.limit, (t) => t.lastActivityAt);
      }),

    // One statement, so one snapshot (under READ COMMITTED each statement sees its own) and one round trip.
    thread: (ref, opts) =>
      read(async (q) => {
        const shown = opts.includeInternal ? sql`` : sql` AND NOT m.internal`;
        const row = first(
          await q
            .select({
              ticket: tickets,
              messages: sql<JsonRow[]>`(SELECT coalesce(json_agg(m ORDER BY m.created_at), '[]') FROM ${messages} m WHERE m.ticket_id = ${tickets}.id${shown})`,
              events: sql<JsonRow[]>`(SELECT coalesce(json_agg(e ORDER BY e.id), '[]') FROM ${events} e WHERE e.ticket_id = ${tickets}.id)`,
            })
            .from(tickets)
            .where(and(eq(tickets.id, ref.ticketId), eq(tickets.siteId, ref.siteId), ownerCondition(ref))),
        );
        return row && { ticket: row.ticket, messages: fromJsonRows(messages, row.messages), events: fromJsonRows(events, row.events) };
      }),

    markRead: (ref, now) =>
      transaction(async (q) => {
        const ticket = await loadTicket(q, ref);
        if (!ticket || ref.customerId === undefined) return null;
        await emails.cancelReadReplies(q, ticket.id);
        return first(await q.update(tickets).set({ customerReadAt: now }).where(eq(tickets.id, ticket.id)).returning());
      }),

    /* ---------- the sweeper's queries ---------- */

    dueForAutoClose: (now, limit) =>
      perSite(limit, (site, room) =>
        read((q) =>
          q
            .select({ id: tickets.id })
            .from(tickets)
            .where(and(eq(tickets.siteId, site.id), eq(tickets.status, 'resolved'), lte(tickets.resolvedAt, now - site.autoCloseAfterHours * 3_600_000)))
            .orderBy(asc(tickets.resolvedAt))
            .limit(room),
        ),
      ),

    dueForWake: (now, limit) =>
      read(async (q) =>
        (
          await q
            .select({ id: tickets.id })
            .from(tickets)
            .where(and(eq(tickets.status, 'postponed'), lte(tickets.postponedUntil, now)))
            .orderBy(asc(tickets.postponedUntil))
            .limit(limit)
        ).map((r) => r.id),
      ),

    dueForReminder: (now, limit) =>
      perSite(limit, async (site, room) => {
        if (site.remindAfterHours === null) return [];
        const cutoff = now - site.remindAfterHours * 3_600_000;
        return read((q) =>
          q
            .select({ id: tickets.id })
            .from(tickets)
            .where(
              and(
                eq(tickets.siteId, site.id),
                eq(tickets.status, 'answered'),
                lte(tickets.lastAgentReplyAt, cutoff),
                or(isNull(tickets.remindedAt), lt(tickets.remindedAt, tickets.lastAgentReplyAt)),
              ),
            )
            .limit(room),
        );
      }),

    /* ---------- webhooks ---------- */

    createWebhookEndpoint: async (input, now) => (await read((q) => q.insert(webhookEndpoints).values({ id: newId('wh', 8), ...input, createdAt: now }).returning()))[0]!,
    listWebhookEndpoints: (siteId) => read((q) => q.select().from(webhookEndpoints).where(eq(webhookEndpoints.siteId, siteId)).orderBy(asc(webhookEndpoints.createdAt))),
    getWebhookEndpoint: (siteId, id) =>
      read(async (q) => first(await q.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.siteId, siteId), eq(webhookEndpoints.id, id))))),
    deleteWebhookEndpoint: (siteId, id) =>
      read(async (q) => first(await q.delete(webhookEndpoints).where(and(eq(webhookEndpoints.siteId, siteId), eq(webhookEndpoints.id, id))).returning())),

    rotateWebhookSecret: (siteId, id, secret, previousExpiresAt) =>
      transaction(async (q) => {
        const endpoint = first(await q.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.siteId, siteId), eq(webhookEndpoints.id, id))).for('update'));
        if (!endpoint) return null;
        return first(
          await q
            .update(webhookEndpoints)
            .set({ secret, previousSecret: endpoint.secret, previousSecretExpiresAt: previousExpiresAt })
            .where(eq(webhookEndpoints.id, id))
            .returning(),
        );
      }),

    dueEndpoints: (now, busy, limit) =>
      read(async (q) =>
        (
          await q
            .select({ endpointId: webhookDeliveries.endpointId, due: min(webhookDeliveries.nextAttemptAt) })
            .from(webhookDeliveries)
            .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
            .where(
              and(
                eq(webhookDeliveries.status, 'pending'),
                lte(webhookDeliveries.nextAttemptAt, now),
                isNull(webhookEndpoints.disabledAt),
                busy.length ? notInArray(webhookDeliveries.endpointId, busy) : undefined,
              ),
            )
            .groupBy(webhookDeliveries.endpointId)
            .orderBy(asc(min(webhookDeliveries.nextAttemptAt)))
            .limit(limit)
        ).map((r) => r.endpointId),
      ),

    claimDueDeliveries: (endpointId, now, limit, leaseMs) =>
      transaction(async (q) => {
        // One endpoint's deliveries go out in order: while another server holds some, this one takes none.
        const held = await q.execute(sql`SELECT pg_try_advisory_xact_lock(hashtext(${`webhooks:${endpointId}`})) AS ok`);
        if (!(held.rows[0] as { ok: boolean }).ok) return [];
        const due = await q
          .select({ delivery: deliveryColumns, endpoint: webhookEndpoints })
          .from(webhookDeliveries)
          .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
          .where(
            and(
              eq(webhookDeliveries.endpointId, endpointId),
              eq(webhookDeliveries.status, 'pending'),
              lte(webhookDeliveries.nextAttemptAt, now),
              isNull(webhookEndpoints.disabledAt),
            ),
          )
          .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.seq))
          .limit(limit);
        if (due.length) {
          await q
            .update(webhookDeliveries)
            .set({ nextAttemptAt: now + leaseMs })
            .where(inArray(webhookDeliveries.id, due.map((d) => d.delivery.id)));
        }
        return due;
      }),

    recordDeliveryAttempt: async (input) => {
      await transaction(async (q) => {
        await q.insert(webhookAttempts).values({ deliveryId: input.deliveryId, at: input.at, statusCode: input.statusCode, error: input.error, durationMs: input.durationMs });
        await q
          .update(webhookDeliveries)
          .set({
            status: input.status,
            attempts: sql`${webhookDeliveries.attempts} + 1`,
            nextAttemptAt: input.nextAttemptAt,
            lastStatusCode: input.statusCode,
            lastError: input.error,
            ...(input.status === 'delivered' ? { deliveredAt: input.at } : {}),
          })
          .where(eq(webhookDeliveries.id, input.deliveryId));
        if (input.disableEndpoint) {
          await q.update(webhookEndpoints).set({ disabledAt: input.at, disabledReason: input.disableEndpoint }).where(eq(webhookEndpoints.id, input.endpointId));
          await q
            .update(webhookDeliveries)
            .set({ status: 'failed', lastError: input.disableEndpoint })
            .where(and(eq(webhookDeliveries.endpointId, input.endpointId), eq(webhookDeliveries.status, 'pending')));
        }
      });
    },

    listWebhookDeliveries: (siteId, filters, page) =>
      read(async (q) => {
        const conditions: SQL[] = [eq(webhookDeliveries.siteId, siteId)];
        if (filters.endpointId) conditions.push(eq(webhookDeliveries.endpointId, filters.endpointId));
        if (filters.status) conditions.push(eq(webhookDeliveries.status, filters.status));
        const after = cursorCondition(page.cursor, webhookDeliveries.createdAt, webhookDeliveries.id);
        if (after) conditions.push(after);
        const rows = await q
          .select(deliveryColumns)
          .from(webhookDeliveries)
          .where(and(...conditions))
          .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
          .limit(page.limit + 1);
        const { items, nextCursor } = keysetPage(rows, page.limit, (d) => d.createdAt);
        const attempts = items.length
          ? await q.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, items.map((d) => d.id))).orderBy(asc(webhookAttempts.id))
          : [];
        return { items: items.map((d) => ({ delivery: d, attempts: attempts.filter((a) => a.deliveryId === d.id) })), nextCursor };
      }),

    /* ---------- rate limits ---------- */

    takeRateLimit: (key, windowMs, now) => read((q) => takeRateLimit(q, key, 1, windowMs, now)),

    deleteExpiredRateLimits: (now, limit) =>
      read(async (q) => {
        const over = q.select({ key: rateLimits.key }).from(rateLimits).where(lte(rateLimits.resetAt, now)).limit(limit);
        return (await q.delete(rateLimits).where(inArray(rateLimits.key, over)).returning({ key: rateLimits.key })).length;
      }),

    /* ---------- the live feed ---------- */

    issueStreamTicket: async (holder, grant, now, ttlMs, perHolder) => {
      const ticket = newId('st', 24);
      return transaction(async (q) => {
        const expired = q.select({ hash: streamTickets.hash }).from(streamTickets).where(lte(streamTickets.expiresAt, now)).limit(100);
        await q.delete(streamTickets).where(inArray(streamTickets.hash, expired));
        // One holder's requests on two servers take turns, so the cap holds exactly.
        await q.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`stream:${holder}`}))`);
        const [outstanding] = await q
          .select({ n: sql<number>`count(*)::int` })
          .from(streamTickets)
          .where(and(eq(streamTickets.holder, holder), gt(streamTickets.expiresAt, now)));
        if ((outstanding?.n ?? 0) >= perHolder) return null;
        const expiresAt = now + ttlMs;
        await q.insert(streamTickets).values({ hash: sha256(ticket), holder, grant, expiresAt });
        return { ticket, expiresAt };
      });
    },

    redeemStreamTicket: (ticket, now) =>
      read(async (q) => {
        const row = first(await q.delete(streamTickets).where(eq(streamTickets.hash, sha256(ticket))).returning());
        return row && row.expiresAt > now ? row.grant : null;
      }),

    maxEventId: () => read(async (q) => Number((await q.select({ id: max(events.id) }).from(events))[0]?.id ?? 0)),

    eventsAfter: (afterId, limit, scope) =>
      read((q) => {
        const conditions = [gt(events.id, afterId)];
        const owner = scope && 'owner' in scope ? scope.owner : undefined;
        if (owner?.email) {
          const owned = q.select({ id: tickets.id }).from(tickets).where(and(eq(tickets.siteId, owner.siteId), eq(tickets.emailKey, owner.email)));
          conditions.push(or(eq(events.customerId, owner.customerId), inArray(events.ticketId, owned))!);
        } else if (scope && 'customerId' in scope) conditions.push(eq(events.customerId, scope.customerId));
        if (scope && 'siteId' in scope) conditions.push(eq(events.siteId, scope.siteId));
        return q.select().from(events).where(and(...conditions)).orderBy(asc(events.id)).limit(limit);
      }),

    onNewEvents: async (listener) => {
      await ready;
      newEventListeners.add(listener);
      // One listening connection per process, however many hubs and streams there are.
      stopListening ??= await listenForEvents(target, () => {
        for (const l of newEventListeners) l();
      });
      return async () => {
        newEventListeners.delete(listener);
        if (newEventListeners.size === 0 && stopListening) {
          const stop = stopListening;
          stopListening = null;
          await stop();
        }
      };
    },
  };
}

/** Rows after the cursor in (at, id) descending order: the keyset condition. */
function cursorCondition(cursor: string | undefined, atColumn: PgColumn, idColumn: PgColumn): SQL | null {
  const after = decodeCursor(cursor);
  return after && sql`(${atColumn}, ${idColumn}) < (${after[0]}, ${after[1]})`;
}

export type { pg };
