import type { IncomingHttpHeaders } from 'node:http';
import { DomainError } from '../lifecycle/errors.js';
import type { Actor } from '../lifecycle/lifecycle.js';
import type { CustomerRow, SiteRow } from '../store/store.js';
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
  if (origin !== undefined && !site.origins.includes(origin)) {
    throw new DomainError('FORBIDDEN', 'This origin is not allowed for this site');
  }
}

export function rateLimit(ctx: Context, limit: keyof AppDeps['limits']) {
  if (!ctx.app.limits[limit].take(ctx.ip)) {
    throw new DomainError('RATE_LIMITED', 'Too many requests from this address; try again in a minute');
  }
}

const streamGrant = (ctx: Context, type: string) => {
  const ticket = ctx.connectionParams?.streamTicket;
  return type === 'subscription' && ticket ? ctx.app.streamTickets.redeem(ticket) : null;
};

async function customerAuth(ctx: Context, type: string): Promise<{ site: SiteRow; customer: CustomerRow; token: string | null } | null> {
  const { store } = ctx.app;
  const grant = streamGrant(ctx, type);
  if (grant?.kind === 'customer') {
    const [site, customer] = await Promise.all([store.getSite(grant.siteId), store.getCustomer(grant.customerId)]);
    return site && customer ? { site, customer, token: null } : null;
  }
  const token = bearer(ctx.headers);
  const found = token?.startsWith('cls_') ? await store.sessionByToken(token) : null;
  return found ? { site: found.site, customer: found.customer, token } : null;
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
  const grant = streamGrant(ctx, type);
  if (grant?.kind === 'agent') {
    const site = await ctx.app.store.getSite(grant.siteId);
    return site && { site, agentId: grant.agentId };
  }
  const token = bearer(ctx.headers);
  const site = token?.startsWith('sk_') ? await ctx.app.store.siteBySecret(token) : null;
  return site && { site, agentId: null };
}

/** Procedures for the site's backend: the secret key, and the acting agent in X-Closeloop-Agent. */
export const agentProcedure = publicProcedure.use(async ({ ctx, type, next }) => {
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
  return next({ ctx: { site: auth.site, agentId, actor } });
});
