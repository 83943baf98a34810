/**
 * The store: the one seam every database access goes through. Two implementations
 * keep it, `sqlite/sqlite-store.ts` (the embedded default) and
 * `postgres/postgres-store.ts` (several servers on one database), and one contract
 * suite (test/server/store/store-contract.ts) holds both to the same behaviour.
 * Every method is async; a read → decide → write runs the caller's pure `decide`
 * inside the backend's own transaction, on the row as it is then.
 */
import type { Change, LifecycleEvent } from '../lifecycle/lifecycle.js';
import type { MailLimits } from '../mail/mail-config.js';
import type { LinkDone, LinkPlan, LinkState, OpenLink, PreparedEmail } from './email-outbox.js';
import type * as schema from './sqlite/schema.js';

// The rows, as both databases read them (the PostgreSQL store checks its own against these).
export type SiteRow = typeof schema.sites.$inferSelect;
export type CustomerRow = typeof schema.customers.$inferSelect;
export type AgentRow = typeof schema.agents.$inferSelect;
export type TicketRow = typeof schema.tickets.$inferSelect;
export type MessageRow = typeof schema.messages.$inferSelect;
export type EventRow = typeof schema.events.$inferSelect;
export type WebhookEndpointRow = typeof schema.webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof schema.webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof schema.webhookAttempts.$inferSelect;
export type EmailRow = typeof schema.emails.$inferSelect;
export type EmailTokenRow = typeof schema.emailTokens.$inferSelect;
export type EmailAddressRow = typeof schema.emailAddresses.$inferSelect;
export type SessionRow = typeof schema.customerSessions.$inferSelect;
export type AttachmentRow = typeof schema.attachments.$inferSelect;
export type MetricFactRow = typeof schema.metricFacts.$inferSelect;

export interface ActorRef {
  kind: 'customer' | 'agent' | 'system';
  id: string | null;
}

export interface Thread {
  ticket: TicketRow;
  messages: MessageRow[];
  events: EventRow[];
}

export interface TicketRef {
  siteId: string;
  ticketId: string;
  /** Set for customer calls: a ticket of anyone else is not found. */
  customerId?: string | undefined;
  /** A customer's proven address (lower case): tickets opened with it are theirs too. */
  email?: string | null | undefined;
}

