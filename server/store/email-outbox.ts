/**
 * What the email outbox decides, whatever database keeps it: which email a change
 * asks for, whether an address may get it, what a queued email still has to say,
 * which links it carries and how long each lives, and what a link is worth now.
 * Pure: each store reads the rows, asks here, and writes what comes back.
 */
import { autoCloseAt, reopenUntil } from '../lifecycle/lifecycle.js';
import { emailFor, UNPROVEN_KINDS, type EmailKind } from '../mail/email-triggers.js';
import type { MailLimits } from '../mail/mail-config.js';
import { notificationsOf } from '../mail/notification-settings.js';
import { siteRules, ticketState } from '../tickets/ticket-state.js';
import { randomChunk } from './ids.js';
import type { Applied, Decide, EmailAddressRow, EmailRow, EmailTokenRow, MessageRow, SiteRow, TicketRow } from './store.js';

export type TokenPurpose = 'view' | 'confirm' | 'reject' | 'reopen' | 'reply' | 'unsubscribe' | 'sign_in' | 'code';

export const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How long each kind of link works; a reply address lives as long as its ticket. */
export const TOKEN_LIFETIME: Record<Exclude<TokenPurpose, 'confirm' | 'reject' | 'reopen' | 'reply'>, number> = {
  view: 30 * DAY,
  unsubscribe: 365 * DAY,
  sign_in: 30 * 60_000,
  code: 10 * 60_000,
};

/** Link tokens: random, lower-case hex (reply addresses pass through mail systems that may fold case). */
export const newToken = () => randomChunk(24).toString('hex');
export const isTokenShaped = (raw: string) => /^[0-9a-f]{48}$/.test(raw);

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

/** What a token is worth now, from its row and the rows it points at. */
export function linkState(token: EmailTokenRow | null, site: SiteRow | null, ticket: TicketRow | null, now: number): LinkState {
  if (!token) return { ok: false, problem: 'unknown', token: null };
  if (token.usedAt !== null) return { ok: false, problem: 'used', token };
  if (token.expiresAt !== null && token.expiresAt <= now) return { ok: false, problem: 'expired', token };
  if (!site || (token.ticketId && (!ticket || isGone(ticket)))) return { ok: false, problem: 'expired', token };
  return { ok: true, token, site, ticket };
}

const isGone = (ticket: TicketRow) => ticket.status === 'spam' || ticket.status === 'deleted';

/** Whether this address may get this kind of email now: mail on, not unsubscribed, under its hourly caps. */
export function mayMail(limits: MailLimits | null, state: EmailAddressRow | null, kind: EmailKind, sentLastHour: () => number) {
  if (!limits || state?.unsubscribedAt != null) return false;
  const proven = state?.provenAt != null;
  if (!proven && !UNPROVEN_KINDS.has(kind)) return false;
  const cap = proven ? limits.perAddressPerHour : Math.min(limits.unprovenPerHour, limits.perAddressPerHour);
  return sentLastHour() < cap;
}

/** The email a change asks for, and what to do with the replies already waiting; null: none. */
export interface EmailToQueue {
  kind: EmailKind;
  to: string;
  dueAt: number;
  data: Record<string, unknown>;
  /** A resolution quotes the newest reply itself: replies still waiting would only repeat it. */
  dropWaitingReplies: boolean;
  /** Replies within the delay make one email: skip this one when a reply is already waiting. */
  joinsWaitingReply: boolean;
}

export function emailForChange(
  limits: MailLimits | null,
  site: SiteRow,
  ticket: TicketRow,
  event: { type: string; actorKind: string; at: number },
  publicMessage: boolean,
): EmailToQueue | null {
  const kind = emailFor({ type: event.type, actorKind: event.actorKind, publicMessage });
  if (!kind || !limits || !ticket.emailKey) return null;
  const settings = notificationsOf(site);
  if (!settings.enabled) return null;
  const dueAt = kind === 'reply' ? event.at + settings.replyDelayMinutes * 60_000 : event.at;
  const data = kind === 'reply' ? { since: event.at } : kind === 'resolution' ? { anchor: ticket.resolvedAt } : kind === 'auto_closed' ? { anchor: ticket.closedAt } : {};
  return { kind, to: ticket.emailKey, dueAt, data, dropWaitingReplies: kind === 'resolution', joinsWaitingReply: kind === 'reply' };
}

