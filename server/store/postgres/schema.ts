/**
 * The PostgreSQL schema: the same tables, columns and indexes as the SQLite
 * schema (../schema.ts), in PostgreSQL's types. Times stay epoch milliseconds
 * (bigint, read as numbers), JSON is jsonb, flags are booleans. A test
 * (test/server/store/schema-parity.test.ts) compares the two, so they cannot drift.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, customType, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { AttachmentSettings, NotificationSettings, SlaSettings, TicketContext, Topic, Tracking } from '../json-columns.js';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const sites = pgTable('sites', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  siteKey: text('site_key').notNull().unique(),
  // The raw secret signs and verifies identity tokens; its hash finds the site for an agent call.
  secretKey: text('secret_key').notNull(),
  secretKeyHash: text('secret_key_hash').notNull().unique(),
  origins: jsonb('origins').$type<string[]>().notNull(),
  autoCloseAfterHours: doublePrecision('auto_close_after_hours').notNull().default(72),
  reopenWindowDays: doublePrecision('reopen_window_days').notNull().default(30),
  agentsMayClose: boolean('agents_may_close').notNull().default(false),
  // Null: off. Answered with no customer reply for this long: a `ticket.reminder_due` webhook.
  remindAfterHours: doublePrecision('remind_after_hours'),
  texts: jsonb('texts').$type<Record<string, Record<string, string>>>().notNull().default({}),
  // Whether a ticket's page URL keeps its query string (it may carry order ids, or tokens).
  contextKeepsQuery: boolean('context_keeps_query').notNull().default(true),
  // Email to customers; null: the defaults (see server/mail/notification-settings.ts).
  notifications: jsonb('notifications').$type<NotificationSettings>(),
  attachments: jsonb('attachments').$type<AttachmentSettings>(),
  // The kinds of ticket customers choose from, e.g. Orders or Billing.
  topics: jsonb('topics').$type<Topic[]>().notNull().default([]),
  // Reply and resolution targets and business hours; null: none (every hour counts).
  sla: jsonb('sla').$type<SlaSettings>(),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
});

export const customers = pgTable(
  'customers',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    // The site's own user id for verified customers; null for anonymous visitors.
    externalId: text('external_id'),
    email: text('email'),
    name: text('name'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('customers_site_external').on(t.siteId, t.externalId)],
);

export const customerSessions = pgTable(
  'customer_sessions',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    customerId: text('customer_id').notNull().references(() => customers.id),
    tokenHash: text('token_hash').notNull().unique(),
    verified: boolean('verified').notNull(),
    // When the identity token that verified it expired; the session itself lives on (see the README).
    identityExpiresAt: bigint('identity_expires_at', { mode: 'number' }),
    // An address its owner proved by a link from one of its emails: the session sees that address's tickets too.
    provenEmail: text('proven_email'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    revokedAt: bigint('revoked_at', { mode: 'number' }),
  },
  (t) => [index('customer_sessions_customer').on(t.customerId)],
);

export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    email: text('email').notNull(),
    name: text('name').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('agents_site_email').on(t.siteId, t.email)],
);

export const tickets = pgTable(
  'tickets',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    customerId: text('customer_id').notNull().references(() => customers.id),
    subject: text('subject').notNull(),
    status: text('status').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    statusBeforePostpone: text('status_before_postpone'),
    statusBeforeSpam: text('status_before_spam'),
    statusBeforeDelete: text('status_before_delete'),
    postponedUntil: bigint('postponed_until', { mode: 'number' }),
    resolvedAt: bigint('resolved_at', { mode: 'number' }),
    closedAt: bigint('closed_at', { mode: 'number' }),
    closedBy: text('closed_by'),
    reopenCount: bigint('reopen_count', { mode: 'number' }).notNull().default(0),
    followUpOf: text('follow_up_of'),
    priority: text('priority').notNull().default('normal'),
    assigneeId: text('assignee_id'),
    rating: bigint('rating', { mode: 'number' }),
    ratingComment: text('rating_comment'),
    contactEmail: text('contact_email'),
    // The contact address in one spelling (trimmed, lower case): what a proven address finds tickets by.
    emailKey: text('email_key'),
    contactName: text('contact_name'),
    // The widget's language when the ticket was opened: the language of its emails.
    locale: text('locale').notNull().default('en'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
    // Newest event of any kind: new events are never older (invariant 3).
    lastEventAt: bigint('last_event_at', { mode: 'number' }).notNull(),
    // Newest public activity: what customers sort by, so internal work never reorders their list.
    lastActivityAt: bigint('last_activity_at', { mode: 'number' }).notNull(),
    lastAgentReplyAt: bigint('last_agent_reply_at', { mode: 'number' }),
    // The start of the newest public message, for a one-line preview in lists (never an internal note).
    lastPublicMessage: text('last_public_message'),
    // Where and how the customer opened it (page, browser, language, the site's own fields): for agents only.
    context: jsonb('context').$type<TicketContext>(),
    // When the reminder for the newest agent reply went out; null: not yet.
    remindedAt: bigint('reminded_at', { mode: 'number' }),
    customerReadAt: bigint('customer_read_at', { mode: 'number' }),
    topicId: text('topic_id'),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    // The running tally behind metrics and service levels (server/analytics/ticket-tracking.ts).
    tracking: jsonb('tracking').$type<Tracking>(),
    // The nearest service-level target not yet missed: where the sweeper and "to solve" look.
    slaDueAt: bigint('sla_due_at', { mode: 'number' }),
    // Since when the customer has been waiting on the team (new, open, postponed); null: not waiting.
    waitingSince: bigint('waiting_since', { mode: 'number' }),
  },
  (t) => [
    index('tickets_customer_activity').on(t.customerId, t.lastActivityAt, t.id),
    index('tickets_site_activity').on(t.siteId, t.lastActivityAt, t.id),
    index('tickets_site_status_activity').on(t.siteId, t.status, t.lastActivityAt, t.id),
    index('tickets_site_assignee_activity').on(t.siteId, t.assigneeId, t.lastActivityAt, t.id),
    index('tickets_site_status_resolved').on(t.siteId, t.status, t.resolvedAt),
    index('tickets_status_postponed').on(t.status, t.postponedUntil),
    index('tickets_site_status_agent_reply').on(t.siteId, t.status, t.lastAgentReplyAt),
    index('tickets_site_email_activity').on(t.siteId, t.emailKey, t.lastActivityAt, t.id),
    // The sweeper's missed targets, across sites (one index: each more costs every ticket write).
    index('tickets_status_sla_due').on(t.status, t.slaDueAt),
    // Tickets made before metrics were kept, which a starting server catches up on; empty once it has.
    index('tickets_untracked').on(t.id).where(sql`${t.tracking} IS NULL`),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    ticketId: text('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
    authorKind: text('author_kind').notNull(),
    authorId: text('author_id'),
    body: text('body').notNull(),
    internal: boolean('internal').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('messages_ticket').on(t.ticketId, t.createdAt)],
);

export const events = pgTable(
  'events',
  {
    // Monotonic: the live feed's cursor and the SSE event id.
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ticketId: text('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    customerId: text('customer_id').notNull(),
    type: text('type').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id'),
    messageId: text('message_id'),
    at: bigint('at', { mode: 'number' }).notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('events_ticket').on(t.ticketId, t.id),
    index('events_site').on(t.siteId, t.id),
    index('events_customer').on(t.customerId, t.id),
  ],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    // A customer id, or `agent:<siteId>` for creates made by agents.
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    bodyHash: text('body_hash').notNull(),
    ticketId: text('ticket_id').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  // By age: expired keys are deleted oldest first.
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created').on(t.createdAt)],
);

export const purgeRecords = pgTable('purge_records', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  ticketId: text('ticket_id').notNull(),
  siteId: text('site_id').notNull(),
  actorKind: text('actor_kind').notNull(),
  actorId: text('actor_id'),
  at: bigint('at', { mode: 'number' }).notNull(),
});

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    url: text('url').notNull(),
    events: jsonb('events').$type<string[]>().notNull(),
    secret: text('secret').notNull(),
    // During a rotation the old secret signs too, until it expires.
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: bigint('previous_secret_expires_at', { mode: 'number' }),
    disabledAt: bigint('disabled_at', { mode: 'number' }),
    disabledReason: text('disabled_reason'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('webhook_endpoints_site').on(t.siteId)],
);

/** The outbox: one row per (event, endpoint), written in the transaction that made the change. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    // The `webhook-id` header: the same on every retry, so receivers can de-duplicate.
    id: text('id').primaryKey(),
    // The order rows were written in (SQLite's implicit rowid): deliveries due at one instant go out in it.
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    endpointId: text('endpoint_id').notNull().references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    type: text('type').notNull(),
    payload: text('payload').notNull(),
    status: text('status').notNull(),
    attempts: bigint('attempts', { mode: 'number' }).notNull().default(0),
    nextAttemptAt: bigint('next_attempt_at', { mode: 'number' }).notNull(),
    lastStatusCode: bigint('last_status_code', { mode: 'number' }),
    lastError: text('last_error'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    deliveredAt: bigint('delivered_at', { mode: 'number' }),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_endpoint').on(t.endpointId, t.createdAt),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: text('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    at: bigint('at', { mode: 'number' }).notNull(),
    statusCode: bigint('status_code', { mode: 'number' }),
    error: text('error'),
    durationMs: bigint('duration_ms', { mode: 'number' }).notNull(),
  },
  (t) => [index('webhook_attempts_delivery').on(t.deliveryId, t.id)],
);

/** What a site knows of an address it mails: proven by its owner, or unsubscribed. */
export const emailAddresses = pgTable(
  'email_addresses',
  {
    siteId: text('site_id').notNull().references(() => sites.id),
    // Trimmed, lower case.
    address: text('address').notNull(),
    provenAt: bigint('proven_at', { mode: 'number' }),
    unsubscribedAt: bigint('unsubscribed_at', { mode: 'number' }),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.address] })],
);