/** Whose tickets a customer call sees: their own, and those of the address they proved. */
export interface Owner {
  customerId: string;
  siteId: string;
  email: string | null;
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

export interface PageRequest {
  cursor?: string | undefined;
  limit: number;
}

export interface TicketFilters {
  status?: string[] | undefined;
  /** An agent id, or null for unassigned tickets. */
  assigneeId?: string | null | undefined;
  customerId?: string | undefined;
  q?: string | undefined;
  /** A topic id, or null for tickets with none. */
  topicId?: string | null | undefined;
  tag?: string | undefined;
}

export interface NewTicket {
  siteId: string;
  customerId: string;
  subject: string;
  body: string;
  contactEmail?: string | null | undefined;
  contactName?: string | null | undefined;
  context?: TicketRow['context'] | undefined;
  /** The widget's language: the language of the ticket's emails. */
  locale?: string | undefined;
  actor: ActorRef;
  /** Who wrote the opening message: the customer, also when an agent files it for them. */
  messageAuthor: ActorRef;
  event: LifecycleEvent;
  idempotency?: Idempotency | undefined;
  /**
   * Counted with the create; over the limit, nothing is written. SQLite counts it in the create's
   * transaction; PostgreSQL just before, once per group of creates (a counter row locked until
   * commit would queue a customer's creates), so there a create that fails later still counts.
   */
  rateLimit?: RateLimitTake | undefined;
  /** One of the site's topics (the caller checked it is). */
  topicId?: string | null | undefined;
  /** Uploads of `messageAuthor` that go with the opening message (claimed in the same transaction). */
  attachmentIds?: string[] | undefined;
  /** A closed ticket this one follows up; `decide` records the link on it. */
  followUpOf?: { ticketId: string; decide: (old: TicketRow, site: SiteRow, newId: string) => Change } | undefined;
}

/** One request counted against a fixed window: refused (RATE_LIMITED) past `limit`. */
export interface RateLimitTake {
  key: string;
  limit: number;
  windowMs: number;
  now: number;
}

/** A create's idempotency key; one recorded before `notBefore` has expired and counts as never used. */
export interface Idempotency {
  scope: string;
  key: string;
  bodyHash: string;
  notBefore: number;
}

export interface Identity {
  externalId: string;
  email?: string | undefined;
  name?: string | undefined;
}

export type SitePatch = Partial<
  Pick<SiteRow, 'name' | 'origins' | 'autoCloseAfterHours' | 'reopenWindowDays' | 'agentsMayClose' | 'remindAfterHours' | 'texts' | 'contextKeepsQuery' | 'notifications' | 'attachments' | 'topics' | 'sla'>
>;

export interface DeliveryAttempt {
  deliveryId: string;
  endpointId: string;
  at: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: number;
  disableEndpoint: string | null;
}

/** Every table, parents before children: the order a whole-database copy writes them in. */
export const TABLES = [
  'sites',
  'customers',
  'customer_sessions',
  'agents',
  'tickets',
  'messages',
  'events',
  'idempotency_keys',
  'purge_records',
  'webhook_endpoints',
  'webhook_deliveries',
  'webhook_attempts',
  'email_addresses',
  'emails',
  'email_tokens',
  'stream_tickets',
  'rate_limits',
  'attachments',
  'attachment_chunks',
  'metric_facts',
] as const;
export type TableName = (typeof TABLES)[number];

/** A row as the store reads it (the same shape from either database); values are JSON-able. */
export type TableRow = Record<string, unknown>;

/**
 * Whole tables, for `closeloop copy`: rows in the order they were written, in pages,
 * and written back in that order (so the outboxes keep their order).
 */
export interface TableAccess {
  count(table: TableName): Promise<number>;
  /** Up to `limit` rows after `cursor` (null: from the start); `next` is null after the last page. */
  read(table: TableName, cursor: unknown, limit: number): Promise<{ rows: TableRow[]; next: unknown }>;
  /** Inserts rows read from another store, in one transaction. */
  write(table: TableName, rows: TableRow[]): Promise<void>;
  /** After a copy: generated ids continue after the copied ones. */
  finishCopy(): Promise<void>;
}

export type LiveScope = { customerId: string; owner?: Owner } | { siteId: string };

/** The email outbox, the tokens in email links, and what a site knows of each address. */
export interface EmailStore {
  /** Turns queuing on with these caps (a server with SMTP configured), or off with null. */
  setLimits(value: MailLimits | null): void;
  /** A sign-in link for the portal; queued only when the caps allow (the caller answers the same either way). */
  requestSignIn(site: SiteRow, address: string, locale: string, returnUrl: string | null, now: number): Promise<boolean>;
  /**
   * Leases the oldest due email and reads what it says (making its links), in one
   * transaction, so no other worker sends it meanwhile. An email with nothing left to
   * say (read, withdrawn, unsubscribed, ticket gone) is dropped on the way. Null: none due.
   */
  claimNext(now: number, leaseMs: number): Promise<PreparedEmail | null>;
  recordSent(id: string, now: number, messageId: string): Promise<void>;
  /** A failed attempt: try again at `retryAt`, or give up (null) and tell the site's webhooks. */
  recordFailure(id: string, now: number, error: string, retryAt: number | null): Promise<void>;
  /** A site's email log, newest first, keyset-paged by (created, id); one row more than `limit` when there are more. */
  list(siteId: string, filters: { ticketId?: string | undefined; status?: string | undefined }, page: { after: [number, string] | null; limit: number }): Promise<EmailRow[]>;
  /** What a link is, without acting on it (a GET: mail scanners follow links). */
  openLink(raw: string, now: number): Promise<LinkState>;
  /**
   * Acts on a link in one transaction: the token is checked and (unless it serves many
   * uses) spent, its address is proven, and the plan made from the link as it is now is
   * carried out. A plan's `decide` may throw a DomainError: then nothing is written, the
   * token included.
   */
  useLink(raw: string, now: number, plan: (link: OpenLink) => LinkPlan): Promise<Extract<LinkState, { ok: false }> | LinkDone>;
  /** The ticket a reply address belongs to, if its token is known (checked at SMTP time). */
  replyTarget(raw: string, now: number): Promise<OpenLink | null>;
  /** Forgets links past their time, at most `limit`; returns how many went. */
  deleteExpiredTokens(now: number, limit: number): Promise<number>;
}

/**
 * What each uploaded file is (its bytes are kept by an AttachmentStorage). A message's
 * write claims its attachments in its own transaction; a purge dooms the ticket's.
 */
export interface AttachmentStore {
  /** Records an upload whose bytes are about to be written ('uploading': never usable, swept if never finished). */
  begin(row: Pick<AttachmentRow, 'id' | 'siteId' | 'uploader' | 'name' | 'storage' | 'createdAt'> & { thumbnailOf?: string | null }): Promise<void>;
  /** The bytes are stored and their type is known: the upload may now be used. Null when it was swept meanwhile. */
  finish(id: string, file: Pick<AttachmentRow, 'size' | 'contentType' | 'sha256'>): Promise<AttachmentRow | null>;
  get(id: string): Promise<AttachmentRow | null>;
  /** The files of these messages (thumbnails included), in upload order. */
  forMessages(messageIds: string[]): Promise<AttachmentRow[]>;
  /**
   * Takes up to `limit` rows whose bytes must go — doomed ones, uploads unfinished since
   * `staleBefore`, and ones unused since `unusedBefore` — marking them doomed first, so a
   * message can no longer claim one while its bytes are being deleted.
   */
  dueForDeletion(cutoffs: { staleBefore: number; unusedBefore: number }, limit: number): Promise<AttachmentRow[]>;
  /** Forgets rows whose bytes are gone (never one a message has taken). */
  remove(ids: string[]): Promise<void>;
  /** The database storage's pieces of a file (see attachments/database-storage.ts). */
  writePiece(id: string, part: number, data: Buffer): Promise<void>;
  readPiece(id: string, part: number): Promise<Buffer | null>;
  deletePieces(id: string): Promise<void>;
}

/** Which facts a summary adds up, and by what. */
export interface MetricQuery {
  siteId: string;
  from: number;
  to: number;
  /** `time` groups by `bucketMs`-long buckets counted from `from` (the caller makes days and weeks of them). */
  groupBy: 'none' | 'time' | 'topic' | 'tag' | 'priority' | 'assignee';
  bucketMs?: number | undefined;
  filters: { topicId?: string | null | undefined; tag?: string | undefined; priority?: string | undefined; assigneeId?: string | null | undefined };
}

/** Facts of one kind in one group, added up. */
export interface MetricCount {
  kind: string;
  key: string | number | null;
  n: number;
  ratingSum: number;
  satisfied: number;
  reopenedLater: number;
  followedUp: number;
  oneTouch: number;
}

/** One first reply, or one ticket's latest resolution, with its durations. */
export interface MetricDuration {
  kind: string;
  key: string | number | null;
  ms: number;
  businessMs: number;
  waitMs: number | null;
  waitBusinessMs: number | null;
}

/** The facts behind metrics, service levels and "to solve" (see server/analytics/). */
export interface MetricStore {
  facts(query: MetricQuery): Promise<{ counts: MetricCount[]; durations: MetricDuration[] }>;
  /** Unsolved tickets now, by status and by age since creation. */
  backlog(siteId: string, now: number): Promise<{ status: string; age: string; n: number }[]>;
  /**
   * "To solve": the most urgent new or open ticket that is unassigned or already the agent's
   * (nearest due target, then the longest wait), with `decide` (its assignment) applied in the
   * same transaction, so two agents never get the same one. Null when there is none.
   */
  next(siteId: string, agentId: string, actor: ActorRef, decide: Decide): Promise<TicketRow | null>;
  /** Tickets whose nearest service-level target has passed, oldest due first. */
  dueForSlaBreach(now: number, limit: number): Promise<string[]>;
  /**
   * Ticket ids after `afterId` (null: from the start), in id order; `untracked`: only those
   * with no tally yet (made before this version kept metrics).
   */
  ticketIdsAfter(afterId: string | null, limit: number, opts?: { untracked?: boolean }): Promise<string[]>;
  /**
   * Replaces each ticket's tally and facts with what its whole history makes of them;
   * `untracked`: only where there is still no tally (a change may have made it meanwhile).
   */
  rebuild(ticketIds: string[], opts?: { untracked?: boolean }): Promise<void>;
}

export interface Store {
  /** Where the data lives, for operators and tests: a SQLite file path, or a PostgreSQL URL without its password. */
  readonly location: string;
  readonly dialect: 'sqlite' | 'postgres';
  /** Resolves once the database is reachable and its tables are up to date; rejects with the reason it is not. */
  ready(): Promise<void>;
  close(): Promise<void>;

