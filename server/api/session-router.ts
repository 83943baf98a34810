import { z } from 'zod';
import { DomainError } from '../lifecycle/errors.js';
import { verifyIdentityToken } from '../auth/identity-token.js';
import { customerSummary } from './dto.js';
import { allowOrigin, customerProcedure, issueStreamTicket, rateLimit } from './auth.js';
import { publicProcedure, router } from './trpc.js';

export const sessionRouter = router({
  /** Anonymous without `identity`; verified with the site backend's HS256 identity JWT. */
  start: publicProcedure
    .input(z.strictObject({ siteKey: z.string().min(1).max(100), identity: z.string().min(1).max(4_096).optional() }))
    .mutation(async ({ ctx, input }) => {
      const { store, now } = ctx.app;
      const site = await store.siteByKey(input.siteKey);
      if (!site) throw new DomainError('UNAUTHORIZED', 'Unknown site key');
      allowOrigin(ctx, site);
      const identity = input.identity ? verifyIdentityToken(input.identity, site, now()) : null;
      if (!identity) rateLimit(ctx, 'anonymousSessions');
      const { token, customer } = await store.startSession({ siteId: site.id, identity }, now());
      return { token, customer: customerSummary(customer), site: { name: site.name, texts: site.texts } };
    }),

  /** Forgets this session: the token stops working at once. */
  end: customerProcedure.mutation(async ({ ctx }) => {
    if (ctx.token) await ctx.app.store.revokeSession(ctx.token, ctx.app.now());
    return { ended: true };
  }),

  /** A short-lived, single-use ticket that opens the live stream (no long-lived token in a URL). */
  streamTicket: customerProcedure.mutation(({ ctx }) => issueStreamTicket(ctx, ctx.grant)),
});
