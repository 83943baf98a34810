/**
 * The SQLite store (the embedded default). Every method is async from the outside;
 * inside, better-sqlite3 runs a synchronous read → decide → write under BEGIN
 * IMMEDIATE (an `await` inside would commit early), possibly sharing one
 * transaction with other writes asked for at the same moment (group-commit.ts).
 */
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, max, min, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Change, LifecycleEvent } from '../../lifecycle/lifecycle.js';
import { notFound, rateLimited } from '../../lifecycle/errors.js';
import { startCheckpointer } from './checkpointer.js';
import { createGroupCommit } from './group-commit.js';
import { decodeCursor, keysetPage } from '../cursor.js';
import { newId, sha256 } from '../ids.js';
import { openDatabase, type Db } from './open-database.js';
import {
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
} from './schema.js';
import { webhookEventsFor, webhookPayload, type WebhookEvent } from '../../webhooks/webhook-events.js';
import { createEmailStore } from './sqlite-email-store.js';
import { createSqliteAttachmentStore } from './sqlite-attachment-store.js';
import { createSqliteMetricStore } from './sqlite-metric-store.js';
import { trackChange, trackedEvent, trackingColumns } from '../metric-writes.js';
import { sqliteTables } from './sqlite-tables.js';
import { emailKey } from '../../mail/notification-settings.js';
import { containsPattern } from '../search-pattern.js';
import { idempotencyMismatch, liveKeyUse, previewOf, ticketUpdateFor } from '../ticket-writes.js';
import type {
  ActorRef,
  Applied,
  Decide,
  DeliveryAttempt,
  EventRow,
  Idempotency,
  Identity,
  MessageRow,
  NewTicket,
  Owner,
  RateLimitTake,
  SiteRow,
  SitePatch,
  Store,
  TicketFilters,
  TicketRef,
  TicketRow,
} from '../store.js';

export interface StoreOptions {
  /** Checkpoint the WAL on a worker thread this often, instead of inside commits (long-running servers). */
  checkpointEveryMs?: number;
}

