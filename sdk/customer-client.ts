import type { CustomerChange, CustomerTicket, Inputs, Outputs } from './api-types.js';
import { uploadAttachment, type UploadData, type UploadedAttachment, type UploadOptions } from './attachments.js';
import { fetchLink } from './fetch-link.js';
import { openLiveStream, type EventSourceClass, type LiveOptions } from './live-stream.js';
import { call, createTransport, eventSourceOf, newIdempotencyKey } from './transport.js';

export type { CustomerChange, CustomerTicket } from './api-types.js';
export type { UploadData, UploadedAttachment, UploadOptions } from './attachments.js';

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
type TicketsOut = Outputs['tickets'];
type SessionStarted = Outputs['session']['start'];
type TicketCall<K extends keyof TicketsIn & keyof TicketsOut> = (input: TicketsIn[K]) => Promise<TicketsOut[K]>;

/** A customer's view of Closeloop: plain async methods, typed from the server's router. */
export interface CustomerClient {
  session: {
    /** The session token once a session exists: persist it and pass it back as `token`. */
    readonly token: string | null;
    readonly customer: SessionStarted['customer'] | null;
    readonly site: SessionStarted['site'] | null;
  };
  /** The session token, starting a session on first use. */
  getToken(): Promise<string>;
  /** Signs in as another user (or anonymously with undefined): the next call starts a new session. */
  identify(identity: string | undefined): void;
  /** Ends the session on the server too: its token stops working at once. */
  endSession(): Promise<void>;
  /**
   * Emails a sign-in link to this address (the answer is the same whether or not it has
   * tickets). The link returns to `returnUrl` (a page of your site) with a one-time code.
   */
  requestEmailLink(input: Omit<Inputs['session']['requestEmailLink'], 'siteKey'>): Promise<void>;
  /** Signs in with the one-time code an email link brought back: the session then sees every ticket of that address. */
  signInWithEmailCode(code: string): Promise<void>;
  /** Fetches what `session.site` holds when the session was resumed from a stored token (no start this time). */
  loadSite(): Promise<void>;
  tickets: {
    /** Opens a ticket; safe to retry (an idempotency key is added when you give none). */
    create: TicketCall<'create'>;
    list(input?: TicketsIn['list']): Promise<TicketsOut['list']>;
    get: TicketCall<'get'>;
    reply: TicketCall<'reply'>;
    confirmResolution: TicketCall<'confirmResolution'>;
    rejectResolution: TicketCall<'rejectResolution'>;
    reopen: TicketCall<'reopen'>;
    rate: TicketCall<'rate'>;
    /** After the reopen window: a new ticket linked to the closed one; safe to retry. */
    createFollowUp: TicketCall<'createFollowUp'>;
    markRead: TicketCall<'markRead'>;
  };
  attachments: {
    /**
     * Uploads a file for a ticket (then pass its id in `attachmentIds`). In a browser,
     * `onProgress` reports the bytes sent. Refusals: ATTACHMENT_TOO_LARGE, ATTACHMENT_TYPE.
     */
    upload(data: UploadData, name: string, options?: UploadOptions): Promise<UploadedAttachment>;
  };
  /**
   * Live changes to this customer's tickets. Survives dropped connections and server
   * restarts on its own (a fresh stream ticket, resuming after the last event).
   * Returns a function that stops listening.
   */
  subscribe(listener: (change: CustomerChange, eventId: string) => void, opts?: LiveOptions): () => void;
}

export function createCustomerClient(options: CustomerClientOptions): CustomerClient {
  const state = {
    token: options.token ?? null as string | null,
    identity: options.identity,
    customer: null as SessionStarted['customer'] | null,
    site: null as SessionStarted['site'] | null,
  };
  let starting: Promise<string> | null = null;
  // A customer makes a few calls at a time: plain requests, no batching code in the widget's bundle.
  const base = { url: options.url, link: fetchLink, fetch: options.fetch };

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

    identify(identity: string | undefined) {
      state.identity = identity;
      state.token = null;
      state.customer = null;
    },

    async requestEmailLink(input) {
      await mutation(() => anonymous.session.requestEmailLink.mutate({ ...input, siteKey: options.siteKey }));
    },

    async loadSite() {
      state.site = await query(() => anonymous.session.site.query({ siteKey: options.siteKey }));
    },

    async signInWithEmailCode(code) {
      const started = await mutation(() => anonymous.session.exchangeEmailCode.mutate({ siteKey: options.siteKey, code }));
      state.identity = undefined;
      Object.assign(state, started);
    },

    async endSession() {
      if (state.token) await mutation(() => trpc.session.end.mutate());
      state.token = null;
      state.customer = null;
    },

    tickets: {
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

    attachments: {
      upload: async (data, name, uploadOptions) =>
        uploadAttachment({ url: options.url, headers: { authorization: `Bearer ${await getToken()}` }, fetch: options.fetch }, data, name, uploadOptions),
    },

    subscribe: (listener: (change: CustomerChange, eventId: string) => void, opts: LiveOptions = {}) =>
      openLiveStream<CustomerChange>({
        ...opts,
        url: options.url,
        path: 'tickets.onChange',
        EventSource: eventSourceOf(options.EventSource),
        streamTicket: async (signal) => (await call(() => trpc.session.streamTicket.mutate(undefined, { signal }), false)).ticket,
        listener,
      }),
  };
}
