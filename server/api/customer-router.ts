import { z } from 'zod';
import { notFound } from '../lifecycle/errors.js';
import { created, customerStatus, isCustomerEvent, type Command, type EventType, type Status } from '../lifecycle/lifecycle.js';
import { follow } from '../live/follow.js';
import type { TicketRow } from '../store/store.js';
import { act, decider } from '../tickets/act.js';
import { buildTimeline } from '../tickets/timeline.js';
import { counted, customerProcedure, holdStream } from './auth.js';
import { customerTicket } from './dto.js';
import { withSitePolicy } from './ticket-context.js';
import { idempotency, replayed } from './idempotency.js';
import * as s from './schemas.js';
import { checkTopic } from './topics.js';
import { router } from './trpc.js';

/** A customer action on one of their own tickets. */
function customerAction<S extends z.ZodType<s.TicketInput>>(schema: S, command: (input: z.output<S>) => Command) {
  return customerProcedure.input(schema).mutation(async ({ ctx, input: raw }) => {
    const input = raw as z.output<S>;
    const ref = { siteId: ctx.site.id, ticketId: input.ticketId, customerId: ctx.customer.id, email: ctx.owner.email };
    const { ticket } = await act(ctx.app, ref, command(input), ctx.actor, input.expectedVersion);
    if (!ticket) throw notFound();
    return customerTicket(ticket, ctx.site, ctx.app.now());
  });
}

