/**
 * The database schema. Times are epoch milliseconds (integers): they sort and
 * compare cheaply; the API turns them into ISO-8601 strings.
 */
import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

import type { AttachmentSettings, NotificationSettings, SlaSettings, TicketContext, Topic, Tracking } from '../json-columns.js';

export type { AttachmentSettings, NotificationSettings, SlaSettings, TicketContext, Topic, Tracking };

export const sites = sqliteTable('sites', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  siteKey: text('site_key').notNull().unique(),
  // The raw secret signs and verifies identity tokens; its hash finds the site for an agent call.
  secretKey: text('secret_key').notNull(),
  secretKeyHash: text('secret_key_hash').notNull().unique(),
  origins: text('origins', { mode: 'json' }).$type<string[]>().notNull(),
  autoCloseAfterHours: real('auto_close_after_hours').notNull().default(72),
  reopenWindowDays: real('reopen_window_days').notNull().default(30),
  agentsMayClose: integer('agents_may_close', { mode: 'boolean' }).notNull().default(false),
  // Null: off. Answered with no customer reply for this long: a `ticket.reminder_due` webhook.
  remindAfterHours: real('remind_after_hours'),
  texts: text('texts', { mode: 'json' }).$type<Record<string, Record<string, string>>>().notNull().default(sql`'{}'`),
  // Whether a ticket's page URL keeps its query string (it may carry order ids, or tokens).
  contextKeepsQuery: integer('context_keeps_query', { mode: 'boolean' }).notNull().default(true),
  // Email to customers; null: the defaults (see server/mail/notification-settings.ts).
  notifications: text('notifications', { mode: 'json' }).$type<NotificationSettings>(),
  // Attachment limits; null: the defaults (see server/attachments/attachment-settings.ts).
  attachments: text('attachments', { mode: 'json' }).$type<AttachmentSettings>(),
  // The kinds of ticket customers choose from, e.g. Orders or Billing.
  topics: text('topics', { mode: 'json' }).$type<Topic[]>().notNull().default(sql`'[]'`),
  // Reply and resolution targets and business hours; null: none (every hour counts).
  sla: text('sla', { mode: 'json' }).$type<SlaSettings>(),
  createdAt: integer('created_at').notNull(),
});

export const customers = sqliteTable(
  'customers',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    // The site's own user id for verified customers; null for anonymous visitors.
    externalId: text('external_id'),
    email: text('email'),
    name: text('name'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('customers_site_external').on(t.siteId, t.externalId)],
);

export const customerSessions = sqliteTable(
  'customer_sessions',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    customerId: text('customer_id').notNull().references(() => customers.id),
    tokenHash: text('token_hash').notNull().unique(),
    verified: integer('verified', { mode: 'boolean' }).notNull(),
    // When the identity token that verified it expired; the session itself lives on (see the README).
    identityExpiresAt: integer('identity_expires_at'),
    // An address its owner proved by a link from one of its emails: the session sees that address's tickets too.
    provenEmail: text('proven_email'),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('customer_sessions_customer').on(t.customerId)],
);

export const agents = sqliteTable(
  'agents',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    email: text('email').notNull(),
    name: text('name').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('agents_site_email').on(t.siteId, t.email)],
);

