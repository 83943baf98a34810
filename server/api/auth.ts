import type { IncomingHttpHeaders } from 'node:http';
import { DomainError, rateLimited } from '../lifecycle/errors.js';
import type { Actor } from '../lifecycle/lifecycle.js';
import type { StreamGrant } from '../live/stream-tickets.js';
import { emailKey } from '../mail/notification-settings.js';
import type { CustomerRow, Owner, SiteRow } from '../store/store.js';
import type { AppDeps, Context } from './context.js';
import { publicProcedure } from './trpc.js';

const bearer = (headers: IncomingHttpHeaders) => /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1] ?? null;

const unauthorized = (message: string) => new DomainError('UNAUTHORIZED', message);

/**
 * Browser calls are accepted only from the site's own origins. (The HTTP layer
 * sends CORS headers only to origins some site lists; this refuses the rest.)
 */
export function allowOrigin(ctx: Context, site: SiteRow) {
  const origin = ctx.headers.origin;
  // The server's own pages (the portal it hosts for email links) count as every site's.
  const own = ctx.app.mail && origin === new URL(ctx.app.mail.config.publicUrl).origin;
  if (origin !== undefined && !own && !site.origins.includes(origin)) {
    throw new DomainError('FORBIDDEN', 'This origin is not allowed for this site');
  }
}

export async function rateLimit(ctx: Context, limit: keyof AppDeps['limits']) {
  if (!(await ctx.app.limits[limit].take(ctx.ip))) throw rateLimited();
}

/** This caller's request against a limit, for a write to count in its own transaction. */
export const counted = (ctx: Context, limit: keyof AppDeps['limits']) => ctx.app.limits[limit].counted(ctx.ip);

const streamGrant = (ctx: Context, type: string) => {
  const ticket = ctx.connectionParams?.streamTicket;
  return type === 'subscription' && ticket ? ctx.app.streamTickets.redeem(ticket) : Promise.resolve(null);
};

interface CustomerAuth {
  site: SiteRow;
  customer: CustomerRow;
  token: string | null;
  /** What this caller's live streams and stream tickets count against: its session. */
  grant: StreamGrant;
  /** Whose tickets this caller sees. */
  owner: Owner;
}

async function customerAuth(ctx: Context, type: string): Promise<CustomerAuth | null> {
  const { store } = ctx.app;
  const grant = await streamGrant(ctx, type);
  if (grant?.kind === 'customer') {
    const [site, customer] = await Promise.all([store.getSite(grant.siteId), store.getCustomer(grant.customerId)]);
    return site && customer ? { site, customer, token: null, grant, owner: { customerId: customer.id, siteId: site.id, email: grant.email } } : null;
  }
  const token = bearer(ctx.headers);
  const found = token?.startsWith('cls_') ? await store.sessionByToken(token) : null;
  if (!found) return null;
  const holder = `ses:${found.session.id}`;
  const { session, customer, site } = found;
  // An address is the customer's own when they proved it by email, or when the site's backend vouched for it.
  const email = session.provenEmail ?? (session.verified ? emailKey(customer.email) : null);
  return {
    site,
    customer,
    token,
    grant: { kind: 'customer', siteId: site.id, customerId: customer.id, holder, email },
    owner: { customerId: customer.id, siteId: site.id, email },
  };
}

/** Procedures a customer calls with their session token (or a stream ticket, for live streams). */
export const customerProcedure = publicProcedure.use(async ({ ctx, type, next }) => {
  const auth = await customerAuth(ctx, type);
  if (!auth) throw unauthorized('A valid customer session is required');
  allowOrigin(ctx, auth.site);
  const actor: Actor = { kind: 'customer', id: auth.customer.id };
  return next({ ctx: { ...auth, actor } });
});

async function agentSite(ctx: Context, type: string): Promise<{ site: SiteRow; agentId: string | null } | null> {
  const grant = await streamGrant(ctx, type);
  if (grant?.kind === 'agent') {
    const site = await ctx.app.store.getSite(grant.siteId);
    return site && { site, agentId: grant.agentId };
  }
  const token = bearer(ctx.headers);
  const site = token?.startsWith('sk_') ? await ctx.app.store.siteBySecret(token) : null;
  return site && { site, agentId: null };
}

/** Counts one live stream against its holder for as long as it is open; refused past the cap. */
export function holdStream(ctx: Context, grant: StreamGrant) {
  const release = ctx.app.streamTickets.openStream(grant);
  if (!release) throw new DomainError('RATE_LIMITED', 'Too many live streams are open for this session; close one first');
  return release;
}

/** A stream ticket for this caller, refused while too many are outstanding. */
export async function issueStreamTicket(ctx: Context, grant: StreamGrant) {
  const issued = await ctx.app.streamTickets.issue(grant);
  if (!issued) throw new DomainError('RATE_LIMITED', 'Too many stream tickets are outstanding; use or let expire the ones you have');
  return { ticket: issued.ticket, expiresAt: new Date(issued.expiresAt).toISOString() };
}

export const agentGrant = (site: SiteRow, agentId: string | null): StreamGrant => ({ kind: 'agent', siteId: site.id, agentId, holder: `site:${site.id}` });

/**
 * Procedures for the site's backend: the secret key, and the acting agent in X-Closeloop-Agent.
 * Browsers always send Origin on cross-origin calls and streams, backends never do: a secret
 * key that arrives with one has leaked into a page, and is refused before it is even looked up.
 */
export const agentProcedure = publicProcedure.use(async ({ ctx, type, next }) => {
  const { site, agentId, actor } = await agentCaller(ctx, type);
  return next({ ctx: { site, agentId, actor } });
});

async function agentCaller(ctx: Context, type: string) {
  if (ctx.headers.origin !== undefined) {
    throw new DomainError('FORBIDDEN', 'Agent calls come from your backend only: the secret key must never be used in a browser');
  }
  const auth = await agentSite(ctx, type);
  if (!auth) throw unauthorized('A valid secret key is required');
  const named = ctx.headers['x-closeloop-agent'];
  let agentId = auth.agentId;
  if (typeof named === 'string' && named !== '') {
    const agent = await ctx.app.store.getAgent(auth.site.id, named);
    if (!agent) throw unauthorized('X-Closeloop-Agent names no agent of this site');
    agentId = agent.id;
  }
  const actor: Actor = { kind: 'agent', id: agentId };
  return { site: auth.site, agentId, actor };
}

/**
 * The caller of a plain HTTP route (an upload), checked exactly as the procedures check
 * theirs: the secret key (never from a browser) with X-Closeloop-Agent, or a customer session.
 */
export async function httpCaller(ctx: Context): Promise<{ site: SiteRow; actor: Actor }> {
  if (bearer(ctx.headers)?.startsWith('sk_')) return agentCaller(ctx, 'mutation');
  const auth = await customerAuth(ctx, 'mutation');
  if (!auth) throw unauthorized('A valid customer session is required');
  allowOrigin(ctx, auth.site);
  return { site: auth.site, actor: { kind: 'customer', id: auth.customer.id } };
}
