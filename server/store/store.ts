/**
 * The one module that touches the database. Every function is async from the
 * outside; inside, better-sqlite3 runs a synchronous read → decide → write under
 * BEGIN IMMEDIATE (an `await` inside would commit early). This is the seam a
 * PostgreSQL store would implement.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lte, max, notInArray, sql, type SQL } from 'drizzle-orm';
import { isCustomerEvent, type Change, type LifecycleEvent } from '../lifecycle/lifecycle.js';
import { DomainError, invalid, notFound } from '../lifecycle/errors.js';
import { newId, sha256 } from './ids.js';
import { openDatabase, type Db } from './open-database.js';
import {
  agents,
  customers,
  customerSessions,
  events,
  idempotencyKeys,
  messages,
  purgeRecords,
  sites,
  tickets,
} from './schema.js';

export type SiteRow = typeof sites.$inferSelect;
export type CustomerRow = typeof customers.$inferSelect;
export type AgentRow = typeof agents.$inferSelect;
export type TicketRow = typeof tickets.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type EventRow = typeof events.$inferSelect;

export interface ActorRef {
  kind: 'customer' | 'agent' | 'system';
  id: string | null;
}

export interface TicketRef {
  siteId: string;
  ticketId: string;
  /** Set for customer calls: a ticket of anyone else is not found. */
  customerId?: string | undefined;
}

/** Decides a change from the current row; throws a DomainError to refuse (nothing is written). */
export type Decide = (ticket: TicketRow, site: SiteRow) => Change;

