/**
 * The email outbox, the tokens in email links, and what a site knows of each
 * address (proven, unsubscribed). `enqueue…` functions run inside the caller's
 * transaction (better-sqlite3 has one connection: every statement here is part
 * of it); the rest open their own.
 */
import { and, asc, count, desc, eq, gt, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { autoCloseAt, reopenUntil } from '../lifecycle/lifecycle.js';
import { emailFor, UNPROVEN_KINDS, type EmailKind } from '../mail/email-triggers.js';
import type { MailLimits } from '../mail/mail-config.js';
import { notificationsOf } from '../mail/notification-settings.js';
import { siteRules, ticketState } from '../tickets/ticket-state.js';
import { emailEntry } from '../mail/email-entry.js';
import { newId, randomChunk, sha256 } from './ids.js';
import type { Db } from './open-database.js';
import { agents, emailAddresses, emails, emailTokens, messages, tickets, type sites } from './schema.js';

import type { ActorRef, Applied, Decide } from './store.js';

type SiteRow = typeof sites.$inferSelect;
type TicketRow = typeof tickets.$inferSelect;
type MessageRow = typeof messages.$inferSelect;
export type EmailRow = typeof emails.$inferSelect;
export type EmailTokenRow = typeof emailTokens.$inferSelect;

export type TokenPurpose = 'view' | 'confirm' | 'reject' | 'reopen' | 'reply' | 'unsubscribe' | 'sign_in' | 'code';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How long each kind of link works; a reply address lives as long as its ticket. */
const TOKEN_LIFETIME: Record<Exclude<TokenPurpose, 'confirm' | 'reject' | 'reopen' | 'reply'>, number> = {
  view: 30 * DAY,
  unsubscribe: 365 * DAY,
  sign_in: 30 * 60_000,
  code: 10 * 60_000,
};

/** Link tokens: random, lower-case hex (reply addresses pass through mail systems that may fold case). */
export const newToken = () => randomChunk(24).toString('hex');

/** What the worker needs to write one email, read and decided in one transaction. */
export interface PreparedEmail {
  email: EmailRow;
  site: SiteRow;
  ticket: TicketRow | null;
  /** The messages the email quotes: new replies, or the resolving message. */
  messages: MessageRow[];
  /** Message-IDs of the ticket's earlier emails, oldest first, for threading. */
  thread: string[];
  /** Raw tokens by purpose, made for this email. */
  tokens: Partial<Record<TokenPurpose, string>>;
  /** Whether the address is proven (an unproven one is told how to prove it). */
  proven: boolean;
  /** The names of the agents who wrote the quoted messages, by id. */
  authors: Record<string, string>;
}

export type LinkState =
  | { ok: true; token: EmailTokenRow; site: SiteRow; ticket: TicketRow | null }
  | { ok: false; problem: 'unknown' | 'expired' | 'used'; token: EmailTokenRow | null };

interface Deps {
  db: Db;
  immediate: <T>(fn: () => T) => Promise<T>;
  siteById: (id: string) => SiteRow | undefined;
  ticketById: (id: string) => TicketRow | undefined;
  /** Queues an `email.failed` webhook in the current transaction. */
  enqueueWebhook: (site: SiteRow, type: 'email.failed', data: Record<string, unknown>, at: number) => void;
  /** Decides and writes a ticket change in the current transaction (the store's own path, webhooks and emails included). */
  apply: (ticket: TicketRow, site: SiteRow, actor: ActorRef, decide: Decide) => Applied;
}

export type OpenLink = Extract<LinkState, { ok: true }>;

/**
 * What acting on a link does, decided from the link as it is now: change its ticket
 * (as the customer, through the lifecycle), stop the address's email, or hand out a
 * one-time portal code. A plan, not a callback into the database, so any store can
 * carry it out inside its own transaction.
 */
export type LinkPlan = { kind: 'ticket'; decide: Decide } | { kind: 'unsubscribe' } | { kind: 'code' };

export interface LinkDone {
  ok: true;
  /** The ticket change, for a `ticket` plan. */
  applied: Applied | null;
  /** The one-time portal code, for a `code` plan. */
  code: string | null;
}

export function createEmailStore({ db, immediate, siteById, ticketById, enqueueWebhook, apply }: Deps) {
  /** Null: mail is off (no SMTP configured), and nothing is queued. */
  let limits: MailLimits | null = null;

  // The queries every email runs, built and prepared once (see the store's note on prepared statements).
  const p = sql.placeholder;
  const q = {
    address: db.select().from(emailAddresses).where(and(eq(emailAddresses.siteId, p('siteId')), eq(emailAddresses.address, p('address')))).prepare(),
    sentSince: db
      .select({ n: count() })
      .from(emails)
      .where(and(eq(emails.siteId, p('siteId')), eq(emails.to, p('address')), gt(emails.createdAt, p('since'))))
      .prepare(),
    insert: db
      .insert(emails)
      .values({ id: p('id'), siteId: p('siteId'), ticketId: p('ticketId'), to: p('to'), locale: p('locale'), kind: p('kind'), status: 'queued', nextAttemptAt: p('dueAt'), data: p('data'), createdAt: p('at') })
      .prepare(),
    queuedOf: db.select().from(emails).where(and(eq(emails.ticketId, p('ticketId')), eq(emails.kind, p('kind')), eq(emails.status, 'queued'))).prepare(),
    nextDue: db
      .select()
      .from(emails)
      .where(and(eq(emails.status, 'queued'), lte(emails.nextAttemptAt, p('now'))))
      .orderBy(asc(emails.nextAttemptAt), sql`${emails}.rowid`)
      .limit(1)
      .prepare(),
    lease: db.update(emails).set({ nextAttemptAt: sql`${p('until')}` }).where(eq(emails.id, p('id'))).prepare(),
    thread: db
      .select({ messageId: emails.messageId })
      .from(emails)
      .where(and(eq(emails.ticketId, p('ticketId')), eq(emails.status, 'sent')))
      .orderBy(asc(emails.sentAt))
      .prepare(),
    sent: db
      .update(emails)
      .set({ status: 'sent', sentAt: sql`${p('at')}`, messageId: sql`${p('messageId')}`, lastError: null, attempts: sql`${emails.attempts} + 1` })
      .where(eq(emails.id, p('id')))
      .prepare(),
    insertToken: db
      .insert(emailTokens)
      .values({
        hash: p('hash'),
        purpose: p('purpose'),
        siteId: p('siteId'),
        ticketId: p('ticketId'),
        address: p('address'),
        locale: p('locale'),
        anchor: p('anchor'),
        returnUrl: p('returnUrl'),
        expiresAt: p('expiresAt'),
        createdAt: p('at'),
      })
      .prepare(),
    token: db.select().from(emailTokens).where(eq(emailTokens.hash, p('hash'))).prepare(),
    publicMessages: db
      .select()
      .from(messages)
      .where(and(eq(messages.ticketId, p('ticketId')), eq(messages.internal, false)))
      .orderBy(asc(messages.createdAt))
      .prepare(),
  };

  function addressState(siteId: string, address: string) {
    return q.address.get({ siteId, address }) ?? null;
  }

  function sentLastHour(siteId: string, address: string, now: number) {
    return q.sentSince.get({ siteId, address, since: now - HOUR })?.n ?? 0;
  }

  /** Whether this address may get this kind of email now: not unsubscribed, and under its hourly caps. */
  function mayMail(siteId: string, address: string, kind: EmailKind, now: number) {
    if (!limits) return false;
    const state = addressState(siteId, address);
    if (state?.unsubscribedAt != null) return false;
    const proven = state?.provenAt != null;
    if (!proven && !UNPROVEN_KINDS.has(kind)) return false;
    const cap = proven ? limits.perAddressPerHour : Math.min(limits.unprovenPerHour, limits.perAddressPerHour);
    return sentLastHour(siteId, address, now) < cap;
  }

  function queue(site: SiteRow, ticketId: string | null, to: string, locale: string, kind: EmailKind, at: number, dueAt: number, data: Record<string, unknown>) {
    q.insert.run({ id: newId('em', 16), siteId: site.id, ticketId, to, locale, kind, dueAt, data, at });
  }

  function queuedOf(ticketId: string, kind: EmailKind) {
    return q.queuedOf.all({ ticketId, kind });
  }

  function proveAddress(siteId: string, address: string, at: number) {
    db.insert(emailAddresses)
      .values({ siteId, address, provenAt: at })
      .onConflictDoUpdate({ target: [emailAddresses.siteId, emailAddresses.address], set: { provenAt: sql`coalesce(${emailAddresses.provenAt}, ${at})` } })
      .run();
  }

  function issueToken(input: { purpose: TokenPurpose; siteId: string; ticketId: string | null; address: string; locale: string; anchor?: number | null; returnUrl?: string | null; expiresAt: number | null; at: number }) {
    const raw = newToken();
    q.insertToken.run({
      hash: sha256(raw),
      purpose: input.purpose,
      siteId: input.siteId,
      ticketId: input.ticketId,
      address: input.address,
      locale: input.locale,
      anchor: input.anchor ?? null,
      returnUrl: input.returnUrl ?? null,
      expiresAt: input.expiresAt,
      at: input.at,
    });
    return raw;
  }

  function tokenState(raw: string, now: number): LinkState {
    const token = /^[0-9a-f]{48}$/.test(raw) ? q.token.get({ hash: sha256(raw) }) : undefined;
    if (!token) return { ok: false, problem: 'unknown', token: null };
    if (token.usedAt !== null) return { ok: false, problem: 'used', token };
    if (token.expiresAt !== null && token.expiresAt <= now) return { ok: false, problem: 'expired', token };
    const site = siteById(token.siteId);
    const ticket = token.ticketId ? ticketById(token.ticketId) ?? null : null;
    if (!site || (token.ticketId && (!ticket || ticket.status === 'spam' || ticket.status === 'deleted'))) {
      return { ok: false, problem: 'expired', token };
    }
    return { ok: true, token, site, ticket };
  }

  /** The messages an email quotes, or null when it has nothing left to say (then it is not sent). */
  function contentOf(email: EmailRow, ticket: TicketRow): MessageRow[] | null {
    const data = email.data ?? {};
    const agentMessages = () => q.publicMessages.all({ ticketId: ticket.id }).filter((m) => m.authorKind === 'agent');
    switch (email.kind as EmailKind) {
      case 'receipt':
        return q.publicMessages.all({ ticketId: ticket.id }).slice(0, 1);
      case 'reply': {
        const since = Math.max(Number(data.since ?? 0), (ticket.customerReadAt ?? -1) + 1);
        const unread = agentMessages().filter((m) => m.createdAt >= since);
        return unread.length ? unread : null;
      }
      case 'resolution': {
        if (ticket.status !== 'resolved' || ticket.resolvedAt !== data.anchor) return null;
        const own = agentMessages().filter((m) => m.createdAt <= (ticket.resolvedAt ?? 0));
        return own.slice(-1);
      }
      case 'auto_closed':
        return ticket.status === 'closed' && ticket.closedAt === data.anchor ? [] : null;
      default:
        return [];
    }
  }

  /** The links an email carries, made now so each lives exactly as long as it should. */
  function tokensFor(email: EmailRow, site: SiteRow, ticket: TicketRow | null, now: number) {
    const base = { siteId: site.id, ticketId: ticket?.id ?? null, address: email.to, locale: email.locale, at: now };
    const tokens: Partial<Record<TokenPurpose, string>> = {
      unsubscribe: issueToken({ ...base, ticketId: null, purpose: 'unsubscribe', expiresAt: now + TOKEN_LIFETIME.unsubscribe }),
    };
    if (email.kind === 'sign_in') {
      tokens.sign_in = issueToken({ ...base, purpose: 'sign_in', returnUrl: (email.data?.returnUrl as string | undefined) ?? null, expiresAt: now + TOKEN_LIFETIME.sign_in });
      return tokens;
    }
    if (!ticket) return tokens;
    tokens.view = issueToken({ ...base, purpose: 'view', expiresAt: now + TOKEN_LIFETIME.view });
    tokens.reply = issueToken({ ...base, purpose: 'reply', expiresAt: null });
    const rules = siteRules(site);
    if (email.kind === 'resolution') {
      const until = autoCloseAt(ticketState(ticket), rules);
      tokens.confirm = issueToken({ ...base, purpose: 'confirm', anchor: ticket.resolvedAt, expiresAt: until });
      tokens.reject = issueToken({ ...base, purpose: 'reject', anchor: ticket.resolvedAt, expiresAt: until });
    }
    if (email.kind === 'auto_closed') {
      tokens.reopen = issueToken({ ...base, purpose: 'reopen', anchor: ticket.closedAt, expiresAt: reopenUntil(ticketState(ticket), rules) });
    }
    return tokens;
  }

  /** What one email says, with its links; null (and the row deleted) when it has nothing left to say. */
  function prepareOne(email: EmailRow, now: number): PreparedEmail | null {
    const site = siteById(email.siteId);
    const ticket = email.ticketId ? ticketById(email.ticketId) ?? null : null;
    const state = site ? addressState(site.id, email.to) : null;
    const gone = !site || (email.ticketId !== null && (!ticket || ticket.status === 'spam' || ticket.status === 'deleted'));
    const content = !gone && ticket ? contentOf(email, ticket) : [];
    if (gone || content === null || state?.unsubscribedAt != null) {
      db.delete(emails).where(eq(emails.id, email.id)).run();
      return null;
    }
    const thread = ticket ? q.thread.all({ ticketId: ticket.id }).flatMap((e) => (e.messageId ? [e.messageId] : [])) : [];
    const agentIds = [...new Set(content.flatMap((m) => (m.authorKind === 'agent' && m.authorId ? [m.authorId] : [])))];
    const authors = agentIds.length ? Object.fromEntries(db.select({ id: agents.id, name: agents.name }).from(agents).where(inArray(agents.id, agentIds)).all().map((a) => [a.id, a.name])) : {};
    return { email, site, ticket, messages: content, thread, tokens: tokensFor(email, site, ticket, now), proven: state?.provenAt != null, authors };
  }

  return {
    /** Turns queuing on with these caps (a server with SMTP configured), or off with null. */
    setLimits(value: MailLimits | null) {
      limits = value;
    },

    /** Inside a change's transaction: the email it asks for, if the site, the address and the caps allow. */
    enqueueForChange(site: SiteRow, ticket: TicketRow, event: { type: string; actorKind: string; at: number; messageId: string | null }, publicMessage: boolean) {
      const kind = emailFor({ type: event.type, actorKind: event.actorKind, publicMessage });
      if (!kind || !limits || !ticket.emailKey) return;
      const settings = notificationsOf(site);
      if (!settings.enabled) return;
      // A resolution quotes the newest reply itself; a reply still waiting would only repeat it.
      if (kind === 'resolution') for (const waiting of queuedOf(ticket.id, 'reply')) db.delete(emails).where(eq(emails.id, waiting.id)).run();
      // Replies within the delay make one email, which quotes every reply the customer has not read.
      if (kind === 'reply' && queuedOf(ticket.id, 'reply').length > 0) return;
      if (!mayMail(site.id, ticket.emailKey, kind, event.at)) return;
      const dueAt = kind === 'reply' ? event.at + settings.replyDelayMinutes * 60_000 : event.at;
      const data = kind === 'reply' ? { since: event.at } : kind === 'resolution' ? { anchor: ticket.resolvedAt } : kind === 'auto_closed' ? { anchor: ticket.closedAt } : {};
      queue(site, ticket.id, ticket.emailKey, ticket.locale, kind, event.at, dueAt, data);
    },

    /** Inside markRead's transaction: replies the customer read in the widget are not emailed. */
    cancelReadReplies(ticketId: string) {
      for (const waiting of queuedOf(ticketId, 'reply')) db.delete(emails).where(eq(emails.id, waiting.id)).run();
    },

    /** Inside a transaction: an address a site's backend vouched for (a verified identity) is proven. */
    proveAddress,

    /** A sign-in link for the portal; queued only when the caps allow (the caller answers the same either way). */
    requestSignIn: async (site: SiteRow, address: string, locale: string, returnUrl: string | null, now: number) =>
      immediate(() => {
        if (!notificationsOf(site).enabled || !mayMail(site.id, address, 'sign_in', now)) return false;
        queue(site, null, address, locale, 'sign_in', now, now, { returnUrl });
        return true;
      }),

    /**
     * Leases the oldest due email and reads what it says (making its links), in one
     * transaction, so no other worker sends it meanwhile. An email with nothing left to
     * say (read, withdrawn, unsubscribed, ticket gone) is dropped on the way. Null: none due.
     */
    claimNext: async (now: number, leaseMs: number): Promise<PreparedEmail | null> =>
      immediate(() => {
        for (;;) {
          const email = q.nextDue.get({ now });
          if (!email) return null;
          q.lease.run({ id: email.id, until: now + leaseMs });
          const prepared = prepareOne(email, now);
          if (prepared) return prepared;
        }
      }),

    recordSent: async (id: string, now: number, messageId: string) =>
      immediate(() => {
        q.sent.run({ id, at: now, messageId });
      }),

    /** A failed attempt: try again at `retryAt`, or give up (null) and tell the site's webhooks. */
    recordFailure: async (id: string, now: number, error: string, retryAt: number | null) =>
      immediate(() => {
        const email = db
          .update(emails)
          .set({ status: retryAt === null ? 'failed' : 'queued', nextAttemptAt: retryAt ?? now, lastError: error.slice(0, 500), attempts: sql`${emails.attempts} + 1` })
          .where(eq(emails.id, id))
          .returning()
          .get();
        const site = email && siteById(email.siteId);
        if (!email || !site || retryAt !== null) return;
        const ticket = email.ticketId ? ticketById(email.ticketId) : undefined;
        enqueueWebhook(site, 'email.failed', { email: emailEntry(email), ticket: ticket ? { id: ticket.id, subject: ticket.subject, status: ticket.status } : null }, now);
      }),

    /** A site's email log, newest first, keyset-paged by (created, id). */
    list: async (siteId: string, filters: { ticketId?: string | undefined; status?: string | undefined }, page: { after: [number, string] | null; limit: number }) => {
      const conditions: SQL[] = [eq(emails.siteId, siteId)];
      if (filters.ticketId) conditions.push(eq(emails.ticketId, filters.ticketId));
      if (filters.status) conditions.push(eq(emails.status, filters.status));
      if (page.after) conditions.push(sql`(${emails.createdAt}, ${emails.id}) < (${page.after[0]}, ${page.after[1]})`);
      return db
        .select()
        .from(emails)
        .where(and(...conditions))
        .orderBy(desc(emails.createdAt), desc(emails.id))
        .limit(page.limit + 1)
        .all();
    },

    /** What a link is, without acting on it (a GET: mail scanners follow links). */
    openLink: async (raw: string, now: number) => tokenState(raw, now),

    /**
     * Acts on a link in one transaction: the token is checked and (unless it is for
     * many uses) spent, its address is proven, and `decide` runs on the ticket as it is
     * now. `decide` may throw a DomainError: then nothing is written, the token included.
     */
    /**
     * Acts on a link in one transaction: the token is checked and (unless it serves many
     * uses) spent, its address is proven, and the plan made from the link as it is now is
     * carried out. A plan's `decide` may throw a DomainError: then nothing is written, the
     * token included.
     */
    useLink: async (raw: string, now: number, plan: (link: OpenLink) => LinkPlan): Promise<Extract<LinkState, { ok: false }> | LinkDone> =>
      immediate(() => {
        const state = tokenState(raw, now);
        if (!state.ok) return state;
        const { token, site, ticket } = state;
        const done: LinkDone = { ok: true, applied: null, code: null };
        const chosen = plan(state);
        if (chosen.kind === 'ticket') {
          if (!ticket) throw new Error(`a ${token.purpose} link has no ticket`);
          done.applied = apply(ticket, site, { kind: 'customer', id: ticket.customerId }, chosen.decide);
        } else if (chosen.kind === 'unsubscribe') {
          db.insert(emailAddresses)
            .values({ siteId: site.id, address: token.address, unsubscribedAt: now })
            .onConflictDoUpdate({ target: [emailAddresses.siteId, emailAddresses.address], set: { unsubscribedAt: now } })
            .run();
          db.delete(emails).where(and(eq(emails.siteId, site.id), eq(emails.to, token.address), eq(emails.status, 'queued'))).run();
        } else {
          done.code = issueToken({ purpose: 'code', siteId: site.id, ticketId: null, address: token.address, locale: token.locale, expiresAt: now + TOKEN_LIFETIME.code, at: now });
        }
        if (token.purpose !== 'view' && token.purpose !== 'reply') db.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.hash, token.hash)).run();
        proveAddress(site.id, token.address, now);
        return done;
      }),

    /**
     * Spends a portal code, in one transaction, and hands its address to `start` (which
     * writes the new session there); null when the code is unknown, used, expired or of
     * another site (then nothing is spent).
     */
    spendCode: async <T>(raw: string, siteId: string, now: number, start: (address: string) => T): Promise<T | null> =>
      immediate(() => {
        const state = tokenState(raw, now);
        if (!state.ok || state.token.purpose !== 'code' || state.site.id !== siteId) return null;
        db.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.hash, state.token.hash)).run();
        return start(state.token.address);
      }),

    /** The ticket a reply address belongs to, if its token is known (checked at SMTP time). */
    replyTarget: async (raw: string, now: number) => {
      const state = tokenState(raw, now);
      return state.ok && state.token.purpose === 'reply' && state.ticket ? state : null;
    },

    /** Forgets links past their time, at most `limit`; returns how many went. */
    deleteExpiredTokens: async (now: number, limit: number) =>
      immediate(() => {
        const expired = db.select({ hash: emailTokens.hash }).from(emailTokens).where(lte(emailTokens.expiresAt, now)).limit(limit).all();
        if (expired.length) db.delete(emailTokens).where(inArray(emailTokens.hash, expired.map((t) => t.hash))).run();
        return expired.length;
      }),
  };
}

export type EmailStore = ReturnType<typeof createEmailStore>;