export function createSqliteStore(path: string, options: StoreOptions = {}): Store {
  const { db, sqlite } = openDatabase(path);
  const checkpointer = options.checkpointEveryMs && path !== ':memory:' ? startCheckpointer(sqlite, path, options.checkpointEveryMs) : null;
  /** Runs a read → decide → write synchronously inside BEGIN IMMEDIATE (see group-commit.ts). */
  const immediate = createGroupCommit(sqlite);

  // Hot queries are built and prepared once: rebuilding SQL and re-preparing it on every
  // call was most of a request's CPU time (see the bench). Prepared statements run on the
  // same connection, so they are valid inside transactions too.
  const p = sql.placeholder;
  const q = {
    site: db.select().from(sites).where(eq(sites.id, p('id'))).prepare(),
    ticket: db.select().from(tickets).where(and(eq(tickets.id, p('id')), eq(tickets.siteId, p('siteId')))).prepare(),
    customerTicket: db
      .select()
      .from(tickets)
      .where(and(eq(tickets.id, p('id')), eq(tickets.siteId, p('siteId')), eq(tickets.customerId, p('customerId'))))
      .prepare(),
    ownedTicket: db
      .select()
      .from(tickets)
      .where(
        and(
          eq(tickets.id, p('id')),
          eq(tickets.siteId, p('siteId')),
          or(eq(tickets.customerId, p('customerId')), eq(tickets.emailKey, p('email'))),
        ),
      )
      .prepare(),
    session: db
      .select({ session: customerSessions, customer: customers, site: sites })
      .from(customerSessions)
      .innerJoin(customers, eq(customers.id, customerSessions.customerId))
      .innerJoin(sites, eq(sites.id, customerSessions.siteId))
      .where(and(eq(customerSessions.tokenHash, p('hash')), isNull(customerSessions.revokedAt)))
      .prepare(),
    customer: db.select().from(customers).where(eq(customers.id, p('id'))).prepare(),
    allMessages: db.select().from(messages).where(eq(messages.ticketId, p('id'))).orderBy(asc(messages.createdAt)).prepare(),
    publicMessages: db
      .select()
      .from(messages)
      .where(and(eq(messages.ticketId, p('id')), eq(messages.internal, false)))
      .orderBy(asc(messages.createdAt))
      .prepare(),
    ticketEvents: db.select().from(events).where(eq(events.ticketId, p('id'))).orderBy(asc(events.id)).prepare(),
    customerTickets: db
      .select()
      .from(tickets)
      .where(and(eq(tickets.customerId, p('customerId')), notInArray(tickets.status, ['spam', 'deleted'])))
      .orderBy(desc(tickets.lastActivityAt), desc(tickets.id))
      .limit(p('limit'))
      .prepare(),
    customerTicketsAfter: db
      .select()
      .from(tickets)
      .where(
        and(
          eq(tickets.customerId, p('customerId')),
          notInArray(tickets.status, ['spam', 'deleted']),
          sql`(${tickets.lastActivityAt}, ${tickets.id}) < (${p('at')}, ${p('afterId')})`,
        ),
      )
      .orderBy(desc(tickets.lastActivityAt), desc(tickets.id))
      .limit(p('limit'))
      .prepare(),
    insertMessage: db
      .insert(messages)
      .values({ id: p('id'), ticketId: p('ticketId'), authorKind: p('authorKind'), authorId: p('authorId'), body: p('body'), internal: p('internal'), createdAt: p('at') })
      .returning()
      .prepare(),
    insertEvent: db
      .insert(events)
      .values({
        ticketId: p('ticketId'),
        siteId: p('siteId'),
        customerId: p('customerId'),
        type: p('type'),
        fromStatus: p('from'),
        toStatus: p('to'),
        actorKind: p('actorKind'),
        actorId: p('actorId'),
        messageId: p('messageId'),
        at: p('at'),
        data: p('data'),
      })
      .returning()
      .prepare(),
    insertTicket: db
      .insert(tickets)
      .values({
        id: p('id'),
        siteId: p('siteId'),
        customerId: p('customerId'),
        subject: p('subject'),
        status: p('status'),
        version: 1,
        followUpOf: p('followUpOf'),
        contactEmail: p('contactEmail'),
        emailKey: p('emailKey'),
        contactName: p('contactName'),
        locale: p('locale'),
        lastPublicMessage: p('preview'),
        context: p('context'),
        topicId: p('topicId'),
        tracking: p('tracking'),
        slaDueAt: p('slaDueAt'),
        waitingSince: p('waitingSince'),
        createdAt: p('at'),
        updatedAt: p('at'),
        lastEventAt: p('at'),
        lastActivityAt: p('at'),
      })
      .returning()
      .prepare(),
    idempotencyKey: db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.scope, p('scope')), eq(idempotencyKeys.key, p('key'))))
      .prepare(),
    expiredStreamTickets: db.select({ hash: streamTickets.hash }).from(streamTickets).where(lte(streamTickets.expiresAt, p('now'))).limit(100).prepare(),
    outstandingStreamTickets: db
      .select({ n: sql<number>`count(*)` })
      .from(streamTickets)
      .where(and(eq(streamTickets.holder, p('holder')), gt(streamTickets.expiresAt, p('now'))))
      .prepare(),
    insertStreamTicket: db
      .insert(streamTickets)
      .values({ hash: p('hash'), holder: p('holder'), grant: p('grant'), expiresAt: p('expiresAt') })
      .prepare(),
    spendStreamTicket: db.delete(streamTickets).where(eq(streamTickets.hash, p('hash'))).returning().prepare(),
    // One statement counts a request: a new window when the old one is over, else one more in it.
    takeRateLimit: db
      .insert(rateLimits)
      .values({ key: p('key'), count: 1, resetAt: p('resetAt') })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`CASE WHEN ${rateLimits.resetAt} <= ${p('now')} THEN 1 ELSE ${rateLimits.count} + 1 END`,
          resetAt: sql`CASE WHEN ${rateLimits.resetAt} <= ${p('now')} THEN excluded.reset_at ELSE ${rateLimits.resetAt} END`,
        },
      })
      .returning({ count: rateLimits.count })
      .prepare(),
    liveEndpoints: db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.siteId, p('siteId')), isNull(webhookEndpoints.disabledAt)))
      .prepare(),
  };

  const ticketById = db.select().from(tickets).where(eq(tickets.id, p('id'))).prepare();

  // A ticket update's columns depend on the change (a handful of shapes): one prepared statement per shape.
  const updates = new Map<string, ReturnType<typeof prepareUpdate>>();
  function prepareUpdate(columns: string[]) {
    const set = Object.fromEntries(columns.map((c) => [c, p(c)]));
    return db
      .update(tickets)
      .set({ ...set, version: sql`${tickets.version} + 1` })
      .where(eq(tickets.id, p('ticketId')))
      .returning()
      .prepare();
  }
  function updateTicket(id: string, values: Record<string, unknown>) {
    const columns = Object.keys(values).sort();
    const key = columns.join(',');
    let statement = updates.get(key);
    if (!statement) updates.set(key, (statement = prepareUpdate(columns)));
    return statement.get({ ...values, ticketId: id });
  }

  const siteById = (id: string) => q.site.get({ id });

  function loadTicket(ref: TicketRef) {
    if (ref.customerId === undefined) return q.ticket.get({ id: ref.ticketId, siteId: ref.siteId });
    return ref.email
      ? q.ownedTicket.get({ id: ref.ticketId, siteId: ref.siteId, customerId: ref.customerId, email: ref.email })
      : q.customerTicket.get({ id: ref.ticketId, siteId: ref.siteId, customerId: ref.customerId });
  }

  /** Queues one webhook type with this payload for every live endpoint that takes it. */
  function enqueueWebhook(site: SiteRow, type: WebhookEvent, payload: string, at: number, endpoints = q.liveEndpoints.all({ siteId: site.id })) {
    for (const endpoint of endpoints.filter((e) => e.events.includes(type))) {
      db.insert(webhookDeliveries)
        .values({ id: newId('msg', 16), endpointId: endpoint.id, siteId: site.id, type, payload, status: 'pending', nextAttemptAt: at, createdAt: at })
        .run();
    }
  }

  const files = createSqliteAttachmentStore(db, immediate);
  const metrics = createSqliteMetricStore({ db, immediate, applyOne: (ref, actor, decide) => applyOne(ref, actor, decide) });

  const emails = createEmailStore({
    db,
    immediate,
    siteById,
    ticketById: (id) => ticketById.get({ id }),
    enqueueWebhook: (site, type, data, at) =>
      enqueueWebhook(site, type, JSON.stringify({ type, timestamp: new Date(at).toISOString(), siteId: site.id, data }), at),
    apply: (ticket, site, actor, decide) => write(ticket, site, actor, decide(ticket, site)),
  });

  function insertEvent(ticket: TicketRow, actor: ActorRef, event: LifecycleEvent, messageId: string | null) {
    return q.insertEvent.get({
      ticketId: ticket.id,
      siteId: ticket.siteId,
      customerId: ticket.customerId,
      type: event.type,
      from: event.from,
      to: event.to,
      actorKind: actor.kind,
      actorId: actor.id,
      messageId,
      at: event.at,
      data: event.data,
    }) as EventRow;
  }

  function insertMessage(ticketId: string, actor: ActorRef, body: string, internal: boolean, at: number) {
    return q.insertMessage.get({ id: newId('msg'), ticketId, authorKind: actor.kind, authorId: actor.id, body, internal, at }) as MessageRow;
  }

  /**
   * Writes the change's webhook deliveries into the outbox. Called inside the change's
   * transaction: better-sqlite3 has one connection, so every statement here is part of it.
   */
  function enqueueWebhooks(site: SiteRow, ticket: TicketRow, event: EventRow, message: MessageRow | null) {
    const types = webhookEventsFor(event, message);
    if (types.length === 0) return;
    const endpoints = q.liveEndpoints.all({ siteId: site.id });
    if (endpoints.length === 0) return;
    const customer = q.customer.get({ id: ticket.customerId }) ?? null;
    for (const type of types) enqueueWebhook(site, type, JSON.stringify(webhookPayload(type, site, ticket, customer, event, message)), event.at, endpoints);
  }

  /** Writes a decided change; the caller runs it inside a transaction. */
  function write(ticket: TicketRow, site: SiteRow, actor: ActorRef, change: Change): Applied {
    if (change.kind === 'purge') {
      db.delete(tickets).where(eq(tickets.id, ticket.id)).run();
      db.delete(idempotencyKeys).where(eq(idempotencyKeys.ticketId, ticket.id)).run();
      db.insert(purgeRecords).values({ ticketId: ticket.id, siteId: site.id, actorKind: actor.kind, actorId: actor.id, at: change.at }).run();
      files.doom(ticket.id);
      return { ticket: null, eventId: null };
    }
    // A ticket from before metrics were kept gets its tally from its history first (before this event joins it).
    const tallied = ticket.tracking === null ? metrics.retrack(ticket, site) : ticket;
    const { event, message } = change;
    const messageRow = message ? insertMessage(ticket.id, actor, message.body, message.internal, event.at) : null;
    if (message && messageRow) files.claim(site, actor, ticket.id, messageRow, message.attachmentIds);
    const eventRow = insertEvent(ticket, actor, event, messageRow?.id ?? null);
    const columns = ticketUpdateFor(change, actor);
    const tracked = trackChange(tallied, change.patch.priority ?? ticket.priority, site, trackedEvent(event, actor, message !== null && !message.internal));
    const updated = updateTicket(ticket.id, { ...columns, ...trackingColumns(tracked) });
    if (!updated) throw notFound();
    metrics.writeFacts(updated, tracked);
    enqueueWebhooks(site, updated, eventRow, messageRow);
    emails.enqueueForChange(site, updated, eventRow, messageRow !== null && !messageRow.internal);
    return { ticket: updated, eventId: eventRow.id };
  }

  /** The ticket a live idempotency key already made, if any; the same key with another body is refused. */
  function idempotentTicket(idem: Idempotency): TicketRow | null {
    const seen = liveKeyUse(q.idempotencyKey.get({ scope: idem.scope, key: idem.key }), idem);
    if (!seen) return null;
    if (seen.bodyHash !== idem.bodyHash) throw idempotencyMismatch();
    return ticketById.get({ id: seen.ticketId }) ?? null;
  }

  /** The site's user with this id: found, updated or made; the address their site vouches for counts as proven. */
  function upsertVerifiedCustomer(siteId: string, identity: Identity, now: number) {
    const customer = upsertCustomerRow(db, siteId, identity, now);
    const address = emailKey(identity.email);
    if (address) emails.proveAddress(siteId, address, now);
    return customer;
  }

  /** Inside a transaction: counts one request, and refuses it past the limit (the count rolls back with it). */
  function takeOrRefuse({ key, limit, windowMs, now }: RateLimitTake) {
    const { count } = q.takeRateLimit.get({ key, resetAt: now + windowMs, now }) as { count: number };
    if (count > limit) throw rateLimited();
  }

  function applyOne(ref: TicketRef, actor: ActorRef, decide: Decide): Applied {
    const ticket = loadTicket(ref);
    if (!ticket) throw notFound();
    const site = siteById(ticket.siteId);
    if (!site) throw notFound();
    return write(ticket, site, actor, decide(ticket, site));
  }


  return {
    location: path,
    dialect: 'sqlite',
    // Opened and migrated synchronously above: a failure has already thrown.
    ready: async () => {},

    close: async () => {
      await checkpointer?.stop();
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

    getSite: async (id: string) => siteById(id) ?? null,

    siteByKey: async (siteKey: string) => db.select().from(sites).where(eq(sites.siteKey, siteKey)).get() ?? null,

    siteBySecret: async (secretKey: string) =>
      db.select().from(sites).where(eq(sites.secretKeyHash, sha256(secretKey))).get() ?? null,

    updateSite: async (
      id: string,
      patch: SitePatch,
    ) => {
      if (Object.keys(patch).length === 0) return siteById(id) ?? null;
      return db.update(sites).set(patch).where(eq(sites.id, id)).returning().get() ?? null;
    },

    /** Every origin any site allows: enough to answer a CORS preflight, which names no site. */
    allOrigins: async () => db.select({ origins: sites.origins }).from(sites).all().flatMap((s) => s.origins),

    /* ---------- customers and sessions ---------- */

    startSession: async (
      input: { siteId: string; identity: { externalId: string; email?: string | undefined; name?: string | undefined; expiresAt: number } | null },
      now: number,
    ) => {
      const token = newId('cls', 32);
      return immediate(() => {
        const customer = input.identity
          ? upsertVerifiedCustomer(input.siteId, input.identity, now)
          : db.insert(customers).values({ id: newId('cus'), siteId: input.siteId, createdAt: now }).returning().get();
        db.insert(customerSessions)
          .values({
            id: newId('ses'),
            siteId: input.siteId,
            customerId: customer.id,
            tokenHash: sha256(token),
            verified: input.identity !== null,
            identityExpiresAt: input.identity?.expiresAt ?? null,
            createdAt: now,
          })
          .run();
        return { token, customer };
      });
    },

    /** The email outbox, link tokens and address states (see sqlite-email-store.ts). */
    emails,

    tables: sqliteTables(db, sqlite, immediate),
    attachments: files.store,
    metrics: metrics.store,

    /**
     * Spends a portal sign-in code for a session that sees the tickets of the address it
     * proved; null when the code is unknown, used or expired.
     */
    startEmailSession: async (siteId: string, code: string, now: number) => {
      const token = newId('cls', 32);
      const customer = await emails.spendCode(code, siteId, now, (address) => {
        const row = db.insert(customers).values({ id: newId('cus'), siteId, email: address, createdAt: now }).returning().get();
        db.insert(customerSessions)
          .values({ id: newId('ses'), siteId, customerId: row.id, tokenHash: sha256(token), verified: false, provenEmail: address, createdAt: now })
          .run();
        return row;
      });
      return customer ? { token, customer } : null;
    },

    /** A live session with its customer and site, in one query (every customer call starts here). */
    sessionByToken: async (token: string) => q.session.get({ hash: sha256(token) }) ?? null,

    revokeSession: async (token: string, now: number) => {
      db.update(customerSessions).set({ revokedAt: now }).where(eq(customerSessions.tokenHash, sha256(token))).run();
    },

    getCustomer: async (id: string) => q.customer.get({ id }) ?? null,

    /** The site's user with this id in the site's own system. */
    customerByExternalId: async (siteId: string, externalId: string) =>
      db.select().from(customers).where(and(eq(customers.siteId, siteId), eq(customers.externalId, externalId))).get() ?? null,

    customersByIds: async (ids: string[]) =>
      ids.length === 0 ? [] : db.select().from(customers).where(inArray(customers.id, ids)).all(),

    /** Finds or creates the site's user with this id, for an agent creating on their behalf. */
    upsertCustomer: async (siteId: string, identity: { externalId: string; email?: string | undefined; name?: string | undefined }, now: number) =>
      immediate(() => upsertVerifiedCustomer(siteId, identity, now)),

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
      immediate(() => {
        const { idempotency: idem, event, actor } = input;
        // Checked again inside the write: two copies of one retry may both pass the router's early check.
        const first = idem ? idempotentTicket(idem) : null;
        if (first) return { ticket: first, created: false, eventIds: [] };
        const site = siteById(input.siteId);
        if (!site) throw notFound();
        if (input.rateLimit) takeOrRefuse(input.rateLimit);
        const id = newId('tk');
        const eventIds: number[] = [];
        // The opening message is the customer's, also when an agent files it for them: no reply yet.
        const tracked = trackChange({ tracking: null, createdAt: event.at }, 'normal', site, trackedEvent(event, actor, false));
        if (input.followUpOf) {
          const { ticketId, decide } = input.followUpOf;
          const applied = applyOne({ siteId: input.siteId, ticketId, customerId: input.customerId }, actor, (old, site) => decide(old, site, id));
          if (applied.eventId !== null) eventIds.push(applied.eventId);
        }
        const ticket = q.insertTicket.get({
          id,
          siteId: input.siteId,
          customerId: input.customerId,
          subject: input.subject,
          status: event.to,
          followUpOf: input.followUpOf?.ticketId ?? null,
          contactEmail: input.contactEmail ?? null,
          emailKey: emailKey(input.contactEmail),
          contactName: input.contactName ?? null,
          locale: input.locale ?? 'en',
          preview: previewOf(input.body),
          context: input.context ?? null,
          topicId: input.topicId ?? null,
          ...trackingColumns(tracked),
          at: event.at,
        }) as TicketRow;
        metrics.writeFacts(ticket, tracked);
        const messageRow = insertMessage(id, input.messageAuthor, input.body, false, event.at);
        files.claim(site, input.messageAuthor, id, messageRow, input.attachmentIds);
        const eventRow = insertEvent(ticket, actor, event, messageRow.id);
        eventIds.push(eventRow.id);
        enqueueWebhooks(site, ticket, eventRow, messageRow);
        emails.enqueueForChange(site, ticket, eventRow, true);
        if (idem) {
          db.insert(idempotencyKeys)
            .values({ scope: idem.scope, key: idem.key, bodyHash: idem.bodyHash, ticketId: id, createdAt: event.at })
            .onConflictDoUpdate({ target: [idempotencyKeys.scope, idempotencyKeys.key], set: { ticketId: id, bodyHash: idem.bodyHash, createdAt: event.at } })
            .run();
        }
        return { ticket, created: true, eventIds };
      }),

    /**
     * The ticket a retried create already made (a live key with the same body), else null.
     * Read before any rate limit, so a retry is never refused for the attempts before it.
     */
    idempotentTicket: async (idem: Idempotency) => idempotentTicket(idem),

    /** Forgets idempotency keys recorded before `before`, oldest first, at most `limit`; returns how many went. */
    deleteExpiredIdempotencyKeys: async (before: number, limit: number) =>
      immediate(() => {
        const expired = db
          .select({ scope: idempotencyKeys.scope, key: idempotencyKeys.key })
          .from(idempotencyKeys)
          .where(lt(idempotencyKeys.createdAt, before))
          .orderBy(asc(idempotencyKeys.createdAt))
          .limit(limit)
          .all();
        for (const k of expired) db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, k.scope), eq(idempotencyKeys.key, k.key))).run();
        return expired.length;
      }),

    /** Runs `decide` on the current row and writes what it returns, all in one transaction. */
    applyToTicket: async (ref: TicketRef, actor: ActorRef, decide: Decide): Promise<Applied> =>
      immediate(() => applyOne(ref, actor, decide)),

    /**
     * Applies `decide` to many tickets in one transaction (the sweeper's batches).
     * A ticket whose `decide` throws is skipped, not fatal: another writer got there first.
     */
    applyToTickets: async (ticketIds: string[], actor: ActorRef, decide: Decide) =>
      immediate(() => {
        const done: { ticketId: string; from: string; applied: Applied }[] = [];
        for (const ticketId of ticketIds) {
          const ticket = ticketById.get({ id: ticketId });
          const site = ticket && siteById(ticket.siteId);
          if (!ticket || !site) continue;
          let change: Change;
          try {
            change = decide(ticket, site);
          } catch {
            continue;
          }
          done.push({ ticketId, from: ticket.status, applied: write(ticket, site, actor, change) });
        }
        return done;
      }),

    getTicket: async (ref: TicketRef) => loadTicket(ref) ?? null,

    ticketsByIds: async (ids: string[]) => (ids.length === 0 ? [] : db.select().from(tickets).where(inArray(tickets.id, ids)).all()),

    /** A customer's tickets, newest activity first, keyset-paged; spam and deleted never show. */
    listCustomerTickets: async (owner: Owner, page: { cursor?: string | undefined; limit: number }) => {
      const after = decodeCursor(page.cursor);
      const { customerId } = owner;
      const rows = owner.email
        ? db
            .select()
            .from(tickets)
            .where(
              and(
                or(eq(tickets.customerId, customerId), and(eq(tickets.siteId, owner.siteId), eq(tickets.emailKey, owner.email))),
                notInArray(tickets.status, ['spam', 'deleted']),
                after ? sql`(${tickets.lastActivityAt}, ${tickets.id}) < (${after[0]}, ${after[1]})` : undefined,
              ),
            )
            .orderBy(desc(tickets.lastActivityAt), desc(tickets.id))
            .limit(page.limit + 1)
            .all()
        : after
          ? q.customerTicketsAfter.all({ customerId, at: after[0], afterId: after[1], limit: page.limit + 1 })
          : q.customerTickets.all({ customerId, limit: page.limit + 1 });
      return keysetPage(rows, page.limit, (t) => t.lastActivityAt);
    },

    /** A site's tickets for agents; spam and deleted only when asked for by status. */
    listSiteTickets: async (siteId: string, filters: TicketFilters, page: { cursor?: string | undefined; limit: number }) => {
      const conditions: SQL[] = [eq(tickets.siteId, siteId)];
      if (filters.status?.length) conditions.push(inArray(tickets.status, filters.status));
      else conditions.push(notInArray(tickets.status, ['spam', 'deleted']));
      if (filters.assigneeId === null) conditions.push(isNull(tickets.assigneeId));
      else if (filters.assigneeId !== undefined) conditions.push(eq(tickets.assigneeId, filters.assigneeId));
      if (filters.customerId) conditions.push(eq(tickets.customerId, filters.customerId));
      if (filters.q) conditions.push(sql`${tickets.subject} LIKE ${containsPattern(filters.q)} ESCAPE '\\'`);
      if (filters.topicId === null) conditions.push(isNull(tickets.topicId));
      else if (filters.topicId !== undefined) conditions.push(eq(tickets.topicId, filters.topicId));
      if (filters.tag !== undefined) conditions.push(sql`EXISTS (SELECT 1 FROM json_each(${tickets.tags}) WHERE value = ${filters.tag})`);
      const after = cursorCondition(page.cursor, tickets.lastActivityAt, tickets.id);
      if (after) conditions.push(after);
      const rows = db
        .select()
        .from(tickets)
        .where(and(...conditions))
        .orderBy(desc(tickets.lastActivityAt), desc(tickets.id))
        .limit(page.limit + 1)
        .all();
      return keysetPage(rows, page.limit, (t) => t.lastActivityAt);
    },

    /** One moment by construction: the three reads run back to back on the one connection. */
    thread: async (ref: TicketRef, opts: { includeInternal: boolean }) => {
      const ticket = loadTicket(ref);
      if (!ticket) return null;
      return {
        ticket,
        messages: (opts.includeInternal ? q.allMessages : q.publicMessages).all({ id: ticket.id }),
        events: q.ticketEvents.all({ id: ticket.id }),
      };
    },

    /** Marks the ticket read by its customer; replies still waiting to be emailed are then not sent. */
    markRead: async (ref: TicketRef, now: number) =>
      immediate(() => {
        const ticket = loadTicket(ref);
        if (!ticket || ref.customerId === undefined) return null;
        emails.cancelReadReplies(ticket.id);
        return db.update(tickets).set({ customerReadAt: now }).where(eq(tickets.id, ticket.id)).returning().get() ?? null;
      }),

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

    /** Answered tickets whose site's reminder delay has passed since the newest agent reply, not yet reminded. */
    dueForReminder: async (now: number, limit: number) => {
      const due: string[] = [];
      for (const site of db.select().from(sites).all()) {
        if (site.remindAfterHours === null || due.length >= limit) continue;
        const cutoff = now - site.remindAfterHours * 3_600_000;
        const rows = db
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
          .limit(limit - due.length)
          .all();
        due.push(...rows.map((r) => r.id));
      }
      return due;
    },

    /* ---------- webhooks ---------- */

    createWebhookEndpoint: async (input: { siteId: string; url: string; events: string[]; secret: string }, now: number) =>
      db.insert(webhookEndpoints).values({ id: newId('wh', 8), ...input, createdAt: now }).returning().get(),

    listWebhookEndpoints: async (siteId: string) =>
      db.select().from(webhookEndpoints).where(eq(webhookEndpoints.siteId, siteId)).orderBy(asc(webhookEndpoints.createdAt)).all(),

    getWebhookEndpoint: async (siteId: string, id: string) =>
      db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.siteId, siteId), eq(webhookEndpoints.id, id))).get() ?? null,

    deleteWebhookEndpoint: async (siteId: string, id: string) =>
      db.delete(webhookEndpoints).where(and(eq(webhookEndpoints.siteId, siteId), eq(webhookEndpoints.id, id))).returning().get() ?? null,

    /** A new secret; the old one keeps signing until `previousExpiresAt`. */
    rotateWebhookSecret: async (siteId: string, id: string, secret: string, previousExpiresAt: number) =>
      immediate(() => {
        const endpoint = db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.siteId, siteId), eq(webhookEndpoints.id, id))).get();
        if (!endpoint) return null;
        return db
          .update(webhookEndpoints)
          .set({ secret, previousSecret: endpoint.secret, previousSecretExpiresAt: previousExpiresAt })
          .where(eq(webhookEndpoints.id, id))
          .returning()
          .get();
      }),

    /** Endpoints with deliveries due now, not disabled and not in `busy`, the longest-waiting first. */
    dueEndpoints: async (now: number, busy: string[], limit: number) =>
      db
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
        .all()
        .map((r) => r.endpointId),

    /**
     * Claims one endpoint's due deliveries, in the order they were written: each is
     * leased (its next attempt moved past the lease) in the same transaction, so two
     * workers never send one twice at once.
     */
    claimDueDeliveries: async (endpointId: string, now: number, limit: number, leaseMs: number) =>
      immediate(() => {
        const due = db
          .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
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
          // rowid: the order the outbox was written in, for deliveries due at the same instant.
          .orderBy(asc(webhookDeliveries.nextAttemptAt), sql`${webhookDeliveries}.rowid`)
          .limit(limit)
          .all();
        for (const { delivery } of due) {
          db.update(webhookDeliveries).set({ nextAttemptAt: now + leaseMs }).where(eq(webhookDeliveries.id, delivery.id)).run();
        }
        return due;
      }),

    /** Records one attempt and its outcome; disables the endpoint when it said 410 Gone. */
    recordDeliveryAttempt: async (input: DeliveryAttempt) =>
      immediate(() => {
        db.insert(webhookAttempts)
          .values({ deliveryId: input.deliveryId, at: input.at, statusCode: input.statusCode, error: input.error, durationMs: input.durationMs })
          .run();
        db.update(webhookDeliveries)
          .set({
            status: input.status,
            attempts: sql`${webhookDeliveries.attempts} + 1`,
            nextAttemptAt: input.nextAttemptAt,
            lastStatusCode: input.statusCode,
            lastError: input.error,
            ...(input.status === 'delivered' ? { deliveredAt: input.at } : {}),
          })
          .where(eq(webhookDeliveries.id, input.deliveryId))
          .run();
        if (input.disableEndpoint) {
          db.update(webhookEndpoints).set({ disabledAt: input.at, disabledReason: input.disableEndpoint }).where(eq(webhookEndpoints.id, input.endpointId)).run();
          // Nothing more goes to a disabled endpoint.
          db.update(webhookDeliveries)
            .set({ status: 'failed', lastError: input.disableEndpoint })
            .where(and(eq(webhookDeliveries.endpointId, input.endpointId), eq(webhookDeliveries.status, 'pending')))
            .run();
        }
      }),

    /** A site's deliveries, newest first, with every attempt; keyset-paged. */
    listWebhookDeliveries: async (siteId: string, filters: { endpointId?: string | undefined; status?: string | undefined }, page: { cursor?: string | undefined; limit: number }) => {
      const conditions: SQL[] = [eq(webhookDeliveries.siteId, siteId)];
      if (filters.endpointId) conditions.push(eq(webhookDeliveries.endpointId, filters.endpointId));
      if (filters.status) conditions.push(eq(webhookDeliveries.status, filters.status));
      const after = cursorCondition(page.cursor, webhookDeliveries.createdAt, webhookDeliveries.id);
      if (after) conditions.push(after);
      const rows = db
        .select()
        .from(webhookDeliveries)
        .where(and(...conditions))
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(page.limit + 1)
        .all();
      const { items, nextCursor } = keysetPage(rows, page.limit, (d) => d.createdAt);
      const attempts = items.length
        ? db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, items.map((d) => d.id))).orderBy(asc(webhookAttempts.id)).all()
        : [];
      return { items: items.map((d) => ({ delivery: d, attempts: attempts.filter((a) => a.deliveryId === d.id) })), nextCursor };
    },

    /* ---------- rate limits ---------- */

    /** Counts one request against `key`'s fixed window; resolves with the count in the window so far. */
    takeRateLimit: async (key: string, windowMs: number, now: number) =>
      immediate(() => (q.takeRateLimit.get({ key, resetAt: now + windowMs, now }) as { count: number }).count),

    /** Forgets windows that are over, at most `limit`; returns how many went. */
    deleteExpiredRateLimits: async (now: number, limit: number) =>
      immediate(() => {
        const over = db.select({ key: rateLimits.key }).from(rateLimits).where(lte(rateLimits.resetAt, now)).limit(limit).all();
        if (over.length) db.delete(rateLimits).where(inArray(rateLimits.key, over.map((r) => r.key))).run();
        return over.length;
      }),

    /* ---------- the live feed ---------- */

    /**
     * A single-use stream ticket for this grant, or null when its holder already has
     * `perHolder` outstanding. Expired tickets are cleared on the way, a few at a time.
     */
    issueStreamTicket: async (holder: string, grant: Record<string, unknown>, now: number, ttlMs: number, perHolder: number) => {
      const ticket = newId('st', 24);
      return immediate(() => {
        const expired = q.expiredStreamTickets.all({ now });
        if (expired.length) db.delete(streamTickets).where(inArray(streamTickets.hash, expired.map((t) => t.hash))).run();
        if ((q.outstandingStreamTickets.get({ holder, now })?.n ?? 0) >= perHolder) return null;
        const expiresAt = now + ttlMs;
        q.insertStreamTicket.run({ hash: sha256(ticket), holder, grant, expiresAt });
        return { ticket, expiresAt };
      });
    },

    /** Spends a stream ticket: its grant once, on whichever server, if it has not expired. */
    redeemStreamTicket: async (ticket: string, now: number) =>
      immediate(() => {
        const row = q.spendStreamTicket.get({ hash: sha256(ticket) });
        return row && row.expiresAt > now ? row.grant : null;
      }),

    // One process: the live hub's own poll sees every write.
    onNewEvents: async () => async () => {},

    maxEventId: async () => db.select({ id: max(events.id) }).from(events).get()?.id ?? 0,

    /** Events after an id, for everyone (the hub), one customer, or one site. */
    eventsAfter: async (afterId: number, limit: number, scope?: { customerId: string; owner?: Owner } | { siteId: string }) => {
      const conditions = [gt(events.id, afterId)];
      const owner = scope && 'owner' in scope ? scope.owner : undefined;
      if (owner?.email) {
        const owned = db.select({ id: tickets.id }).from(tickets).where(and(eq(tickets.siteId, owner.siteId), eq(tickets.emailKey, owner.email)));
        conditions.push(or(eq(events.customerId, owner.customerId), inArray(events.ticketId, owned))!);
      } else if (scope && 'customerId' in scope) conditions.push(eq(events.customerId, scope.customerId));
      if (scope && 'siteId' in scope) conditions.push(eq(events.siteId, scope.siteId));
      return db.select().from(events).where(and(...conditions)).orderBy(asc(events.id)).limit(limit).all();
    },
  };
}

function upsertCustomerRow(
  db: Db,
  siteId: string,
  identity: { externalId: string; email?: string | undefined; name?: string | undefined },
  now: number,
) {
  const details = {
    ...(identity.email !== undefined ? { email: identity.email } : {}),
    ...(identity.name !== undefined ? { name: identity.name } : {}),
  };
  const existing = db
    .select()
    .from(customers)
    .where(and(eq(customers.siteId, siteId), eq(customers.externalId, identity.externalId)))
    .get();
  if (existing) {
    if (Object.keys(details).length === 0) return existing;
    return db.update(customers).set(details).where(eq(customers.id, existing.id)).returning().get() ?? existing;
  }
  return db
    .insert(customers)
    .values({ id: newId('cus'), siteId, externalId: identity.externalId, ...details, createdAt: now })
    .returning()
    .get();
}

/** Rows after the cursor in (at, id) descending order: the keyset condition. */
function cursorCondition(cursor: string | undefined, atColumn: SQLiteColumn, idColumn: SQLiteColumn): SQL | null {
  const after = decodeCursor(cursor);
  return after && sql`(${atColumn}, ${idColumn}) < (${after[0]}, ${after[1]})`;
}