  /* ---------- sites ---------- */
  createSite(input: { name: string; origins: string[] }, now: number): Promise<SiteRow>;
  listSites(): Promise<SiteRow[]>;
  getSite(id: string): Promise<SiteRow | null>;
  siteByKey(siteKey: string): Promise<SiteRow | null>;
  siteBySecret(secretKey: string): Promise<SiteRow | null>;
  updateSite(id: string, patch: SitePatch): Promise<SiteRow | null>;
  /** Every origin any site allows: enough to answer a CORS preflight, which names no site. */
  allOrigins(): Promise<string[]>;

  /* ---------- customers and sessions ---------- */
  startSession(input: { siteId: string; identity: (Identity & { expiresAt: number }) | null }, now: number): Promise<{ token: string; customer: CustomerRow }>;
  /** The email outbox, link tokens and address states. */
  readonly emails: EmailStore;
  /** Whole tables, for copying the database to another store. */
  readonly tables: TableAccess;
  /** Uploaded files: what they are and whose they are. */
  readonly attachments: AttachmentStore;
  /** Metrics, service levels and "to solve". */
  readonly metrics: MetricStore;
  /** Spends a portal sign-in code for a session that sees the tickets of the address it proved; null when the code is unknown, used or expired. */
  startEmailSession(siteId: string, code: string, now: number): Promise<{ token: string; customer: CustomerRow } | null>;
  /** A live session with its customer and site, in one query (every customer call starts here). */
  sessionByToken(token: string): Promise<{ session: SessionRow; customer: CustomerRow; site: SiteRow } | null>;
  revokeSession(token: string, now: number): Promise<void>;
  getCustomer(id: string): Promise<CustomerRow | null>;
  /** The site's user with this id in the site's own system. */
  customerByExternalId(siteId: string, externalId: string): Promise<CustomerRow | null>;
  customersByIds(ids: string[]): Promise<CustomerRow[]>;
  /** Finds or creates the site's user with this id, for an agent creating on their behalf. */
  upsertCustomer(siteId: string, identity: Identity, now: number): Promise<CustomerRow>;

