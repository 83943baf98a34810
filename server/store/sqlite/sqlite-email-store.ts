/**
 * The SQLite email outbox: the rows behind `Store['emails']`. What to send and
 * which links to make is decided in ../email-outbox.ts; here it is read and
 * written. `enqueue…` functions run inside the caller's transaction
 * (better-sqlite3 has one connection: every statement here is part of it); the
 * rest open their own.
 */
import { and, asc, count, desc, eq, gt, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { MailLimits } from '../../mail/mail-config.js';
import { emailEntry } from '../../mail/email-entry.js';
import { notificationsOf } from '../../mail/notification-settings.js';
import {
  codeFor,
  emailContent,
  emailForChange,
  emailTargetGone,
  HOUR,
  isTokenShaped,
  linksFor,
  linkState,
  mayMail,
  newToken,
  spentByUse,
  type LinkDone,
  type LinkPlan,
  type OpenLink,
  type LinkState,
  type PreparedEmail,
  type TokenPurpose,
  type TokenSpec,
} from '../email-outbox.js';
import type { EmailKind } from '../../mail/email-triggers.js';
import { newId, sha256 } from '../ids.js';
import type { Db } from './open-database.js';
import { agents, emailAddresses, emails, emailTokens, messages } from './schema.js';
import type { ActorRef, Applied, Decide, EmailRow, EmailStore, SiteRow, TicketRow } from '../store.js';

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

  function mayMailNow(siteId: string, address: string, kind: EmailKind, now: number) {
    return mayMail(limits, addressState(siteId, address), kind, () => q.sentSince.get({ siteId, address, since: now - HOUR })?.n ?? 0);
  }

  function queue(siteId: string, ticketId: string | null, to: string, locale: string, kind: EmailKind, at: number, dueAt: number, data: Record<string, unknown>) {
    q.insert.run({ id: newId('em', 16), siteId, ticketId, to, locale, kind, dueAt, data, at });
  }

  function dropWaitingReplies(ticketId: string) {
    for (const waiting of q.queuedOf.all({ ticketId, kind: 'reply' })) db.delete(emails).where(eq(emails.id, waiting.id)).run();
  }

  function proveAddress(siteId: string, address: string, at: number) {
    db.insert(emailAddresses)
      .values({ siteId, address, provenAt: at })
      .onConflictDoUpdate({ target: [emailAddresses.siteId, emailAddresses.address], set: { provenAt: sql`coalesce(${emailAddresses.provenAt}, ${at})` } })
      .run();
  }

  /** Stores a link's token (hashed) and returns the raw one, for the email. */
  function issueToken(spec: TokenSpec) {
    const raw = newToken();
    q.insertToken.run({ ...spec, hash: sha256(raw) });
    return raw;
  }

  function tokenState(raw: string, now: number): LinkState {
    const token = isTokenShaped(raw) ? q.token.get({ hash: sha256(raw) }) ?? null : null;
    const site = token ? siteById(token.siteId) ?? null : null;
    const ticket = token?.ticketId ? ticketById(token.ticketId) ?? null : null;
    return linkState(token, site, ticket, now);
  }

  /** What one email says, with its links; null (and the row deleted) when it has nothing left to say. */
  function prepareOne(email: EmailRow, now: number): PreparedEmail | null {
    const site = siteById(email.siteId) ?? null;
    const ticket = email.ticketId ? ticketById(email.ticketId) ?? null : null;
    const state = site ? addressState(site.id, email.to) : null;
    const content = emailTargetGone(email, site, ticket) ? null : ticket ? emailContent(email, ticket, q.publicMessages.all({ ticketId: ticket.id })) : [];
    if (!site || content === null || state?.unsubscribedAt != null) {
      db.delete(emails).where(eq(emails.id, email.id)).run();
      return null;
    }
    const thread = ticket ? q.thread.all({ ticketId: ticket.id }).flatMap((e) => (e.messageId ? [e.messageId] : [])) : [];
    const agentIds = [...new Set(content.flatMap((m) => (m.authorKind === 'agent' && m.authorId ? [m.authorId] : [])))];
    const authors = agentIds.length ? Object.fromEntries(db.select({ id: agents.id, name: agents.name }).from(agents).where(inArray(agents.id, agentIds)).all().map((a) => [a.id, a.name])) : {};
    const tokens: Partial<Record<TokenPurpose, string>> = {};
    for (const spec of linksFor(email, site, ticket, now)) tokens[spec.purpose] = issueToken(spec);
    return { email, site, ticket, messages: content, thread, tokens, proven: state?.provenAt != null, authors };
  }

  return {
    /** Turns queuing on with these caps (a server with SMTP configured), or off with null. */
    setLimits(value: MailLimits | null) {
      limits = value;
    },

    /** Inside a change's transaction: the email it asks for, if the site, the address and the caps allow. */
    enqueueForChange(site: SiteRow, ticket: TicketRow, event: { type: string; actorKind: string; at: number }, publicMessage: boolean) {
      const wanted = emailForChange(limits, site, ticket, event, publicMessage);
      if (!wanted) return;
      if (wanted.dropWaitingReplies) dropWaitingReplies(ticket.id);
      if (wanted.joinsWaitingReply && q.queuedOf.all({ ticketId: ticket.id, kind: 'reply' }).length > 0) return;
      if (!mayMailNow(site.id, wanted.to, wanted.kind, event.at)) return;
      queue(site.id, ticket.id, wanted.to, ticket.locale, wanted.kind, event.at, wanted.dueAt, wanted.data);
    },

    /** Inside markRead's transaction: replies the customer read in the widget are not emailed. */
    cancelReadReplies: dropWaitingReplies,

    /** Inside a transaction: an address a site's backend vouched for (a verified identity) is proven. */
    proveAddress,

    /** A sign-in link for the portal; queued only when the caps allow (the caller answers the same either way). */
    requestSignIn: async (site: SiteRow, address: string, locale: string, returnUrl: string | null, now: number) =>
      immediate(() => {
        if (!notificationsOf(site).enabled || !mayMailNow(site.id, address, 'sign_in', now)) return false;
        queue(site.id, null, address, locale, 'sign_in', now, now, { returnUrl });
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
          done.code = issueToken(codeFor(site, token, now));
        }
        if (spentByUse(token)) db.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.hash, token.hash)).run();
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

export type SqliteEmailStore = ReturnType<typeof createEmailStore>;