/** The email outbox: one row per email, written in the transaction that made the change. */
export const emails = pgTable(
  'emails',
  {
    // Also the Message-ID's local part: the same on every retry.
    id: text('id').primaryKey(),
    // The order rows were written in (SQLite's implicit rowid).
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    siteId: text('site_id').notNull().references(() => sites.id),
    ticketId: text('ticket_id').references(() => tickets.id, { onDelete: 'cascade' }),
    to: text('to').notNull(),
    locale: text('locale').notNull(),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    attempts: bigint('attempts', { mode: 'number' }).notNull().default(0),
    // Due time; while a worker holds the row, the end of its lease.
    nextAttemptAt: bigint('next_attempt_at', { mode: 'number' }).notNull(),
    lastError: text('last_error'),
    // What the email is about: the resolution's time, the first reply's time, a sign-in's return page.
    data: jsonb('data').$type<Record<string, unknown>>(),
    messageId: text('message_id'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    sentAt: bigint('sent_at', { mode: 'number' }),
  },
  (t) => [
    index('emails_due').on(t.status, t.nextAttemptAt),
    index('emails_site_created').on(t.siteId, t.createdAt),
    index('emails_ticket').on(t.ticketId, t.createdAt),
    index('emails_site_to_created').on(t.siteId, t.to, t.createdAt),
  ],
);

/** The tokens in email links and reply addresses: only their hashes are kept. */
export const emailTokens = pgTable(
  'email_tokens',
  {
    hash: text('hash').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    ticketId: text('ticket_id').references(() => tickets.id, { onDelete: 'cascade' }),
    purpose: text('purpose').notNull(),
    address: text('address').notNull(),
    locale: text('locale').notNull(),
    // What the link acts on (the resolution's or the closure's time): a link for an earlier one does nothing.
    anchor: bigint('anchor', { mode: 'number' }),
    // Where a sign-in returns to.
    returnUrl: text('return_url'),
    expiresAt: bigint('expires_at', { mode: 'number' }),
    usedAt: bigint('used_at', { mode: 'number' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('email_tokens_expiry').on(t.expiresAt)],
);

/**
 * Single-use tickets that open a live stream, kept here rather than in one server's
 * memory so a ticket one server issued opens a stream on any other. Hashed, like every
 * secret here; a ticket lives a minute.
 */
export const streamTickets = pgTable(
  'stream_tickets',
  {
    hash: text('hash').primaryKey(),
    // What the caps count against: a customer session, or a site's secret key.
    holder: text('holder').notNull(),
    grant: jsonb('grant').$type<Record<string, unknown>>().notNull(),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('stream_tickets_holder').on(t.holder, t.expiresAt), index('stream_tickets_expiry').on(t.expiresAt)],
);

/** Fixed-window request counters (per IP address and limit), shared by every server of the database. */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    count: bigint('count', { mode: 'number' }).notNull(),
    resetAt: bigint('reset_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('rate_limits_reset').on(t.resetAt)],
);

/** Uploaded files (see the SQLite schema for their states). */
export const attachments = pgTable(
  'attachments',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    uploader: text('uploader').notNull(),
    state: text('state').notNull(),
    name: text('name').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    contentType: text('content_type').notNull(),
    sha256: text('sha256'),
    storage: text('storage').notNull(),
    ticketId: text('ticket_id'),
    messageId: text('message_id'),
    internal: boolean('internal').notNull().default(false),
    thumbnailOf: text('thumbnail_of'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('attachments_state').on(t.state, t.createdAt), index('attachments_message').on(t.messageId), index('attachments_ticket').on(t.ticketId)],
);

/** An attachment's bytes when they live in the database: pieces in order. */
export const attachmentChunks = pgTable(
  'attachment_chunks',
  {
    attachmentId: text('attachment_id').notNull(),
    part: integer('part').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.attachmentId, t.part] })],
);