export const tickets = sqliteTable(
  'tickets',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    customerId: text('customer_id').notNull().references(() => customers.id),
    subject: text('subject').notNull(),
    status: text('status').notNull(),
    version: integer('version').notNull(),
    statusBeforePostpone: text('status_before_postpone'),
    statusBeforeSpam: text('status_before_spam'),
    statusBeforeDelete: text('status_before_delete'),
    postponedUntil: integer('postponed_until'),
    resolvedAt: integer('resolved_at'),
    closedAt: integer('closed_at'),
    closedBy: text('closed_by'),
    reopenCount: integer('reopen_count').notNull().default(0),
    followUpOf: text('follow_up_of'),
    priority: text('priority').notNull().default('normal'),
    assigneeId: text('assignee_id'),
    rating: integer('rating'),
    ratingComment: text('rating_comment'),
    contactEmail: text('contact_email'),
    // The contact address in one spelling (trimmed, lower case): what a proven address finds tickets by.
    emailKey: text('email_key'),
    contactName: text('contact_name'),
    // The widget's language when the ticket was opened: the language of its emails.
    locale: text('locale').notNull().default('en'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    // Newest event of any kind: new events are never older (invariant 3).
    lastEventAt: integer('last_event_at').notNull(),
    // Newest public activity: what customers sort by, so internal work never reorders their list.
    lastActivityAt: integer('last_activity_at').notNull(),
    lastAgentReplyAt: integer('last_agent_reply_at'),
    // The start of the newest public message, for a one-line preview in lists (never an internal note).
    lastPublicMessage: text('last_public_message'),
    // Where and how the customer opened it (page, browser, language, the site's own fields): for agents only.
    context: text('context', { mode: 'json' }).$type<TicketContext>(),
    // When the reminder for the newest agent reply went out; null: not yet.
    remindedAt: integer('reminded_at'),
    customerReadAt: integer('customer_read_at'),
    topicId: text('topic_id'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    // The running tally behind metrics and service levels (server/analytics/ticket-tracking.ts).
    tracking: text('tracking', { mode: 'json' }).$type<Tracking>(),
    // The nearest service-level target not yet missed: where the sweeper and "to solve" look.
    slaDueAt: integer('sla_due_at'),
    // Since when the customer has been waiting on the team (new, open, postponed); null: not waiting.
    waitingSince: integer('waiting_since'),
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

export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    ticketId: text('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
    authorKind: text('author_kind').notNull(),
    authorId: text('author_id'),
    body: text('body').notNull(),
    internal: integer('internal', { mode: 'boolean' }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('messages_ticket').on(t.ticketId, t.createdAt)],
);

export const events = sqliteTable(
  'events',
  {
    // Monotonic: the live feed's cursor and the SSE event id.
    id: integer('id').primaryKey({ autoIncrement: true }),
    ticketId: text('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    customerId: text('customer_id').notNull(),
    type: text('type').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id'),
    messageId: text('message_id'),
    at: integer('at').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [
    index('events_ticket').on(t.ticketId, t.id),
    index('events_site').on(t.siteId, t.id),
    index('events_customer').on(t.customerId, t.id),
  ],
);

export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    // A customer id, or `agent:<siteId>` for creates made by agents.
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    bodyHash: text('body_hash').notNull(),
    ticketId: text('ticket_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  // By age: expired keys are deleted oldest first.
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created').on(t.createdAt)],
);

export const purgeRecords = sqliteTable('purge_records', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  ticketId: text('ticket_id').notNull(),
  siteId: text('site_id').notNull(),
  actorKind: text('actor_kind').notNull(),
  actorId: text('actor_id'),
  at: integer('at').notNull(),
});

export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    url: text('url').notNull(),
    events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
    secret: text('secret').notNull(),
    // During a rotation the old secret signs too, until it expires.
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: integer('previous_secret_expires_at'),
    disabledAt: integer('disabled_at'),
    disabledReason: text('disabled_reason'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('webhook_endpoints_site').on(t.siteId)],
);

/** The outbox: one row per (event, endpoint), written in the transaction that made the change. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    // The `webhook-id` header: the same on every retry, so receivers can de-duplicate.
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id').notNull().references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    type: text('type').notNull(),
    payload: text('payload').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_endpoint').on(t.endpointId, t.createdAt),
  ],
);

export const webhookAttempts = sqliteTable(
  'webhook_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deliveryId: text('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    at: integer('at').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('webhook_attempts_delivery').on(t.deliveryId, t.id)],
);

/** What a site knows of an address it mails: proven by its owner, or unsubscribed. */
export const emailAddresses = sqliteTable(
  'email_addresses',
  {
    siteId: text('site_id').notNull().references(() => sites.id),
    // Trimmed, lower case.
    address: text('address').notNull(),
    provenAt: integer('proven_at'),
    unsubscribedAt: integer('unsubscribed_at'),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.address] })],
);

/** The email outbox: one row per email, written in the transaction that made the change. */
export const emails = sqliteTable(
  'emails',
  {
    // Also the Message-ID's local part: the same on every retry.
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    ticketId: text('ticket_id').references(() => tickets.id, { onDelete: 'cascade' }),
    to: text('to').notNull(),
    locale: text('locale').notNull(),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    // Due time; while a worker holds the row, the end of its lease.
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    // What the email is about: the resolution's time, the first reply's time, a sign-in's return page.
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>(),
    messageId: text('message_id'),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
  },
  (t) => [
    index('emails_due').on(t.status, t.nextAttemptAt),
    index('emails_site_created').on(t.siteId, t.createdAt),
    index('emails_ticket').on(t.ticketId, t.createdAt),
    index('emails_site_to_created').on(t.siteId, t.to, t.createdAt),
  ],
);