export interface Applied {
  /** The ticket after the change; null when it was purged. */
  ticket: TicketRow | null;
  eventId: number | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TicketFilters {
  status?: string[] | undefined;
  /** An agent id, or null for unassigned tickets. */
  assigneeId?: string | null | undefined;
  customerId?: string | undefined;
  q?: string | undefined;
}

export interface NewTicket {
  siteId: string;
  customerId: string;
  subject: string;
  body: string;
  contactEmail?: string | null | undefined;
  contactName?: string | null | undefined;
  actor: ActorRef;
  /** Who wrote the opening message: the customer, also when an agent files it for them. */
  messageAuthor: ActorRef;
  event: LifecycleEvent;
  idempotency?: { scope: string; key: string; bodyHash: string } | undefined;
  /** A closed ticket this one follows up; `decide` records the link on it. */
  followUpOf?: { ticketId: string; decide: (old: TicketRow, site: SiteRow, newId: string) => Change } | undefined;
}

export type Store = ReturnType<typeof createStore>;

export function createStore(path: string) {
  const { db, sqlite } = openDatabase(path);
  const immediate = <T>(fn: (tx: Db) => T): T => db.transaction((tx) => fn(tx as unknown as Db), { behavior: 'immediate' });

  const siteById = (tx: Db, id: string) => tx.select().from(sites).where(eq(sites.id, id)).get();

  function loadTicket(tx: Db, ref: TicketRef) {
    const conditions = [eq(tickets.id, ref.ticketId), eq(tickets.siteId, ref.siteId)];
    if (ref.customerId !== undefined) conditions.push(eq(tickets.customerId, ref.customerId));
    return tx.select().from(tickets).where(and(...conditions)).get();
  }

  function insertEvent(tx: Db, ticket: TicketRow, actor: ActorRef, event: LifecycleEvent, messageId: string | null) {
    const row = tx
      .insert(events)
      .values({
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
        data: event.data,
      })
      .returning({ id: events.id })
      .get();
    return row.id;
  }

  function insertMessage(tx: Db, ticketId: string, actor: ActorRef, body: string, internal: boolean, at: number) {
    const id = newId('msg');
    tx.insert(messages).values({ id, ticketId, authorKind: actor.kind, authorId: actor.id, body, internal, createdAt: at }).run();
    return id;
  }

  /** Writes a decided change; the caller runs it inside a transaction. */
  function write(tx: Db, ticket: TicketRow, site: SiteRow, actor: ActorRef, change: Change): Applied {
    if (change.kind === 'purge') {
      tx.delete(tickets).where(eq(tickets.id, ticket.id)).run();
      tx.delete(idempotencyKeys).where(eq(idempotencyKeys.ticketId, ticket.id)).run();
      tx.insert(purgeRecords).values({ ticketId: ticket.id, siteId: site.id, actorKind: actor.kind, actorId: actor.id, at: change.at }).run();
      return { ticket: null, eventId: null };
    }
    const { event, message } = change;
    const messageId = message ? insertMessage(tx, ticket.id, actor, message.body, message.internal, event.at) : null;
    const eventId = insertEvent(tx, ticket, actor, event, messageId);
    const publicActivity = isCustomerEvent(event.type) && !message?.internal;
    const agentReplied = actor.kind === 'agent' && message !== null && !message.internal;
    const updated = tx
      .update(tickets)
      .set({
        ...change.patch,
        version: sql`${tickets.version} + 1`,
        updatedAt: event.at,
        lastEventAt: event.at,
        ...(publicActivity ? { lastActivityAt: event.at } : {}),
        ...(agentReplied ? { lastAgentReplyAt: event.at } : {}),
      })
      .where(eq(tickets.id, ticket.id))
      .returning()
      .get();
    return { ticket: updated ?? null, eventId };
  }

  function applyOne(tx: Db, ref: TicketRef, actor: ActorRef, decide: Decide): Applied {
    const ticket = loadTicket(tx, ref);
    if (!ticket) throw notFound();
    const site = siteById(tx, ticket.siteId);
    if (!site) throw notFound();
    return write(tx, ticket, site, actor, decide(ticket, site));
  }

  function keysetPage(rows: TicketRow[], limit: number): Page<TicketRow> {
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor(last.lastActivityAt, last.id) : null;
    return { items, nextCursor };
  }

  return {
    /** The database file, for operators and tests. */
    path,

    close: async () => {
      sqlite.close();
    },

    /* ---------- sites ---------- */

    createSite: async (input: { name: string; origins: string[] }, now: number) => {
      const secretKey = newId('sk', 24);
      const row = {
        id: newId('site', 8),
        name: input.name,
        siteKey: newId('pk', 12),
        secretKey,
        secretKeyHash: sha256(secretKey),
        origins: input.origins,
        createdAt: now,
      };
      return db.insert(sites).values(row).returning().get();
    },

    listSites: async () => db.select().from(sites).orderBy(asc(sites.createdAt)).all(),

    getSite: async (id: string) => siteById(db, id) ?? null,

    siteByKey: async (siteKey: string) => db.select().from(sites).where(eq(sites.siteKey, siteKey)).get() ?? null,

    siteBySecret: async (secretKey: string) =>
      db.select().from(sites).where(eq(sites.secretKeyHash, sha256(secretKey))).get() ?? null,

    updateSite: async (
      id: string,
      patch: Partial<Pick<SiteRow, 'name' | 'origins' | 'autoCloseAfterHours' | 'reopenWindowDays' | 'agentsMayClose' | 'texts'>>,
    ) => {
      if (Object.keys(patch).length === 0) return siteById(db, id) ?? null;
      return db.update(sites).set(patch).where(eq(sites.id, id)).returning().get() ?? null;
    },

    /** Every origin any site allows: enough to answer a CORS preflight, which names no site. */
    allOrigins: async () => db.select({ origins: sites.origins }).from(sites).all().flatMap((s) => s.origins),

    /* ---------- customers and sessions ---------- */

    startSession: async (
      input: { siteId: string; identity: { externalId: string; email?: string | undefined; name?: string | undefined } | null },
      now: number,
    ) => {
      const token = newId('cls', 32);
      return immediate((tx) => {
        const customer = input.identity
          ? upsertVerifiedCustomer(tx, input.siteId, input.identity, now)
          : tx.insert(customers).values({ id: newId('cus'), siteId: input.siteId, createdAt: now }).returning().get();
        tx.insert(customerSessions)
          .values({ id: newId('ses'), siteId: input.siteId, customerId: customer.id, tokenHash: sha256(token), verified: input.identity !== null, createdAt: now })
          .run();
        return { token, customer };
      });
    },

    sessionByToken: async (token: string) => {
      const row = db
        .select({ session: customerSessions, customer: customers })
        .from(customerSessions)
        .innerJoin(customers, eq(customers.id, customerSessions.customerId))
        .where(and(eq(customerSessions.tokenHash, sha256(token)), isNull(customerSessions.revokedAt)))
        .get();
      return row ?? null;
    },

    revokeSession: async (token: string, now: number) => {
      db.update(customerSessions).set({ revokedAt: now }).where(eq(customerSessions.tokenHash, sha256(token))).run();
    },

    getCustomer: async (id: string) => db.select().from(customers).where(eq(customers.id, id)).get() ?? null,

    /** The site's user with this id in the site's own system. */
    customerByExternalId: async (siteId: string, externalId: string) =>
      db.select().from(customers).where(and(eq(customers.siteId, siteId), eq(customers.externalId, externalId))).get() ?? null,

    customersByIds: async (ids: string[]) =>
      ids.length === 0 ? [] : db.select().from(customers).where(inArray(customers.id, ids)).all(),

    /** Finds or creates the site's user with this id, for an agent creating on their behalf. */
    upsertCustomer: async (siteId: string, identity: { externalId: string; email?: string | undefined; name?: string | undefined }, now: number) =>
      immediate((tx) => upsertVerifiedCustomer(tx, siteId, identity, now)),

    /* ---------- agents ---------- */

    upsertAgent: async (siteId: string, input: { email: string; name: string }, now: number) =>
      db
        .insert(agents)
        .values({ id: newId('ag', 8), siteId, email: input.email, name: input.name, createdAt: now })
        .onConflictDoUpdate({ target: [agents.siteId, agents.email], set: { name: input.name } })
        .returning()
        .get(),

    listAgents: async (siteId: string) => db.select().from(agents).where(eq(agents.siteId, siteId)).orderBy(asc(agents.name)).all(),

    getAgent: async (siteId: string, id: string) =>
      db.select().from(agents).where(and(eq(agents.siteId, siteId), eq(agents.id, id))).get() ?? null,

    agentsByIds: async (ids: string[]) => (ids.length === 0 ? [] : db.select().from(agents).where(inArray(agents.id, ids)).all()),

    /* ---------- tickets ---------- */

    /** Creates a ticket with its first message and `created` event; a retried idempotency key returns the first. */
    createTicket: async (input: NewTicket): Promise<{ ticket: TicketRow; created: boolean; eventIds: number[] }> =>
      immediate((tx) => {
        const { idempotency: idem, event, actor } = input;
        if (idem) {
          const seen = tx
            .select()
            .from(idempotencyKeys)
            .where(and(eq(idempotencyKeys.scope, idem.scope), eq(idempotencyKeys.key, idem.key)))
            .get();
          if (seen) {
            if (seen.bodyHash !== idem.bodyHash) throw idempotencyMismatch();
            const first = tx.select().from(tickets).where(eq(tickets.id, seen.ticketId)).get();
            if (first) return { ticket: first, created: false, eventIds: [] };
          }
        }
        const id = newId('tk');
        const eventIds: number[] = [];
        if (input.followUpOf) {
          const { ticketId, decide } = input.followUpOf;
          const applied = applyOne(tx, { siteId: input.siteId, ticketId, customerId: input.customerId }, actor, (old, site) => decide(old, site, id));
          if (applied.eventId !== null) eventIds.push(applied.eventId);
        }
        const ticket = tx
          .insert(tickets)
          .values({
            id,
            siteId: input.siteId,
            customerId: input.customerId,
            subject: input.subject,
            status: event.to,
            version: 1,
            followUpOf: input.followUpOf?.ticketId ?? null,
            contactEmail: input.contactEmail ?? null,
            contactName: input.contactName ?? null,
            createdAt: event.at,
            updatedAt: event.at,
            lastEventAt: event.at,
            lastActivityAt: event.at,
          })
          .returning()
          .get();
        const messageId = insertMessage(tx, id, input.messageAuthor, input.body, false, event.at);
        eventIds.push(insertEvent(tx, ticket, actor, event, messageId));
        if (idem) {
          tx.insert(idempotencyKeys)
            .values({ scope: idem.scope, key: idem.key, bodyHash: idem.bodyHash, ticketId: id, createdAt: event.at })
            .onConflictDoUpdate({ target: [idempotencyKeys.scope, idempotencyKeys.key], set: { ticketId: id, bodyHash: idem.bodyHash } })
            .run();
        }
        return { ticket, created: true, eventIds };
      }),

    /** Runs `decide` on the current row and writes what it returns, all in one transaction. */
    applyToTicket: async (ref: TicketRef, actor: ActorRef, decide: Decide): Promise<Applied> =>
      immediate((tx) => applyOne(tx, ref, actor, decide)),

    /**
     * Applies `decide` to many tickets in one transaction (the sweeper's batches).
     * A ticket whose `decide` throws is skipped, not fatal: another writer got there first.
     */
    applyToTickets: async (ticketIds: string[], actor: ActorRef, decide: Decide) =>
      immediate((tx) => {
        const done: { ticketId: string; from: string; applied: Applied }[] = [];
        for (const ticketId of ticketIds) {
          const ticket = tx.select().from(tickets).where(eq(tickets.id, ticketId)).get();
          const site = ticket && siteById(tx, ticket.siteId);
          if (!ticket || !site) continue;
          let change: Change;
          try {
            change = decide(ticket, site);
          } catch {
            continue;
          }
          done.push({ ticketId, from: ticket.status, applied: write(tx, ticket, site, actor, change) });
        }
        return done;
      }),

    getTicket: async (ref: TicketRef) => loadTicket(db, ref) ?? null,

    ticketsByIds: async (ids: string[]) => (ids.length === 0 ? [] : db.select().from(tickets).where(inArray(tickets.id, ids)).all()),

    /** A customer's tickets, newest activity first, keyset-paged; spam and deleted never show. */
    listCustomerTickets: async (customerId: string, page: { cursor?: string | undefined; limit: number }) => {
      const conditions: SQL[] = [eq(tickets.customerId, customerId), notInArray(tickets.status, ['spam', 'deleted'])];
      const after = cursorCondition(page.cursor);
      if (after) conditions.push(after);
      const rows = db
        .select()
        .from(tickets)
        .where(and(...conditions))
        .orderBy(desc(tickets.lastActivityAt), desc(tickets.id))
        .limit(page.limit + 1)
        .all();
      return keysetPage(rows, page.limit);
    },

    /** A site's tickets for agents; spam and deleted only when asked for by status. */
    listSiteTickets: async (siteId: string, filters: TicketFilters, page: { cursor?: string | undefined; limit: number }) => {
      const conditions: SQL[] = [eq(tickets.siteId, siteId)];
      if (filters.status?.length) conditions.push(inArray(tickets.status, filters.status));
      else conditions.push(notInArray(tickets.status, ['spam', 'deleted']));
      if (filters.assigneeId === null) conditions.push(isNull(tickets.assigneeId));
      else if (filters.assigneeId !== undefined) conditions.push(eq(tickets.assigneeId, filters.assigneeId));
      if (filters.customerId) conditions.push(eq(tickets.customerId, filters.customerId));
      if (filters.q) conditions.push(sql`${tickets.subject} LIKE ${`%${escapeLike(filters.q)}%`} ESCAPE '\\'`);
      const after = cursorCondition(page.cursor);
      if (after) conditions.push(after);
      const rows = db
        .select()
        .from(tickets)
        .where(and(...conditions))
        .orderBy(desc(tickets.lastActivityAt), desc(tickets.id))
        .limit(page.limit + 1)
        .all();
      return keysetPage(rows, page.limit);
    },

    /** A ticket's messages and events in time order; internal notes only when asked for. */
    timeline: async (ticketId: string, opts: { includeInternal: boolean }) => {
      const messageConditions = [eq(messages.ticketId, ticketId)];
      if (!opts.includeInternal) messageConditions.push(eq(messages.internal, false));
      return {
        messages: db.select().from(messages).where(and(...messageConditions)).orderBy(asc(messages.createdAt)).all(),
        events: db.select().from(events).where(eq(events.ticketId, ticketId)).orderBy(asc(events.id)).all(),
      };
    },

    markRead: async (ref: TicketRef, now: number) =>
      db
        .update(tickets)
        .set({ customerReadAt: now })
        .where(and(eq(tickets.id, ref.ticketId), eq(tickets.siteId, ref.siteId), eq(tickets.customerId, ref.customerId ?? '')))
        .returning()
        .get() ?? null,

    /* ---------- the sweeper's queries ---------- */

    /** Resolved tickets whose site's auto-close delay has passed, oldest first. */
    dueForAutoClose: async (now: number, limit: number) => {
      const due: string[] = [];
      for (const site of db.select().from(sites).all()) {
        if (due.length >= limit) break;
        const cutoff = now - site.autoCloseAfterHours * 3_600_000;
        const rows = db
          .select({ id: tickets.id })
          .from(tickets)
          .where(and(eq(tickets.siteId, site.id), eq(tickets.status, 'resolved'), lte(tickets.resolvedAt, cutoff)))
          .orderBy(asc(tickets.resolvedAt))
          .limit(limit - due.length)
          .all();
        due.push(...rows.map((r) => r.id));
      }
      return due;
    },

    dueForWake: async (now: number, limit: number) =>
      db
        .select({ id: tickets.id })
        .from(tickets)
        .where(and(eq(tickets.status, 'postponed'), lte(tickets.postponedUntil, now)))
        .orderBy(asc(tickets.postponedUntil))
        .limit(limit)
        .all()
        .map((r) => r.id),

    /* ---------- the live feed ---------- */

    maxEventId: async () => db.select({ id: max(events.id) }).from(events).get()?.id ?? 0,

    /** Events after an id, for everyone (the hub), one customer, or one site. */
    eventsAfter: async (afterId: number, limit: number, scope?: { customerId: string } | { siteId: string }) => {
      const conditions = [gt(events.id, afterId)];
      if (scope && 'customerId' in scope) conditions.push(eq(events.customerId, scope.customerId));
      if (scope && 'siteId' in scope) conditions.push(eq(events.siteId, scope.siteId));
      return db.select().from(events).where(and(...conditions)).orderBy(asc(events.id)).limit(limit).all();
    },
  };
}

function upsertVerifiedCustomer(
  tx: Db,
  siteId: string,
  identity: { externalId: string; email?: string | undefined; name?: string | undefined },
  now: number,
) {
  const details = {
    ...(identity.email !== undefined ? { email: identity.email } : {}),
    ...(identity.name !== undefined ? { name: identity.name } : {}),
  };
  const existing = tx
    .select()
    .from(customers)
    .where(and(eq(customers.siteId, siteId), eq(customers.externalId, identity.externalId)))
    .get();
  if (existing) {
    if (Object.keys(details).length === 0) return existing;
    return tx.update(customers).set(details).where(eq(customers.id, existing.id)).returning().get() ?? existing;
  }
  return tx
    .insert(customers)
    .values({ id: newId('cus'), siteId, externalId: identity.externalId, ...details, createdAt: now })
    .returning()
    .get();
}

const idempotencyMismatch = () =>
  new DomainError('IDEMPOTENCY_MISMATCH', 'This idempotency key was already used for a different ticket', {
    field: 'idempotencyKey',
  });

/** Keyset cursors: the (lastActivityAt, id) of the last row seen, opaque to clients. */
function encodeCursor(at: number, id: string) {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function cursorCondition(cursor: string | undefined): SQL | null {
  if (!cursor) return null;
  let at: unknown;
  let id: unknown;
  try {
    [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
  } catch {
    throw invalid('cursor', 'cursor is not one this server gave out');
  }
  if (typeof at !== 'number' || typeof id !== 'string') throw invalid('cursor', 'cursor is not one this server gave out');
  return sql`(${tickets.lastActivityAt}, ${tickets.id}) < (${at}, ${id})`;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