export const customerTicketsRouter = router({
  create: customerProcedure
    .input(
      z.strictObject({
        subject: s.subject,
        message: s.body,
        attachmentIds: s.attachmentIds,
        email: s.email.optional(),
        name: s.personName.optional(),
        idempotencyKey: s.idempotencyKey.optional(),
        context: s.ticketContext,
        locale: s.locale.optional(),
        /** One of the site's topics (`session.site.topics`). */
        topicId: s.topicId.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { store, now, hub } = ctx.app;
      const at = now();
      const { idempotencyKey, context, locale, ...content } = input;
      checkTopic(ctx.site, input.topicId);
      const idem = idempotency(ctx.app, ctx.customer.id, idempotencyKey, content, at);
      const first = await replayed(ctx.app, idem);
      if (first) return customerTicket(first, ctx.site, at);
      const { ticket } = await store.createTicket({
        siteId: ctx.site.id,
        customerId: ctx.customer.id,
        subject: input.subject,
        body: input.message,
        contactEmail: input.email ?? ctx.customer.email,
        contactName: input.name ?? ctx.customer.name,
        context: context ? withSitePolicy(context, ctx.site) : null,
        locale,
        actor: ctx.actor,
        messageAuthor: ctx.actor,
        event: created(at, input.topicId),
        topicId: input.topicId,
        idempotency: idem,
        rateLimit: counted(ctx, 'ticketCreates'),
        attachmentIds: input.attachmentIds,
      });
      hub.changed();
      return customerTicket(ticket, ctx.site, at);
    }),

  list: customerProcedure.input(z.strictObject(s.page).optional()).query(async ({ ctx, input }) => {
    const page = await ctx.app.store.listCustomerTickets(ctx.owner, {
      cursor: input?.cursor,
      limit: input?.limit ?? s.DEFAULT_PAGE_SIZE,
    });
    const now = ctx.app.now();
    return { items: page.items.map((t) => customerTicket(t, ctx.site, now)), nextCursor: page.nextCursor };
  }),

  /** The ticket and its customer timeline: public messages and public events. */
  get: customerProcedure.input(z.strictObject({ ticketId: s.ticketId })).query(async ({ ctx, input }) => {
    const ref = { siteId: ctx.site.id, ticketId: input.ticketId, customerId: ctx.customer.id, email: ctx.owner.email };
    const thread = await ctx.app.store.thread(ref, { includeInternal: false });
    if (!thread || customerStatus(thread.ticket.status as Status) === null) throw notFound();
    return {
      ticket: customerTicket(thread.ticket, ctx.site, ctx.app.now()),
      timeline: await buildTimeline(ctx.app.store, thread, { audience: 'customer', site: ctx.site, now: ctx.app.now(), publicUrl: ctx.publicUrl }, ctx.customer),
    };
  }),

  reply: customerAction(s.onTicket({ message: s.body, attachmentIds: s.attachmentIds }), (i) => ({ action: 'reply', body: i.message, attachmentIds: i.attachmentIds })),

  confirmResolution: customerAction(s.onTicket({ rating: s.rating.optional(), comment: s.comment.optional() }), (i) => ({
    action: 'confirmResolution',
    rating: i.rating,
    comment: i.comment,
  })),

  rejectResolution: customerAction(s.onTicket({ message: s.body, attachmentIds: s.attachmentIds }), (i) => ({
    action: 'rejectResolution',
    body: i.message,
    attachmentIds: i.attachmentIds,
  })),

  reopen: customerAction(s.onTicket({ reason: s.comment.optional() }), (i) => ({ action: 'reopen', reason: i.reason || undefined })),

  rate: customerAction(s.onTicket({ rating: s.rating, comment: s.comment.optional() }), (i) => ({
    action: 'rate',
    rating: i.rating,
    comment: i.comment,
  })),

  /** After the reopen window: a new ticket that links back to the closed one. */
  createFollowUp: customerProcedure
    .input(
      z.strictObject({
        ticketId: s.ticketId,
        message: s.body,
        subject: s.subject.optional(),
        idempotencyKey: s.idempotencyKey.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { store, now, hub } = ctx.app;
      const ref = { siteId: ctx.site.id, ticketId: input.ticketId, customerId: ctx.customer.id, email: ctx.owner.email };
      const old = await store.getTicket(ref);
      if (!old || customerStatus(old.status as Status) === null) throw notFound();
      const at = now();
      const subject = input.subject ?? `Follow-up: ${old.subject}`.slice(0, 200);
      const idem = idempotency(ctx.app, ctx.customer.id, input.idempotencyKey, { followUpOf: input.ticketId, subject, message: input.message }, at);
      const first = await replayed(ctx.app, idem);
      if (first) return customerTicket(first, ctx.site, at);
      const { ticket } = await store.createTicket({
        siteId: ctx.site.id,
        customerId: ctx.customer.id,
        subject,
        body: input.message,
        contactEmail: old.contactEmail,
        contactName: old.contactName,
        locale: old.locale,
        actor: ctx.actor,
        messageAuthor: ctx.actor,
        // A follow-up is about the same thing: it keeps the topic.
        event: created(at, old.topicId),
        topicId: old.topicId,
        idempotency: idem,
        rateLimit: counted(ctx, 'ticketCreates'),
        followUpOf: {
          ticketId: input.ticketId,
          decide: (row, site, followUpId) => decider({ action: 'createFollowUp', followUpId }, ctx.actor, at)(row, site),
        },
      });
      hub.changed();
      return customerTicket(ticket, ctx.site, at);
    }),

  /** Marks the agent's replies on this ticket as read (clears `unread`). */
  markRead: customerProcedure.input(z.strictObject({ ticketId: s.ticketId })).mutation(async ({ ctx, input }) => {
    const ref = { siteId: ctx.site.id, ticketId: input.ticketId, customerId: ctx.customer.id, email: ctx.owner.email };
    const ticket = await ctx.app.store.markRead(ref, ctx.app.now());
    if (!ticket || customerStatus(ticket.status as Status) === null) throw notFound();
    return customerTicket(ticket, ctx.site, ctx.app.now());
  }),

  /** Live changes to this customer's tickets over SSE; resumes from `lastEventId`. */
  onChange: customerProcedure.input(s.lastEventId).subscription(async function* ({ ctx, input, signal }) {
    const { store, hub } = ctx.app;
    yield* follow({
      hold: () => holdStream(ctx, ctx.grant),
      store,
      hub,
      // A proven address's tickets may belong to other customer records: follow the site's feed, filtered to them.
      key: ctx.owner.email ? `site:${ctx.site.id}` : `customer:${ctx.customer.id}`,
      scope: { customerId: ctx.customer.id, owner: ctx.owner },
      lastEventId: input?.lastEventId,
      signal,
      toItems: async (rows) => {
        const visible = rows.filter((r) => isCustomerEvent(r.type as EventType));
        const tickets = new Map<string, TicketRow>((await store.ticketsByIds([...new Set(visible.map((r) => r.ticketId))])).map((t) => [t.id, t]));
        const site = (await store.getSite(ctx.site.id)) ?? ctx.site;
        const now = ctx.app.now();
        return visible.flatMap((r) => {
          const ticket = tickets.get(r.ticketId);
          if (!ticket || customerStatus(ticket.status as Status) === null) return [];
          return [{ eventId: r.id, item: { eventId: r.id, ticketId: r.ticketId, type: r.type, at: new Date(r.at).toISOString(), ticket: customerTicket(ticket, site, now) } }];
        });
      },
    });
  }),
});