/** The tokens in email links and reply addresses: only their hashes are kept. */
export const emailTokens = sqliteTable(
  'email_tokens',
  {
    hash: text('hash').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    ticketId: text('ticket_id').references(() => tickets.id, { onDelete: 'cascade' }),
    purpose: text('purpose').notNull(),
    address: text('address').notNull(),
    locale: text('locale').notNull(),
    // What the link acts on (the resolution's or the closure's time): a link for an earlier one does nothing.
    anchor: integer('anchor'),
    // Where a sign-in returns to.
    returnUrl: text('return_url'),
    expiresAt: integer('expires_at'),
    usedAt: integer('used_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('email_tokens_expiry').on(t.expiresAt)],
);

/**
 * Single-use tickets that open a live stream, kept here rather than in one server's
 * memory so a ticket one server issued opens a stream on any other. Hashed, like every
 * secret here; a ticket lives a minute.
 */
export const streamTickets = sqliteTable(
  'stream_tickets',
  {
    hash: text('hash').primaryKey(),
    // What the caps count against: a customer session, or a site's secret key.
    holder: text('holder').notNull(),
    grant: text('grant', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('stream_tickets_holder').on(t.holder, t.expiresAt), index('stream_tickets_expiry').on(t.expiresAt)],
);

/** Fixed-window request counters (per IP address and limit), shared by every server of the database. */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    count: integer('count').notNull(),
    resetAt: integer('reset_at').notNull(),
  },
  (t) => [index('rate_limits_reset').on(t.resetAt)],
);

/**
 * Uploaded files. A row is written before its bytes ('uploading'), becomes 'pending'
 * once the bytes are stored and their type is known, 'used' when a message claims it,
 * and 'doomed' when its ticket is purged; the sweeper deletes the bytes of doomed rows,
 * of uploads never finished, and of pending ones nobody used, then the rows.
 */
export const attachments = sqliteTable(
  'attachments',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    // Who may use it: 'customer:<id>' or 'agent:<id>' (the id empty for the site's backend itself).
    uploader: text('uploader').notNull(),
    state: text('state').notNull(),
    name: text('name').notNull(),
    size: integer('size').notNull(),
    contentType: text('content_type').notNull(),
    sha256: text('sha256'),
    // Where the bytes are: 'folder' or 'database' (attachment_chunks).
    storage: text('storage').notNull(),
    ticketId: text('ticket_id'),
    messageId: text('message_id'),
    internal: integer('internal', { mode: 'boolean' }).notNull().default(false),
    // A smaller copy of an image for the thread: it goes wherever its original goes.
    thumbnailOf: text('thumbnail_of'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('attachments_state').on(t.state, t.createdAt), index('attachments_message').on(t.messageId), index('attachments_ticket').on(t.ticketId)],
);

/** An attachment's bytes when they live in the database: pieces in order. */
export const attachmentChunks = sqliteTable(
  'attachment_chunks',
  {
    attachmentId: text('attachment_id').notNull(),
    part: integer('part').notNull(),
    data: blob('data', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.attachmentId, t.part] })],
);

/**
 * One row per measured happening (created, first reply, resolution, close, rating, missed
 * target…), written with the event that caused it; the metrics add these up. A fact carries
 * its ticket's current topic, priority and assignee (updated when they change).
 */
export const metricFacts = sqliteTable(
  'metric_facts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    siteId: text('site_id').notNull(),
    ticketId: text('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    at: integer('at').notNull(),
    topicId: text('topic_id'),
    priority: text('priority').notNull(),
    assigneeId: text('assignee_id'),
    ms: integer('ms'),
    businessMs: integer('business_ms'),
    waitMs: integer('wait_ms'),
    waitBusinessMs: integer('wait_business_ms'),
    rating: integer('rating'),
    oneTouch: integer('one_touch', { mode: 'boolean' }).notNull().default(false),
    latest: integer('latest', { mode: 'boolean' }).notNull().default(false),
    reopenedLater: integer('reopened_later', { mode: 'boolean' }).notNull().default(false),
    followedUp: integer('followed_up', { mode: 'boolean' }).notNull().default(false),
  },
  // The kind in the range index: a summary's durations skip other kinds' rows without reading them.
  (t) => [index('metric_facts_site_at_kind').on(t.siteId, t.at, t.kind), index('metric_facts_ticket').on(t.ticketId, t.kind)],
);
