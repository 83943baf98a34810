/**
 * The PostgreSQL email outbox: the rows behind `Store['emails']`. What to send and
 * which links to make is decided in ../email-outbox.ts; here it is read and
 * written. Functions taking `q` run in the caller's transaction; workers on every
 * server claim emails with `FOR UPDATE SKIP LOCKED`, so each is sent once.
 */
import { and, asc, count, desc, eq, getTableColumns, gt, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { EmailKind } from '../../mail/email-triggers.js';
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
  type LinkState,
  type PreparedEmail,
  type TokenPurpose,
  type TokenSpec,
} from '../email-outbox.js';
import { newId, sha256 } from '../ids.js';
import type { ActorRef, Applied, CustomerRow, Decide, EmailRow, EmailStore, SiteRow, TicketRow } from '../store.js';
import type { Q } from './postgres-store.js';
import { agents, emailAddresses, emails, emailTokens, messages } from './schema.js';

interface Deps {
  transaction: <T>(fn: (q: Q) => Promise<T>) => Promise<T>;
  read: <T>(fn: (q: Q) => Promise<T>) => Promise<T>;
  siteById: (q: Q, id: string) => Promise<SiteRow | null>;
  ticketById: (q: Q, id: string) => Promise<TicketRow | null>;
  /** Queues an `email.failed` webhook in the current transaction. */
  enqueueWebhook: (q: Q, site: SiteRow, type: 'email.failed', data: Record<string, unknown>, at: number) => Promise<void>;
  /** Decides and writes a ticket change in the current transaction (the store's own path, webhooks and emails included). */
  apply: (q: Q, ticket: TicketRow, site: SiteRow, actor: ActorRef, decide: Decide) => Promise<Applied>;
}

/** An email as the store hands it out: without PostgreSQL's `seq`, which only orders them. */
const { seq: _emailSeq, ...emailColumns } = getTableColumns(emails);

