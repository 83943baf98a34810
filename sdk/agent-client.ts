import { uploadAttachment, type UploadData, type UploadedAttachment, type UploadOptions } from './attachments.js';
import { httpBatchLink } from '@trpc/client';
import type { AgentChange, AgentTicket, Inputs, Outputs } from './api-types.js';
import { CloseloopError } from './errors.js';
import { openLiveStream, type EventSourceClass, type LiveOptions } from './live-stream.js';
import { call, createTransport, eventSourceOf, newIdempotencyKey } from './transport.js';

export type { AgentChange, AgentTicket } from './api-types.js';

export interface AgentClientOptions {
  url: string;
  /** The site's secret key (`sk_…`): for servers only. */
  secretKey: string;
  /** The acting agent (an id from `agents.upsert`), recorded on every action. */
  agentId?: string | undefined;
  fetch?: typeof fetch | undefined;
  /** For live updates where the platform has none (Node.js has none without a flag): the `eventsource` package's class. */
  EventSource?: EventSourceClass | undefined;
}

type AgentIn = Inputs['agent'];
type AgentOut = Outputs['agent'];
type TicketsIn = AgentIn['tickets'];
type TicketsOut = AgentOut['tickets'];
type ListFilters = NonNullable<TicketsIn['list']>;
/** One API call: its input, and a promise of its answer (or a CloseloopError). */
type Call<In, Out> = (input: In) => Promise<Out>;
type TicketCall<K extends keyof TicketsIn & keyof TicketsOut> = Call<TicketsIn[K], TicketsOut[K]>;

/** The site's backend acting on tickets: every agent action, typed from the server's router. */
export interface AgentClient {
  /** The same client, acting as another agent. */
  as(agentId: string): AgentClient;
  tickets: {
    /** Opens a ticket for one of your users; safe to retry (an idempotency key is added when you give none). */
    create: TicketCall<'create'>;
    list(filters?: TicketsIn['list']): Promise<TicketsOut['list']>;
    /** Every ticket matching the filters, page after page. */
    iterate(filters?: Omit<ListFilters, 'cursor'>): AsyncGenerator<AgentTicket>;
    get: TicketCall<'get'>;
    reply: TicketCall<'reply'>;
    note: TicketCall<'note'>;
    resolve: TicketCall<'resolve'>;
    postpone: Call<Omit<TicketsIn['postpone'], 'until'> & { until: string | Date }, TicketsOut['postpone']>;
    reopen: TicketCall<'reopen'>;
    close: TicketCall<'close'>;
    assign: TicketCall<'assign'>;
    setPriority: TicketCall<'setPriority'>;
    /** One of the site's topics, or null for none. */
    setTopic: TicketCall<'setTopic'>;
    /** Free tags (lower case, one word each); replaces the ticket's tags. */
    setTags: TicketCall<'setTags'>;
    /**
     * "To solve": the most urgent new or open ticket that is unassigned or already this
     * agent's (nearest due target, then the longest wait), assigned to the agent at once;
     * null when there is none. Needs `agentId` (or `as(agentId)`).
     */
    next(): Promise<TicketsOut['next']>;
    markSpam: TicketCall<'markSpam'>;
    unspam: TicketCall<'unspam'>;
    delete: TicketCall<'delete'>;
    restore: TicketCall<'restore'>;
    purge: TicketCall<'purge'>;
  };
  site: {
    get(): Promise<AgentOut['site']['get']>;
    update: Call<AgentIn['site']['update'], AgentOut['site']['update']>;
  };
  agents: {
    upsert: Call<AgentIn['agents']['upsert'], AgentOut['agents']['upsert']>;
    list(): Promise<AgentOut['agents']['list']>;
  };
  webhooks: {
    create: Call<AgentIn['webhooks']['create'], AgentOut['webhooks']['create']>;
    list(): Promise<AgentOut['webhooks']['list']>;
    delete: Call<AgentIn['webhooks']['delete'], AgentOut['webhooks']['delete']>;
    rotateSecret: Call<AgentIn['webhooks']['rotateSecret'], AgentOut['webhooks']['rotateSecret']>;
    deliveries(input?: AgentIn['webhooks']['deliveries']): Promise<AgentOut['webhooks']['deliveries']>;
  };
  metrics: {
    /** Lifecycle figures for a range (`from` included, `to` not), in total and per group; see the README's "Metrics". */
    summary: Call<Omit<AgentIn['metrics']['summary'], 'from' | 'to'> & { from: string | Date; to: string | Date }, AgentOut['metrics']['summary']>;
  };
  emails: {
    /** The email log: what customers were sent (or will be, or could not be), newest first. */
    list(input?: AgentIn['emails']['list']): Promise<AgentOut['emails']['list']>;
  };
  attachments: {
    /** Uploads a file as this agent (then pass its id in `attachmentIds` of a reply or note). */
    upload(data: UploadData, name: string, options?: UploadOptions): Promise<UploadedAttachment>;
  };
  /**
   * Live changes to every ticket of the site. Survives dropped connections and server
   * restarts on its own (a fresh stream ticket, resuming after the last event).
   * Returns a function that stops listening.
   */
  subscribe(listener: (change: AgentChange, eventId: string) => void, opts?: LiveOptions): () => void;
}

const inBrowser = () => typeof (globalThis as { window?: { document?: unknown } }).window?.document !== 'undefined';

