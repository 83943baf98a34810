import { sweepAttachments } from '../attachments/attachment-storages.js';
import { z } from 'zod';
import { invalid, notFound } from '../lifecycle/errors.js';
import { created, type Command } from '../lifecycle/lifecycle.js';
import { follow } from '../live/follow.js';
import type { CustomerRow, SiteRow, TicketRow } from '../store/store.js';
import { act, decider } from '../tickets/act.js';
import { buildTimeline } from '../tickets/timeline.js';
import { idempotency } from './idempotency.js';
import { agentGrant, agentProcedure, holdStream, issueStreamTicket } from './auth.js';
import type { AppDeps } from './context.js';
import { agentDto, agentTicket, siteDto, webhookDeliveryDto, webhookEndpointDto } from './dto.js';
import { emailEntry } from '../mail/email-entry.js';
import { decodeCursor, encodeCursor } from '../store/cursor.js';
import { WEBHOOK_EVENTS } from '../webhooks/webhook-events.js';
import { randomBytes } from 'node:crypto';
import * as s from './schemas.js';
import { router } from './trpc.js';
import { checkTopic } from './topics.js';
import { metricsSummary } from '../analytics/metrics-report.js';

const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

async function withCustomers(app: AppDeps, site: SiteRow, rows: TicketRow[]) {
  const customers = new Map<string, CustomerRow>(
    (await app.store.customersByIds([...new Set(rows.map((r) => r.customerId))])).map((c) => [c.id, c]),
  );
  const now = app.now();
  return rows.map((r) => agentTicket(r, site, now, customers.get(r.customerId) ?? null));
}

/** An agent action on one ticket of the site. */
function agentAction<S extends z.ZodType<s.TicketInput>>(schema: S, command: (input: z.output<S>) => Command) {
  return agentProcedure.input(schema).mutation(async ({ ctx, input: raw }) => {
    const input = raw as z.output<S>;
    const cmd = command(input);
    if (cmd.action === 'assign' && cmd.assigneeId !== null && !(await ctx.app.store.getAgent(ctx.site.id, cmd.assigneeId))) {
      throw invalid('agentId', 'agentId names no agent of this site');
    }
    if (cmd.action === 'setTopic') checkTopic(ctx.site, cmd.topicId);
    const { ticket } = await act(ctx.app, { siteId: ctx.site.id, ticketId: input.ticketId }, cmd, ctx.actor, input.expectedVersion);
    if (!ticket) throw notFound();
    const [dto] = await withCustomers(ctx.app, ctx.site, [ticket]);
    return dto!;
  });
}