/**
 * One row per measured happening (created, first reply, resolution, close, rating, missed
 * target…), written with the event that caused it; the metrics add these up. A fact carries
 * its ticket's current topic, priority and assignee (updated when they change).
 */
export const metricFacts = pgTable(
  'metric_facts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    siteId: text('site_id').notNull(),
    ticketId: text('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    at: bigint('at', { mode: 'number' }).notNull(),
    topicId: text('topic_id'),
    priority: text('priority').notNull(),
    assigneeId: text('assignee_id'),
    ms: bigint('ms', { mode: 'number' }),
    businessMs: bigint('business_ms', { mode: 'number' }),
    waitMs: bigint('wait_ms', { mode: 'number' }),
    waitBusinessMs: bigint('wait_business_ms', { mode: 'number' }),
    rating: integer('rating'),
    oneTouch: boolean('one_touch').notNull().default(false),
    latest: boolean('latest').notNull().default(false),
    reopenedLater: boolean('reopened_later').notNull().default(false),
    followedUp: boolean('followed_up').notNull().default(false),
  },
  // The kind in the range index: a summary's durations skip other kinds' rows without reading them.
  (t) => [index('metric_facts_site_at_kind').on(t.siteId, t.at, t.kind), index('metric_facts_ticket').on(t.ticketId, t.kind)],
);
