/** The one client layer under both SDK clients (and the widget): the official tRPC client, plain JSON. */
import { createTRPCClient, TRPCClientError, type TRPCLink } from '@trpc/client';
import type { AppRouter } from '../server/api/app-router.js';
import { CloseloopError } from './errors.js';
import type { EventSourceClass } from './live-stream.js';

/** @internal */
export type LinkOptions = Parameters<TransportOptions['link']>[0];

/** @internal */
export interface TransportOptions {
  url: string;
  /** httpLink or httpBatchLink: each client brings its own, so a browser bundle carries only one. */
  link: (opts: { url: string; headers: TransportOptions['headers']; fetch?: typeof fetch }) => TRPCLink<AppRouter>;
  headers: () => Record<string, string> | Promise<Record<string, string>>;
  fetch?: typeof fetch | undefined;
}

/**
 * Queries and mutations; live streams go through live-stream.ts, which heals its own connection.
 * @internal (typed by the router: kept out of the published declarations)
 */
export function createTransport(opts: TransportOptions) {
  const url = `${opts.url.replace(/\/+$/, '')}/trpc`;
  return createTRPCClient<AppRouter>({
    links: [opts.link({ url, headers: opts.headers, ...(opts.fetch ? { fetch: opts.fetch } : {}) })],
  });
}

/** The platform's EventSource unless one was given. */
export const eventSourceOf = (given: EventSourceClass | undefined) =>
  given ?? (globalThis as { EventSource?: EventSourceClass }).EventSource;

/** Any failure as a CloseloopError; no answer at all is `NETWORK` with status 0. */
export function toCloseloopError(error: unknown): CloseloopError {
  if (error instanceof CloseloopError) return error;
  // A failure inside our own headers() (starting the session) reaches us wrapped by tRPC.
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

/** A random idempotency key, so a retried create can never make two tickets. */
export const newIdempotencyKey = () => crypto.randomUUID();