  /* ---------- agents ---------- */
  upsertAgent(siteId: string, input: { email: string; name: string }, now: number): Promise<AgentRow>;
  listAgents(siteId: string): Promise<AgentRow[]>;
  getAgent(siteId: string, id: string): Promise<AgentRow | null>;
  agentsByIds(ids: string[]): Promise<AgentRow[]>;

  /* ---------- tickets ---------- */
  /** Creates a ticket with its first message and `created` event; a retried idempotency key returns the first. */
  createTicket(input: NewTicket): Promise<{ ticket: TicketRow; created: boolean; eventIds: number[] }>;
  /** The ticket a retried create already made (a live key with the same body), else null; read before any rate limit. */
  idempotentTicket(idem: Idempotency): Promise<TicketRow | null>;
  /** Forgets idempotency keys recorded before `before`, oldest first, at most `limit`; returns how many went. */
  deleteExpiredIdempotencyKeys(before: number, limit: number): Promise<number>;
  /** Runs `decide` on the current row and writes what it returns, all in one transaction. */
  applyToTicket(ref: TicketRef, actor: ActorRef, decide: Decide): Promise<Applied>;
  /** Applies `decide` to many tickets (the sweeper's batches); a ticket whose `decide` throws is skipped. */
  applyToTickets(ticketIds: string[], actor: ActorRef, decide: Decide): Promise<{ ticketId: string; from: string; applied: Applied }[]>;
  getTicket(ref: TicketRef): Promise<TicketRow | null>;
  ticketsByIds(ids: string[]): Promise<TicketRow[]>;
  /** A customer's tickets, newest activity first, keyset-paged; spam and deleted never show. */
  listCustomerTickets(owner: Owner, page: PageRequest): Promise<Page<TicketRow>>;
  /** A site's tickets for agents; spam and deleted only when asked for by status. */
  listSiteTickets(siteId: string, filters: TicketFilters, page: PageRequest): Promise<Page<TicketRow>>;
  /**
   * A ticket with its messages and events in time order (internal notes only when asked for),
   * all as of one moment: never a status from before a message it shows. Null when not theirs.
   */
  thread(ref: TicketRef, opts: { includeInternal: boolean }): Promise<Thread | null>;
  /** Marks the ticket read by its customer; replies still waiting to be emailed are then not sent. */
  markRead(ref: TicketRef, now: number): Promise<TicketRow | null>;

