/** The one client layer under both SDK clients (and the widget): the official tRPC client, plain JSON. */
import { createTRPCClient, httpSubscriptionLink, splitLink, TRPCClientError, type TRPCLink } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '../server/api/app-router.js';
import { CloseloopError } from './errors.js';

export type Inputs = inferRouterInputs<AppRouter>;
export type Outputs = inferRouterOutputs<AppRouter>;
/** What one live event carries: a subscription's item without its SSE envelope. */
export type LiveItem<S> = S extends AsyncIterable<infer T> ? (T extends { data: infer D } ? D : T) : never;

type EventSourceClass = NonNullable<Parameters<typeof httpSubscriptionLink>[0]['EventSource']>;

export type LinkOptions = Parameters<TransportOptions['link']>[0];

export interface TransportOptions {
  url: string;
  /** httpLink or httpBatchLink: each client brings its own, so a browser bundle carries only one. */
  link: (opts: { url: string; headers: TransportOptions['headers']; fetch?: typeof fetch }) => TRPCLink<AppRouter>;
  headers: () => Record<string, string> | Promise<Record<string, string>>;
  streamTicket: () => Promise<string>;
  fetch?: typeof fetch | undefined;
  /** For live updates where the platform has none (Node 20): the `eventsource` package's class. */
  EventSource?: EventSourceClass | undefined;
}

export function createTransport(opts: TransportOptions) {
  const url = `${opts.url.replace(/\/+$/, '')}/trpc`;
  const EventSourceImpl = opts.EventSource ?? (globalThis as { EventSource?: EventSourceClass }).EventSource;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: EventSourceImpl
          ? httpSubscriptionLink({
              url,
              EventSource: EventSourceImpl,
              connectionParams: async () => ({ streamTicket: await opts.streamTicket() }),
            })
          : // Fails the subscription, not the client: everything else works without EventSource.
            () => () =>
              observable((observer) => {
                observer.error(
                  TRPCClientError.from(
                    new CloseloopError('UNSUPPORTED', 'Live updates need EventSource: on Node 20 pass { EventSource } from the eventsource package'),
                  ),
                );
              }),
        false: opts.link({ url, headers: opts.headers, ...(opts.fetch ? { fetch: opts.fetch } : {}) }),
      }),
    ],
  });
}

export type Transport = ReturnType<typeof createTransport>;

/** Any failure as a CloseloopError; no answer at all is `NETWORK` with status 0. */
export function toCloseloopError(error: unknown): CloseloopError {
  if (error instanceof CloseloopError) return error;
  if (error instanceof TRPCClientError && error.cause instanceof CloseloopError) return error.cause;
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? null) as { code?: string; httpStatus?: number } | null;
    if (!data?.code) return new CloseloopError('NETWORK', error.message || 'The Closeloop server could not be reached', 0);
    const { code, httpStatus, ...rest } = data;
    return new CloseloopError(code, error.message, httpStatus ?? 0, rest);
  }
  return new CloseloopError('NETWORK', error instanceof Error ? error.message : String(error), 0);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a call; network failures are retried with backoff only when the call is safe to repeat. */
export async function call<T>(fn: () => Promise<T>, idempotent: boolean, retries = 3): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const failure = toCloseloopError(error);
      if (!idempotent || failure.code !== 'NETWORK' || attempt >= retries) throw failure;
      await pause(250 * 2 ** attempt);
    }
  }
}

export interface LiveOptions {
  /** Resume after this event id (as given to a listener) without missing or repeating one. */
  lastEventId?: string;
  onError?: (error: unknown) => void;
  onStarted?: () => void;
}

interface Subscribable<T> {
  subscribe(
    input: { lastEventId: string | null },
    handlers: { onData: (tracked: { id: string; data: T }) => void; onError?: (error: unknown) => void; onStarted?: () => void },
  ): { unsubscribe(): void };
}

/** Listens to a live feed; returns the function that stops listening. */
export function listen<T>(feed: Subscribable<T>, listener: (item: T, eventId: string) => void, opts: LiveOptions = {}): () => void {
  const sub = feed.subscribe(
    { lastEventId: opts.lastEventId ?? null },
    {
      onData: (tracked) => listener(tracked.data, tracked.id),
      ...(opts.onError ? { onError: opts.onError } : {}),
      ...(opts.onStarted ? { onStarted: opts.onStarted } : {}),
    },
  );
  return () => sub.unsubscribe();
}

/** A random idempotency key, so a retried create can never make two tickets. */
export const newIdempotencyKey = () => crypto.randomUUID();