/** The site's backend acting on tickets: every agent action, typed from the server's router. */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  if (inBrowser()) {
    throw new CloseloopError('FORBIDDEN', 'createAgentClient runs on servers only: a secret key must never ship to a browser');
  }
  const headers = () => ({
    authorization: `Bearer ${options.secretKey}`,
    ...(options.agentId ? { 'x-closeloop-agent': options.agentId } : {}),
  });
  const trpc = createTransport({
    url: options.url,
    // A backend often fires many calls at once: batch them (at most 20 a request, the server's limit).
    link: (link) => httpBatchLink({ ...link, maxItems: 20 }),
    fetch: options.fetch,
    headers,
  });
  const t = trpc.agent.tickets;
  const query = <T>(fn: () => Promise<T>) => call(fn, true);
  const mutation = <T>(fn: () => Promise<T>) => call(fn, false);

  const list = (filters?: TicketsIn['list']) => query(() => t.list.query(filters));

  return {
    as: (agentId: string) => createAgentClient({ ...options, agentId }),

    tickets: {
      create: (input: TicketsIn['create']) => {
        const withKey = { ...input, idempotencyKey: input.idempotencyKey ?? newIdempotencyKey() };
        return call(() => t.create.mutate(withKey), true);
      },
      list,
      async *iterate(filters: Omit<ListFilters, 'cursor'> = {}): AsyncGenerator<AgentTicket> {
        let cursor: string | undefined;
        do {
          const page = await list({ ...filters, cursor });
          yield* page.items;
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      },
      get: (input: TicketsIn['get']) => query(() => t.get.query(input)),
      reply: (input: TicketsIn['reply']) => mutation(() => t.reply.mutate(input)),
      note: (input: TicketsIn['note']) => mutation(() => t.note.mutate(input)),
      resolve: (input: TicketsIn['resolve']) => mutation(() => t.resolve.mutate(input)),
      postpone: (input: Omit<TicketsIn['postpone'], 'until'> & { until: string | Date }) =>
        mutation(() => t.postpone.mutate({ ...input, until: new Date(input.until).toISOString() })),
      reopen: (input: TicketsIn['reopen']) => mutation(() => t.reopen.mutate(input)),
      close: (input: TicketsIn['close']) => mutation(() => t.close.mutate(input)),
      assign: (input: TicketsIn['assign']) => mutation(() => t.assign.mutate(input)),
      setPriority: (input: TicketsIn['setPriority']) => mutation(() => t.setPriority.mutate(input)),
      setTopic: (input: TicketsIn['setTopic']) => mutation(() => t.setTopic.mutate(input)),
      setTags: (input: TicketsIn['setTags']) => mutation(() => t.setTags.mutate(input)),
      next: () => mutation(() => t.next.mutate()),
      markSpam: (input: TicketsIn['markSpam']) => mutation(() => t.markSpam.mutate(input)),
      unspam: (input: TicketsIn['unspam']) => mutation(() => t.unspam.mutate(input)),
      delete: (input: TicketsIn['delete']) => mutation(() => t.delete.mutate(input)),
      restore: (input: TicketsIn['restore']) => mutation(() => t.restore.mutate(input)),
      purge: (input: TicketsIn['purge']) => mutation(() => t.purge.mutate(input)),
    },

    metrics: {
      summary: (input) => query(() => trpc.agent.metrics.summary.query({ ...input, from: new Date(input.from).toISOString(), to: new Date(input.to).toISOString() })),
    },

    site: {
      get: () => query(() => trpc.agent.site.get.query()),
      update: (input: AgentIn['site']['update']) => mutation(() => trpc.agent.site.update.mutate(input)),
    },

    agents: {
      upsert: (input: AgentIn['agents']['upsert']) => mutation(() => trpc.agent.agents.upsert.mutate(input)),
      list: () => query(() => trpc.agent.agents.list.query()),
    },

    webhooks: {
      create: (input: AgentIn['webhooks']['create']) => mutation(() => trpc.agent.webhooks.create.mutate(input)),
      list: () => query(() => trpc.agent.webhooks.list.query()),
      delete: (input: AgentIn['webhooks']['delete']) => mutation(() => trpc.agent.webhooks.delete.mutate(input)),
      rotateSecret: (input: AgentIn['webhooks']['rotateSecret']) => mutation(() => trpc.agent.webhooks.rotateSecret.mutate(input)),
      deliveries: (input?: AgentIn['webhooks']['deliveries']) => query(() => trpc.agent.webhooks.deliveries.query(input)),
    },

    emails: {
      list: (input?: AgentIn['emails']['list']) => query(() => trpc.agent.emails.list.query(input)),
    },

    attachments: {
      upload: (data, name, uploadOptions) => uploadAttachment({ url: options.url, headers: headers(), fetch: options.fetch }, data, name, uploadOptions),
    },

    subscribe: (listener: (change: AgentChange, eventId: string) => void, opts: LiveOptions = {}) =>
      openLiveStream<AgentChange>({
        ...opts,
        url: options.url,
        path: 'agent.tickets.onChange',
        EventSource: eventSourceOf(options.EventSource),
        streamTicket: async (signal) => (await call(() => trpc.agent.streamTicket.mutate(undefined, { signal }), false)).ticket,
        listener,
      }),
  };
}