  /* ---------- the sweeper's queries ---------- */
  /** Resolved tickets whose site's auto-close delay has passed, oldest first. */
  dueForAutoClose(now: number, limit: number): Promise<string[]>;
  dueForWake(now: number, limit: number): Promise<string[]>;
  /** Answered tickets whose site's reminder delay has passed since the newest agent reply, not yet reminded. */
  dueForReminder(now: number, limit: number): Promise<string[]>;

  /* ---------- webhooks ---------- */
  createWebhookEndpoint(input: { siteId: string; url: string; events: string[]; secret: string }, now: number): Promise<WebhookEndpointRow>;
  listWebhookEndpoints(siteId: string): Promise<WebhookEndpointRow[]>;
  getWebhookEndpoint(siteId: string, id: string): Promise<WebhookEndpointRow | null>;
  deleteWebhookEndpoint(siteId: string, id: string): Promise<WebhookEndpointRow | null>;
  /** A new secret; the old one keeps signing until `previousExpiresAt`. */
  rotateWebhookSecret(siteId: string, id: string, secret: string, previousExpiresAt: number): Promise<WebhookEndpointRow | null>;
  /** Endpoints with deliveries due now, not disabled and not in `busy`, the longest-waiting first. */
  dueEndpoints(now: number, busy: string[], limit: number): Promise<string[]>;
  /**
   * Claims one endpoint's due deliveries, in the order they were written: each is
   * leased (its next attempt moved past the lease) in the same transaction, so two
   * workers never send one twice at once.
   */
  claimDueDeliveries(endpointId: string, now: number, limit: number, leaseMs: number): Promise<{ delivery: WebhookDeliveryRow; endpoint: WebhookEndpointRow }[]>;
  /** Records one attempt and its outcome; disables the endpoint when it said 410 Gone. */
  recordDeliveryAttempt(input: DeliveryAttempt): Promise<void>;
  /** A site's deliveries, newest first, with every attempt; keyset-paged. */
  listWebhookDeliveries(
    siteId: string,
    filters: { endpointId?: string | undefined; status?: string | undefined },
    page: PageRequest,
  ): Promise<Page<{ delivery: WebhookDeliveryRow; attempts: WebhookAttemptRow[] }>>;

  /* ---------- rate limits ---------- */
  /** Counts one request against `key`'s fixed window; resolves with the count in the window so far. */
  takeRateLimit(key: string, windowMs: number, now: number): Promise<number>;
  /** Forgets windows that are over, at most `limit`; returns how many went. */
  deleteExpiredRateLimits(now: number, limit: number): Promise<number>;

  /* ---------- the live feed ---------- */
  /** A single-use stream ticket for this grant, or null when its holder already has `perHolder` outstanding. */
  issueStreamTicket(holder: string, grant: Record<string, unknown>, now: number, ttlMs: number, perHolder: number): Promise<{ ticket: string; expiresAt: number } | null>;
  /** Spends a stream ticket: its grant once, on whichever server, if it has not expired. */
  redeemStreamTicket(ticket: string, now: number): Promise<Record<string, unknown> | null>;
  maxEventId(): Promise<number>;
  /** Events after an id, for everyone (the hub), one customer, or one site. */
  eventsAfter(afterId: number, limit: number, scope?: LiveScope): Promise<EventRow[]>;
  /**
   * Calls `listener` soon after any server on this database commits new events
   * (a hint only: the events table stays the truth). Resolves with a function that
   * stops listening. The SQLite store has one process, so it never calls.
   */
  onNewEvents(listener: () => void): Promise<() => Promise<void>>;
}