export function createPostgresEmailStore({ transaction, read, siteById, ticketById, enqueueWebhook, apply }: Deps) {
  /** Null: mail is off (no SMTP configured), and nothing is queued. */
  let limits: MailLimits | null = null;
  const first = <T>(rows: T[]) => rows[0] ?? null;

  const addressState = async (q: Q, siteId: string, address: string) =>
    first(await q.select().from(emailAddresses).where(and(eq(emailAddresses.siteId, siteId), eq(emailAddresses.address, address))));

  async function mayMailNow(q: Q, siteId: string, address: string, kind: EmailKind, now: number) {
    const state = await addressState(q, siteId, address);
    const [sent] = await q
      .select({ n: count() })
      .from(emails)
      .where(and(eq(emails.siteId, siteId), eq(emails.to, address), gt(emails.createdAt, now - HOUR)));
    return mayMail(limits, state, kind, () => sent?.n ?? 0);
  }

  async function queue(q: Q, siteId: string, ticketId: string | null, to: string, locale: string, kind: EmailKind, at: number, dueAt: number, data: Record<string, unknown>) {
    await q.insert(emails).values({ id: newId('em', 16), siteId, ticketId, to, locale, kind, status: 'queued', nextAttemptAt: dueAt, data, createdAt: at });
  }

  const waitingReplies = (q: Q, ticketId: string) => q.select({ id: emails.id }).from(emails).where(and(eq(emails.ticketId, ticketId), eq(emails.kind, 'reply'), eq(emails.status, 'queued')));

  async function dropWaitingReplies(q: Q, ticketId: string) {
    await q.delete(emails).where(and(eq(emails.ticketId, ticketId), eq(emails.kind, 'reply'), eq(emails.status, 'queued')));
  }

  async function proveAddress(q: Q, siteId: string, address: string, at: number) {
    await q
      .insert(emailAddresses)
      .values({ siteId, address, provenAt: at })
      .onConflictDoUpdate({ target: [emailAddresses.siteId, emailAddresses.address], set: { provenAt: sql`coalesce(${emailAddresses.provenAt}, ${at})` } });
  }

  /** Stores a link's token (hashed) and returns the raw one, for the email. */
  async function issueToken(q: Q, spec: TokenSpec) {
    const raw = newToken();
    await q.insert(emailTokens).values({ ...spec, hash: sha256(raw), createdAt: spec.at });
    return raw;
  }

  async function tokenState(q: Q, raw: string, now: number, lock = false): Promise<LinkState> {
    const query = q.select().from(emailTokens).where(eq(emailTokens.hash, sha256(raw)));
    const token = isTokenShaped(raw) ? first(await (lock ? query.for('update') : query)) : null;
    const site = token ? await siteById(q, token.siteId) : null;
    const ticket = token?.ticketId ? await ticketById(q, token.ticketId) : null;
    return linkState(token, site, ticket, now);
  }

  /** What one email says, with its links; null (and the row deleted) when it has nothing left to say. */
  async function prepareOne(q: Q, email: EmailRow, now: number): Promise<PreparedEmail | null> {
    const site = await siteById(q, email.siteId);
    const ticket = email.ticketId ? await ticketById(q, email.ticketId) : null;
    const state = site ? await addressState(q, site.id, email.to) : null;
    const publicMessages = () =>
      q
        .select()
        .from(messages)
        .where(and(eq(messages.ticketId, ticket!.id), eq(messages.internal, false)))
        .orderBy(asc(messages.createdAt));
    const content = emailTargetGone(email, site, ticket) ? null : ticket ? emailContent(email, ticket, await publicMessages()) : [];
    if (!site || content === null || state?.unsubscribedAt != null) {
      await q.delete(emails).where(eq(emails.id, email.id));
      return null;
    }
    const thread = ticket
      ? (await q.select({ messageId: emails.messageId }).from(emails).where(and(eq(emails.ticketId, ticket.id), eq(emails.status, 'sent'))).orderBy(asc(emails.sentAt))).flatMap((e) =>
          e.messageId ? [e.messageId] : [],
        )
      : [];
    const agentIds = [...new Set(content.flatMap((m) => (m.authorKind === 'agent' && m.authorId ? [m.authorId] : [])))];
    const authors = agentIds.length ? Object.fromEntries((await q.select({ id: agents.id, name: agents.name }).from(agents).where(inArray(agents.id, agentIds))).map((a) => [a.id, a.name])) : {};
    const tokens: Partial<Record<TokenPurpose, string>> = {};
    for (const spec of linksFor(email, site, ticket, now)) tokens[spec.purpose] = await issueToken(q, spec);
    return { email, site, ticket, messages: content, thread, tokens, proven: state?.provenAt != null, authors };
  }

  const store = {
    setLimits(value: MailLimits | null) {
      limits = value;
    },

    /** Inside a change's transaction: the email it asks for, if the site, the address and the caps allow. */
    async enqueueForChange(q: Q, site: SiteRow, ticket: TicketRow, event: { type: string; actorKind: string; at: number }, publicMessage: boolean) {
      const wanted = emailForChange(limits, site, ticket, event, publicMessage);
      if (!wanted) return;
      if (wanted.dropWaitingReplies) await dropWaitingReplies(q, ticket.id);
      if (wanted.joinsWaitingReply && (await waitingReplies(q, ticket.id)).length > 0) return;
      if (!(await mayMailNow(q, site.id, wanted.to, wanted.kind, event.at))) return;
      await queue(q, site.id, ticket.id, wanted.to, ticket.locale, wanted.kind, event.at, wanted.dueAt, wanted.data);
    },

    /** Inside markRead's transaction: replies the customer read in the widget are not emailed. */
    cancelReadReplies: dropWaitingReplies,

    /** Inside a transaction: an address a site's backend vouched for (a verified identity) is proven. */
    proveAddress,

    requestSignIn: (site: SiteRow, address: string, locale: string, returnUrl: string | null, now: number) =>
      transaction(async (q) => {
        if (!notificationsOf(site).enabled || !(await mayMailNow(q, site.id, address, 'sign_in', now))) return false;
        await queue(q, site.id, null, address, locale, 'sign_in', now, now, { returnUrl });
        return true;
      }),

    claimNext: (now: number, leaseMs: number) =>
      transaction(async (q) => {
        for (;;) {
          // SKIP LOCKED: a worker on another server holding the oldest email takes nothing from this one.
          const email = first(
            await q
              .select(emailColumns)
              .from(emails)
              .where(and(eq(emails.status, 'queued'), lte(emails.nextAttemptAt, now)))
              .orderBy(asc(emails.nextAttemptAt), asc(emails.seq))
              .limit(1)
              .for('update', { skipLocked: true }),
          );
          if (!email) return null;
          await q.update(emails).set({ nextAttemptAt: now + leaseMs }).where(eq(emails.id, email.id));
          const prepared = await prepareOne(q, email, now);
          if (prepared) return prepared;
        }
      }),

    recordSent: async (id: string, now: number, messageId: string) => {
      await read((q) =>
        q
          .update(emails)
          .set({ status: 'sent', sentAt: now, messageId, lastError: null, attempts: sql`${emails.attempts} + 1` })
          .where(eq(emails.id, id)),
      );
    },

    recordFailure: (id: string, now: number, error: string, retryAt: number | null) =>
      transaction(async (q) => {
        const email = first(
          await q
            .update(emails)
            .set({ status: retryAt === null ? 'failed' : 'queued', nextAttemptAt: retryAt ?? now, lastError: error.slice(0, 500), attempts: sql`${emails.attempts} + 1` })
            .where(eq(emails.id, id))
            .returning(emailColumns),
        );
        const site = email && (await siteById(q, email.siteId));
        if (!email || !site || retryAt !== null) return;
        const ticket = email.ticketId ? await ticketById(q, email.ticketId) : null;
        await enqueueWebhook(q, site, 'email.failed', { email: emailEntry(email), ticket: ticket ? { id: ticket.id, subject: ticket.subject, status: ticket.status } : null }, now);
      }),

    list: (siteId: string, filters: { ticketId?: string | undefined; status?: string | undefined }, page: { after: [number, string] | null; limit: number }) =>
      read((q) => {
        const conditions: SQL[] = [eq(emails.siteId, siteId)];
        if (filters.ticketId) conditions.push(eq(emails.ticketId, filters.ticketId));
        if (filters.status) conditions.push(eq(emails.status, filters.status));
        if (page.after) conditions.push(sql`(${emails.createdAt}, ${emails.id}) < (${page.after[0]}, ${page.after[1]})`);
        return q
          .select(emailColumns)
          .from(emails)
          .where(and(...conditions))
          .orderBy(desc(emails.createdAt), desc(emails.id))
          .limit(page.limit + 1);
      }),

    openLink: (raw: string, now: number) => read((q) => tokenState(q, raw, now)),

    useLink: (raw: string, now: number, plan: Parameters<EmailStore['useLink']>[2]) =>
      transaction(async (q): Promise<Extract<LinkState, { ok: false }> | LinkDone> => {
        // The token's row lock: two clicks of one link on two servers act once.
        const state = await tokenState(q, raw, now, true);
        if (!state.ok) return state;
        const { token, site, ticket } = state;
        const done: LinkDone = { ok: true, applied: null, code: null };
        const chosen = plan(state);
        if (chosen.kind === 'ticket') {
          if (!ticket) throw new Error(`a ${token.purpose} link has no ticket`);
          done.applied = await apply(q, ticket, site, { kind: 'customer', id: ticket.customerId }, chosen.decide);
        } else if (chosen.kind === 'unsubscribe') {
          await q
            .insert(emailAddresses)
            .values({ siteId: site.id, address: token.address, unsubscribedAt: now })
            .onConflictDoUpdate({ target: [emailAddresses.siteId, emailAddresses.address], set: { unsubscribedAt: now } });
          await q.delete(emails).where(and(eq(emails.siteId, site.id), eq(emails.to, token.address), eq(emails.status, 'queued')));
        } else {
          done.code = await issueToken(q, codeFor(site, token, now));
        }
        if (spentByUse(token)) await q.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.hash, token.hash));
        await proveAddress(q, site.id, token.address, now);
        return done;
      }),

    /** Spends a portal code and hands its address to `start` (which writes the new session), in one transaction. */
    spendCode: (raw: string, siteId: string, now: number, start: (q: Q, address: string) => Promise<CustomerRow>) =>
      transaction(async (q) => {
        const state = await tokenState(q, raw, now, true);
        if (!state.ok || state.token.purpose !== 'code' || state.site.id !== siteId) return null;
        await q.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.hash, state.token.hash));
        return start(q, state.token.address);
      }),

    replyTarget: (raw: string, now: number) =>
      read(async (q) => {
        const state = await tokenState(q, raw, now);
        return state.ok && state.token.purpose === 'reply' && state.ticket ? state : null;
      }),

    deleteExpiredTokens: (now: number, limit: number) =>
      read(async (q) => {
        const expired = q.select({ hash: emailTokens.hash }).from(emailTokens).where(lte(emailTokens.expiresAt, now)).limit(limit);
        return (await q.delete(emailTokens).where(inArray(emailTokens.hash, expired)).returning({ hash: emailTokens.hash })).length;
      }),
  };
  return store satisfies EmailStore;
}
