import { httpLink } from '@trpc/client';
import { openLiveStream, type EventSourceClass, type LiveOptions } from './live-stream.js';
import {
  call,
  createTransport,
  eventSourceOf,
  newIdempotencyKey,
  type Inputs,
  type LiveItem,
  type LinkOptions,
  type Outputs,
} from './transport.js';

export interface CustomerClientOptions {
  url: string;
  siteKey: string;
  /** The identity JWT your backend made with `signIdentity`; absent: an anonymous visitor. */
  identity?: string | undefined;
  /** A session token kept from earlier (`client.session.token`), to resume that session. */
  token?: string | undefined;
  fetch?: typeof fetch | undefined;
  /** For live updates where the platform has none (Node.js has none without a flag): the `eventsource` package's class. */
  EventSource?: EventSourceClass | undefined;
}

type TicketsIn = Inputs['tickets'];
export type CustomerTicket = Outputs['tickets']['create'];
export type CustomerChange = LiveItem<Outputs['tickets']['onChange']>;

/** A customer's view of Closeloop: plain async methods, typed from the server's router. */
export function createCustomerClient(options: CustomerClientOptions) {
  const state = {
    token: options.token ?? null as string | null,
    identity: options.identity,
    customer: null as Outputs['session']['start']['customer'] | null,
    site: null as Outputs['session']['start']['site'] | null,
  };
  let starting: Promise<string> | null = null;
  // A customer makes a few calls at a time: plain requests, no batching code in the widget's bundle.
  const base = { url: options.url, link: (o: LinkOptions) => httpLink(o), fetch: options.fetch };

  const anonymous = createTransport({ ...base, headers: () => ({}) });

  /** The session token, starting a session on first use. */
  async function getToken(): Promise<string> {
    if (state.token) return state.token;
    starting ??= call(() => anonymous.session.start.mutate({ siteKey: options.siteKey, identity: state.identity }), false)
      .then((started) => {
        state.token = started.token;
        state.customer = started.customer;
        state.site = started.site;
        return started.token;
      })
      .finally(() => {
        starting = null;
      });
    return starting;
  }

  const trpc = createTransport({
    ...base,
    headers: async () => ({ authorization: `Bearer ${await getToken()}` }),
  });
  const query = <T>(fn: () => Promise<T>) => call(fn, true);
  const mutation = <T>(fn: () => Promise<T>) => call(fn, false);

  return {
    session: {
      /** The session token once a session exists: persist it and pass it back as `token`. */
      get token() {
        return state.token;
      },
      get customer() {
        return state.customer;
      },
      get site() {
        return state.site;
      },
    },
    getToken,

    /** Signs in as another user (or anonymously with undefined): the next call starts a new session. */
    identify(identity: string | undefined) {
      state.identity = identity;
      state.token = null;
      state.customer = null;
    },

    /** Ends the session on the server too: its token stops working at once. */
    async endSession() {
      if (state.token) await mutation(() => trpc.session.end.mutate());
      state.token = null;
      state.customer = null;
    },

    tickets: {
      /** Opens a ticket; safe to retry (an idempotency key is added when you give none). */
      create: (input: TicketsIn['create']) => {
        const withKey = { ...input, idempotencyKey: input.idempotencyKey ?? newIdempotencyKey() };
        return call(() => trpc.tickets.create.mutate(withKey), true);
      },
      list: (input?: TicketsIn['list']) => query(() => trpc.tickets.list.query(input)),
      get: (input: TicketsIn['get']) => query(() => trpc.tickets.get.query(input)),
      reply: (input: TicketsIn['reply']) => mutation(() => trpc.tickets.reply.mutate(input)),
      confirmResolution: (input: TicketsIn['confirmResolution']) => mutation(() => trpc.tickets.confirmResolution.mutate(input)),
      rejectResolution: (input: TicketsIn['rejectResolution']) => mutation(() => trpc.tickets.rejectResolution.mutate(input)),
      reopen: (input: TicketsIn['reopen']) => mutation(() => trpc.tickets.reopen.mutate(input)),
      rate: (input: TicketsIn['rate']) => mutation(() => trpc.tickets.rate.mutate(input)),
      createFollowUp: (input: TicketsIn['createFollowUp']) => {
        const withKey = { ...input, idempotencyKey: input.idempotencyKey ?? newIdempotencyKey() };
        return call(() => trpc.tickets.createFollowUp.mutate(withKey), true);
      },
      markRead: (input: TicketsIn['markRead']) => query(() => trpc.tickets.markRead.mutate(input)),
    },

    /**
     * Live changes to this customer's tickets. Survives dropped connections and server
     * restarts on its own (a fresh stream ticket, resuming after the last event).
     * Returns a function that stops listening.
     */
    subscribe: (listener: (change: CustomerChange, eventId: string) => void, opts: LiveOptions = {}) =>
      openLiveStream<CustomerChange>({
        ...opts,
        url: options.url,
        path: 'tickets.onChange',
        EventSource: eventSourceOf(options.EventSource),
        streamTicket: async () => (await call(() => trpc.session.streamTicket.mutate(), false)).ticket,
        listener,
      }),
  };
}

export type CustomerClient = ReturnType<typeof createCustomerClient>;