const ticketsRouter = router({
  /** Opens a ticket on behalf of one of the site's users (their id in your system). */
  create: agentProcedure
    .input(
      z.strictObject({
        customer: z.strictObject({ id: z.string().min(1).max(255), email: s.email.optional(), name: s.personName.optional() }),
        subject: s.subject,
        message: s.body,
        idempotencyKey: s.idempotencyKey.optional(),
        /** The customer's language, for the ticket's emails. */
        locale: s.locale.optional(),
        topicId: s.topicId.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { store, now, hub } = ctx.app;
      const at = now();
      checkTopic(ctx.site, input.topicId);
      const customer = await store.upsertCustomer(ctx.site.id, { externalId: input.customer.id, email: input.customer.email, name: input.customer.name }, at);
      const { idempotencyKey, locale, ...content } = input;
      const { ticket } = await store.createTicket({
        siteId: ctx.site.id,
        customerId: customer.id,
        subject: input.subject,
        body: input.message,
        contactEmail: customer.email,
        contactName: customer.name,
        locale,
        actor: ctx.actor,
        messageAuthor: { kind: 'customer', id: customer.id },
        event: created(at, input.topicId),
        topicId: input.topicId,
        idempotency: idempotency(ctx.app, `agent:${ctx.site.id}`, idempotencyKey, content, at),
      });
      hub.changed();
      return agentTicket(ticket, ctx.site, at, customer);
    }),

  list: agentProcedure
    .input(
      z
        .strictObject({
          status: z.union([s.status, z.array(s.status).max(8)]).optional(),
          assigneeId: z.string().max(64).nullable().optional(),
          customerId: z.string().max(64).optional(),
          customerExternalId: z.string().max(255).optional(),
          q: z.string().trim().max(200).optional(),
          /** A topic id, or null for tickets with none. */
          topicId: s.topicId.nullable().optional(),
          tag: s.tag.optional(),
          ...s.page,
        })
        .optional(),
    )
    .query(async ({ ctx, input = {} }) => {
      const { store } = ctx.app;
      let customerId = input.customerId;
      if (input.customerExternalId !== undefined) {
        const found = (await store.customerByExternalId(ctx.site.id, input.customerExternalId))?.id;
        if (!found) return { items: [], nextCursor: null };
        customerId = found;
      }
      const status = input.status === undefined ? undefined : [input.status].flat();
      const page = await store.listSiteTickets(
        ctx.site.id,
        { status, assigneeId: input.assigneeId, customerId, q: input.q || undefined, topicId: input.topicId, tag: input.tag },
        { cursor: input.cursor, limit: input.limit ?? s.DEFAULT_PAGE_SIZE },
      );
      return { items: await withCustomers(ctx.app, ctx.site, page.items), nextCursor: page.nextCursor };
    }),

  /** The ticket and its whole timeline, internal notes and agent-only events included. */
  get: agentProcedure.input(z.strictObject({ ticketId: s.ticketId })).query(async ({ ctx, input }) => {
    const thread = await ctx.app.store.thread({ siteId: ctx.site.id, ticketId: input.ticketId }, { includeInternal: true });
    if (!thread) throw notFound();
    const [dto] = await withCustomers(ctx.app, ctx.site, [thread.ticket]);
    return { ticket: dto!, timeline: await buildTimeline(ctx.app.store, thread, { audience: 'agent', site: ctx.site, now: ctx.app.now(), publicUrl: ctx.publicUrl }) };
  }),

  reply: agentAction(s.onTicket({ message: s.body, attachmentIds: s.attachmentIds }), (i) => ({ action: 'reply', body: i.message, attachmentIds: i.attachmentIds })),
  note: agentAction(s.onTicket({ message: s.body, attachmentIds: s.attachmentIds }), (i) => ({ action: 'note', body: i.message, attachmentIds: i.attachmentIds })),
  resolve: agentAction(s.onTicket({ message: s.body.optional() }), (i) => ({ action: 'resolve', body: i.message })),
  postpone: agentAction(s.onTicket({ until: s.isoDateTime }), (i) => ({ action: 'postpone', until: Date.parse(i.until) })),
  reopen: agentAction(s.onTicket({ reason: s.comment.optional() }), (i) => ({ action: 'reopen', reason: i.reason || undefined })),
  close: agentAction(s.onTicket({}), () => ({ action: 'close' })),
  assign: agentAction(s.onTicket({ agentId: z.string().min(1).max(64).nullable() }), (i) => ({ action: 'assign', assigneeId: i.agentId })),
  setPriority: agentAction(s.onTicket({ priority: s.priority }), (i) => ({ action: 'setPriority', priority: i.priority })),
  setTopic: agentAction(s.onTicket({ topicId: s.topicId.nullable() }), (i) => ({ action: 'setTopic', topicId: i.topicId })),
  setTags: agentAction(s.onTicket({ tags: s.tags }), (i) => ({ action: 'setTags', tags: i.tags })),

  /**
   * "To solve": hands the calling agent (X-Closeloop-Agent) the most urgent new or open ticket
   * that is unassigned or already theirs — nearest due target first, then the longest wait —
   * assigned to them in the same transaction. Null when there is none.
   */
  next: agentProcedure.mutation(async ({ ctx }) => {
    const agentId = ctx.agentId;
    if (!agentId) throw invalid('X-Closeloop-Agent', 'Say which agent is asking: send the X-Closeloop-Agent header');
    const now = ctx.app.now();
    const ticket = await ctx.app.store.metrics.next(ctx.site.id, agentId, ctx.actor, decider({ action: 'assign', assigneeId: agentId }, ctx.actor, now));
    ctx.app.hub.changed();
    if (!ticket) return null;
    const [dto] = await withCustomers(ctx.app, ctx.site, [ticket]);
    return dto!;
  }),
  markSpam: agentAction(s.onTicket({}), () => ({ action: 'markSpam' })),
  unspam: agentAction(s.onTicket({}), () => ({ action: 'unspam' })),
  delete: agentAction(s.onTicket({}), () => ({ action: 'delete' })),
  restore: agentAction(s.onTicket({}), () => ({ action: 'restore' })),

  /** Irreversible: the ticket, its messages and events go; a content-free purge record stays. */
  purge: agentProcedure.input(s.onTicket({})).mutation(async ({ ctx, input }) => {
    await act(ctx.app, { siteId: ctx.site.id, ticketId: input.ticketId }, { action: 'purge' }, ctx.actor, input.expectedVersion);
    // The files' bytes go now (the sweeper finishes the job if this server stops first).
    await sweepAttachments(ctx.app.store, ctx.app.files, ctx.app.now());
    return { id: input.ticketId, purged: true as const };
  }),

  /** Live changes to every ticket of the site over SSE; resumes from `lastEventId`. */
  onChange: agentProcedure.input(s.lastEventId).subscription(async function* ({ ctx, input, signal }) {
    const { store, hub } = ctx.app;
    yield* follow({
      hold: () => holdStream(ctx, agentGrant(ctx.site, ctx.agentId)),
      store,
      hub,
      key: `site:${ctx.site.id}`,
      scope: { siteId: ctx.site.id },
      lastEventId: input?.lastEventId,
      signal,
      toItems: async (rows) => {
        const site = (await store.getSite(ctx.site.id)) ?? ctx.site;
        const tickets = await withCustomers(ctx.app, site, await store.ticketsByIds([...new Set(rows.map((r) => r.ticketId))]));
        const byId = new Map(tickets.map((t) => [t.id, t]));
        return rows.map((r) => ({
          eventId: r.id,
          item: {
            eventId: r.id,
            ticketId: r.ticketId,
            type: r.type,
            from: r.fromStatus,
            to: r.toStatus,
            actor: { kind: r.actorKind, id: r.actorId },
            at: new Date(r.at).toISOString(),
            ticket: byId.get(r.ticketId) ?? null,
          },
        }));
      },
    });
  }),
});

export const agentRouter = router({
  tickets: ticketsRouter,

  agents: router({
    upsert: agentProcedure
      .input(z.strictObject({ email: s.email, name: s.personName }))
      .mutation(async ({ ctx, input }) => agentDto(await ctx.app.store.upsertAgent(ctx.site.id, input, ctx.app.now()))),
    list: agentProcedure.query(async ({ ctx }) => (await ctx.app.store.listAgents(ctx.site.id)).map(agentDto)),
  }),

  site: router({
    get: agentProcedure.query(({ ctx }) => siteDto(ctx.site)),
    update: agentProcedure
      .input(
        z.strictObject({
          name: z.string().trim().min(1).max(120).optional(),
          origins: z.array(s.origin).min(1).max(50).optional(),
          autoCloseAfterHours: z.number().positive().max(24 * 365).optional(),
          reopenWindowDays: z.number().min(0).max(3650).optional(),
          agentsMayClose: z.boolean().optional(),
          remindAfterHours: z.number().positive().max(24 * 365).nullable().optional(),
          texts: z.record(z.string().min(2).max(20), z.record(z.string().min(1).max(50), z.string().max(2_000))).optional(),
          contextKeepsQuery: z.boolean().optional(),
          notifications: s.notifications.optional(),
          attachments: s.attachmentLimits.optional(),
          topics: s.topics.optional(),
          /** Service levels; null turns them off. */
          sla: s.sla.nullable().optional(),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        const { notifications, attachments, ...rest } = input;
        // Settings merge: updating one field of `notifications` or `attachments` keeps the others.
        const patch = {
          ...rest,
          ...(notifications ? { notifications: { ...(ctx.site.notifications ?? {}), ...notifications } } : {}),
          ...(attachments ? { attachments: { ...(ctx.site.attachments ?? {}), ...attachments } } : {}),
        };
        const updated = await ctx.app.store.updateSite(ctx.site.id, patch);
        if (!updated) throw notFound('Site');
        return siteDto(updated);
      }),
  }),

  metrics: router({
    /** Lifecycle figures for a range, in total and per group (see the README's "Metrics"). */
    summary: agentProcedure.input(s.metricsQuery).query(({ ctx, input }) =>
      metricsSummary(
        ctx.app.store,
        ctx.site,
        { from: Date.parse(input.from), to: Date.parse(input.to), groupBy: input.groupBy, filters: input.filters, timeZone: input.timeZone },
        ctx.app.now(),
      ),
    ),
  }),

  webhooks: router({
    /** Registers an endpoint; the answer carries its `whsec_` secret (shown once; rotate to get a new one). */
    create: agentProcedure
      .input(z.strictObject({ url: s.webhookUrl, events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length) }))
      .mutation(async ({ ctx, input }) => {
        const endpoint = await ctx.app.store.createWebhookEndpoint(
          { siteId: ctx.site.id, url: input.url, events: [...new Set(input.events)], secret: newWebhookSecret() },
          ctx.app.now(),
        );
        return { ...webhookEndpointDto(endpoint), secret: endpoint.secret };
      }),
    list: agentProcedure.query(async ({ ctx }) => (await ctx.app.store.listWebhookEndpoints(ctx.site.id)).map(webhookEndpointDto)),
    delete: agentProcedure.input(z.strictObject({ id: z.string().min(1).max(64) })).mutation(async ({ ctx, input }) => {
      const deleted = await ctx.app.store.deleteWebhookEndpoint(ctx.site.id, input.id);
      if (!deleted) throw notFound('Webhook endpoint');
      return { id: deleted.id, deleted: true as const };
    }),
    /** A new secret; deliveries carry signatures by both secrets for the next 24 hours. */
    rotateSecret: agentProcedure.input(z.strictObject({ id: z.string().min(1).max(64) })).mutation(async ({ ctx, input }) => {
      const rotated = await ctx.app.store.rotateWebhookSecret(ctx.site.id, input.id, newWebhookSecret(), ctx.app.now() + 24 * 3_600_000);
      if (!rotated) throw notFound('Webhook endpoint');
      return { id: rotated.id, secret: rotated.secret };
    }),
    /** The delivery log: what was sent, every attempt, and what is still pending. */
    deliveries: agentProcedure
      .input(
        z
          .strictObject({ endpointId: z.string().max(64).optional(), status: z.enum(['pending', 'delivered', 'failed']).optional(), ...s.page })
          .optional(),
      )
      .query(async ({ ctx, input = {} }) => {
        const page = await ctx.app.store.listWebhookDeliveries(
          ctx.site.id,
          { endpointId: input.endpointId, status: input.status },
          { cursor: input.cursor, limit: input.limit ?? s.DEFAULT_PAGE_SIZE },
        );
        return { items: page.items.map((d) => webhookDeliveryDto(d.delivery, d.attempts)), nextCursor: page.nextCursor };
      }),
  }),

  emails: router({
    /** The email log: what was queued for customers, sent, or given up on, newest first. */
    list: agentProcedure
      .input(z.strictObject({ ticketId: s.ticketId.optional(), status: z.enum(['queued', 'sent', 'failed']).optional(), ...s.page }).optional())
      .query(async ({ ctx, input = {} }) => {
        const limit = input.limit ?? s.DEFAULT_PAGE_SIZE;
        const rows = await ctx.app.store.emails.list(ctx.site.id, { ticketId: input.ticketId, status: input.status }, { after: decodeCursor(input.cursor), limit });
        const items = rows.slice(0, limit);
        const last = items[items.length - 1];
        return { items: items.map(emailEntry), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
      }),
  }),

  /** A short-lived, single-use ticket that opens the agent's live stream. */
  streamTicket: agentProcedure.mutation(({ ctx }) => issueStreamTicket(ctx, agentGrant(ctx.site, ctx.agentId))),
});