/** Whether a queued email's site or ticket is gone (then it is dropped unsent). */
export const emailTargetGone = (email: EmailRow, site: SiteRow | null, ticket: TicketRow | null) =>
  !site || (email.ticketId !== null && (!ticket || isGone(ticket)));

/** The messages an email quotes (from the ticket's public messages), or null when it has nothing left to say. */
export function emailContent(email: EmailRow, ticket: TicketRow, publicMessages: MessageRow[]): MessageRow[] | null {
  const data = email.data ?? {};
  const agentMessages = () => publicMessages.filter((m) => m.authorKind === 'agent');
  switch (email.kind as EmailKind) {
    case 'receipt':
      return publicMessages.slice(0, 1);
    case 'reply': {
      const since = Math.max(Number(data.since ?? 0), (ticket.customerReadAt ?? -1) + 1);
      const unread = agentMessages().filter((m) => m.createdAt >= since);
      return unread.length ? unread : null;
    }
    case 'resolution': {
      if (ticket.status !== 'resolved' || ticket.resolvedAt !== data.anchor) return null;
      return agentMessages()
        .filter((m) => m.createdAt <= (ticket.resolvedAt ?? 0))
        .slice(-1);
    }
    case 'auto_closed':
      return ticket.status === 'closed' && ticket.closedAt === data.anchor ? [] : null;
    default:
      return [];
  }
}

/** One link to make: a token row without its hash. */
export interface TokenSpec {
  purpose: TokenPurpose;
  siteId: string;
  ticketId: string | null;
  address: string;
  locale: string;
  anchor: number | null;
  returnUrl: string | null;
  expiresAt: number | null;
  at: number;
}

/** The links an email carries, each living exactly as long as it should from now. */
export function linksFor(email: EmailRow, site: SiteRow, ticket: TicketRow | null, now: number): TokenSpec[] {
  const base = { siteId: site.id, ticketId: ticket?.id ?? null, address: email.to, locale: email.locale, anchor: null, returnUrl: null, at: now };
  const specs: TokenSpec[] = [{ ...base, ticketId: null, purpose: 'unsubscribe', expiresAt: now + TOKEN_LIFETIME.unsubscribe }];
  if (email.kind === 'sign_in') {
    specs.push({ ...base, purpose: 'sign_in', returnUrl: (email.data?.returnUrl as string | undefined) ?? null, expiresAt: now + TOKEN_LIFETIME.sign_in });
    return specs;
  }
  if (!ticket) return specs;
  specs.push({ ...base, purpose: 'view', expiresAt: now + TOKEN_LIFETIME.view }, { ...base, purpose: 'reply', expiresAt: null });
  const rules = siteRules(site);
  if (email.kind === 'resolution') {
    const until = autoCloseAt(ticketState(ticket), rules);
    specs.push({ ...base, purpose: 'confirm', anchor: ticket.resolvedAt, expiresAt: until }, { ...base, purpose: 'reject', anchor: ticket.resolvedAt, expiresAt: until });
  }
  if (email.kind === 'auto_closed') {
    specs.push({ ...base, purpose: 'reopen', anchor: ticket.closedAt, expiresAt: reopenUntil(ticketState(ticket), rules) });
  }
  return specs;
}

/** A portal code for the address a link proved. */
export const codeFor = (site: SiteRow, token: EmailTokenRow, now: number): TokenSpec => ({
  purpose: 'code',
  siteId: site.id,
  ticketId: null,
  address: token.address,
  locale: token.locale,
  anchor: null,
  returnUrl: null,
  expiresAt: now + TOKEN_LIFETIME.code,
  at: now,
});

/** View and reply links serve many uses; every other link is spent by its first use. */
export const spentByUse = (token: EmailTokenRow) => token.purpose !== 'view' && token.purpose !== 'reply';
