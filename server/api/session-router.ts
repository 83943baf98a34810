import { attachmentSettings } from '../attachments/attachment-settings.js';
import { z } from 'zod';
import { DomainError } from '../lifecycle/errors.js';
import { verifyIdentityToken } from '../auth/identity-token.js';
import { customerSummary } from './dto.js';
import { allowOrigin, customerProcedure, issueStreamTicket, rateLimit } from './auth.js';
import { emailKey, notificationsOf } from '../mail/notification-settings.js';
import type { AppDeps } from './context.js';
import type { SiteRow } from '../store/store.js';
import * as s from './schemas.js';
import { replyPromise } from '../analytics/reply-promise.js';
import { publicProcedure, router } from './trpc.js';

const siteKey = z.string().min(1).max(100);

/** What the widget learns of the site when a session starts. */
const siteSummary = (site: SiteRow, app: AppDeps) => ({
  name: site.name,
  texts: site.texts,
  /** Whether the portal can offer sign-in by email: this server sends email, and the site has it on. */
  emailSignIn: app.mail !== null && notificationsOf(site).enabled,
  /** The largest file the site takes: the widget says "too large" before sending a byte. */
  maxAttachmentBytes: attachmentSettings(site).maxBytes,
  /** What the new-ticket form offers to choose from (none: no choice shown). */
  topics: site.topics,
  /** "We usually reply within …", and when support is back outside business hours. */
  replyWithin: replyPromise(site.sla ?? null, app.now()),
});

/** Where a sign-in returns: a page on one of the site's origins (or this server's); anything else is dropped. */
function returnTarget(value: string | undefined, site: SiteRow, publicUrl: string) {
  if (!value) return null;
  try {
    const url = new URL(value);
    const allowed = site.origins.includes(url.origin) || url.origin === new URL(publicUrl).origin;
    return allowed && (url.protocol === 'https:' || url.protocol === 'http:') ? `${url.origin}${url.pathname}${url.search}` : null;
  } catch {
    return null;
  }
}

export const sessionRouter = router({
  /** Anonymous without `identity`; verified with the site backend's HS256 identity JWT. */
  start: publicProcedure
    .input(z.strictObject({ siteKey, identity: z.string().min(1).max(4_096).optional() }))
    .mutation(async ({ ctx, input }) => {
      const { store, now } = ctx.app;
      const site = await store.siteByKey(input.siteKey);
      if (!site) throw new DomainError('UNAUTHORIZED', 'Unknown site key');
      allowOrigin(ctx, site);
      const identity = input.identity ? verifyIdentityToken(input.identity, site, now()) : null;
      if (!identity) await rateLimit(ctx, 'anonymousSessions');
      const { token, customer } = await store.startSession({ siteId: site.id, identity }, now());
      return { token, customer: customerSummary(customer), site: siteSummary(site, ctx.app) };
    }),

  /**
   * Emails a portal sign-in link to the address. Answers the same whether or not the
   * address has tickets, is capped, or unsubscribed: it never tells who wrote to support.
   */
  requestEmailLink: publicProcedure
    .input(z.strictObject({ siteKey, email: s.email, locale: s.locale.optional(), returnUrl: z.string().max(2_000).optional() }))
    .mutation(async ({ ctx, input }) => {
      const { store, now, mail } = ctx.app;
      const site = await store.siteByKey(input.siteKey);
      if (!site) throw new DomainError('UNAUTHORIZED', 'Unknown site key');
      allowOrigin(ctx, site);
      if (!mail) throw new DomainError('EMAIL_UNAVAILABLE', 'Sign-in by email is not available: this server sends no email');
      await rateLimit(ctx, 'anonymousSessions');
      const returnUrl = returnTarget(input.returnUrl, site, mail.config.publicUrl);
      await store.emails.requestSignIn(site, emailKey(input.email)!, input.locale ?? 'en', returnUrl, now());
      return { sent: true as const };
    }),

  /** Spends the one-time code a sign-in or ticket link handed to the portal, for a session that sees that address's tickets. */
  exchangeEmailCode: publicProcedure
    .input(z.strictObject({ siteKey, code: z.string().min(1).max(100) }))
    .mutation(async ({ ctx, input }) => {
      const { store, now } = ctx.app;
      const site = await store.siteByKey(input.siteKey);
      if (!site) throw new DomainError('UNAUTHORIZED', 'Unknown site key');
      allowOrigin(ctx, site);
      await rateLimit(ctx, 'anonymousSessions');
      const started = await store.startEmailSession(site.id, input.code, now());
      if (!started) throw new DomainError('UNAUTHORIZED', 'This sign-in link was already used or has expired; ask for a new one');
      return { token: started.token, customer: customerSummary(started.customer), site: siteSummary(site, ctx.app) };
    }),

  /** What the widget shows of the site (name, texts, whether the portal offers email sign-in), for a visitor resuming a stored session. */
  site: publicProcedure.input(z.strictObject({ siteKey })).query(async ({ ctx, input }) => {
    const site = await ctx.app.store.siteByKey(input.siteKey);
    if (!site) throw new DomainError('UNAUTHORIZED', 'Unknown site key');
    allowOrigin(ctx, site);
    return siteSummary(site, ctx.app);
  }),

  /** Forgets this session: the token stops working at once. */
  end: customerProcedure.mutation(async ({ ctx }) => {
    if (ctx.token) await ctx.app.store.revokeSession(ctx.token, ctx.app.now());
    return { ended: true };
  }),

  /** A short-lived, single-use ticket that opens the live stream (no long-lived token in a URL). */
  streamTicket: customerProcedure.mutation(({ ctx }) => issueStreamTicket(ctx, ctx.grant)),
});
