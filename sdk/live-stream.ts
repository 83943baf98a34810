/**
 * A live feed that heals itself. Each connection opens with a fresh single-use
 * stream ticket and resumes after the last event id it delivered, so a dropped
 * socket, a server restart or a proxy timeout costs a reconnect, never an event
 * (missed or repeated). The platform's own EventSource reconnect is never used:
 * it would reuse the spent ticket, and the server would refuse it for good.
 */
import { CloseloopError } from './errors.js';

interface SseMessage {
  data?: string;
  lastEventId?: string;
}

/** What the SDK needs of an EventSource: the browser's, or the `eventsource` package's class in Node. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: SseMessage) => void): void;
  close(): void;
}
export type EventSourceClass = new (url: string) => EventSourceLike;

export interface LiveOptions {
  /** Resume after this event id (as given to a listener) without missing or repeating one. */
  lastEventId?: string | undefined;
  /** Each time the stream is (re)connected: a good moment to fetch anything a listener may have missed while away. */
  onStarted?: (() => void) | undefined;
  /** The stream dropped; it reconnects by itself after `retryInMs`. */
  onReconnecting?: ((error: CloseloopError, retryInMs: number) => void) | undefined;
  /** A refusal that retrying cannot mend (the session ended, the key is wrong): the stream has stopped. */
  onError?: ((error: CloseloopError) => void) | undefined;
  /** How long a connection attempt may go unanswered before it is dropped and tried again. Default 15 s. */
  connectTimeoutMs?: number | undefined;
}

export interface LiveStreamOptions<T> extends LiveOptions {
  /** The API's base URL (without /trpc). */
  url: string;
  /** The subscription's path, e.g. `tickets.onChange`. */
  path: string;
  /** A fresh single-use stream ticket; its failure is reported as the CloseloopError it throws. */
  streamTicket: (signal: AbortSignal) => Promise<string>;
  EventSource: EventSourceClass | undefined;
  listener: (item: T, eventId: string) => void;
  /** Jitter for the backoff, injectable for tests. */
  random?: () => number;
}

/** Refusals no retry can fix. A stream refused this way once may have met a restarted server: it gets one more try. */
const FINAL = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'VALIDATION', 'UNSUPPORTED']);
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
/** Used until the server says otherwise in its `connected` event. */
const DEFAULT_SILENCE_MS = 45_000;
const HEALTHY_AFTER_MS = 10_000;
const CONNECT_TIMEOUT_MS = 15_000;
const MAX_CONNECT_TIMEOUT_MS = 300_000;

const errorFrom = (shape: { message?: string; data?: { code?: string; httpStatus?: number } & Record<string, unknown> }) => {
  const { code = 'INTERNAL', httpStatus = 0, ...rest } = shape.data ?? {};
  return new CloseloopError(code, shape.message ?? 'The live stream was refused', httpStatus, rest);
};

/** Opens the feed; returns the function that stops it for good. */
export function openLiveStream<T>(opts: LiveStreamOptions<T>): () => void {
  const random = opts.random ?? Math.random;
  let lastEventId = opts.lastEventId;
  let source: EventSourceLike | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let silenceTimer: ReturnType<typeof setTimeout> | undefined;
  let silenceMs = DEFAULT_SILENCE_MS;
  let failures = 0;
  let refusedBefore = false;
  let connectedAt = 0;
  let stopped = false;

  /** A connection that carried something, or lasted, was healthy: the next drop starts the backoff afresh. */
  function healthy() {
    failures = 0;
    refusedBefore = false;
  }

  function disconnect() {
    clearTimeout(silenceTimer);
    source?.close();
    source = null;
  }

  function stop(error?: CloseloopError) {
    if (stopped) return;
    stopped = true;
    clearTimeout(retryTimer);
    disconnect();
    if (error) opts.onError?.(error);
  }

  /** Drops this connection and tries again after a backoff with jitter (or stops, for a refusal that stays). */
  function retry(error: CloseloopError, refusal: boolean) {
    if (stopped) return;
    disconnect();
    if (connectedAt && Date.now() - connectedAt > HEALTHY_AFTER_MS) healthy();
    connectedAt = 0;
    if (FINAL.has(error.code) && (!refusal || refusedBefore)) return stop(error);
    refusedBefore = refusal && FINAL.has(error.code);
    const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** failures++);
    const delay = Math.round(ceiling / 2 + (random() * ceiling) / 2);
    opts.onReconnecting?.(error, delay);
    retryTimer = setTimeout(connect, delay);
  }

  const dropped = () => retry(new CloseloopError('NETWORK', 'The live stream was interrupted', 0), false);

  const connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;

  function heard(ms = silenceMs) {
    clearTimeout(silenceTimer);
    // Silence past the server's promise (it pings well inside it) means a dead connection that never said so.
    silenceTimer = setTimeout(dropped, ms);
  }

  async function connect() {
    if (stopped) return;
    if (!(connectTimeoutMs > 0 && connectTimeoutMs <= MAX_CONNECT_TIMEOUT_MS)) {
      // A bad option would otherwise pass for a network failure, retried forever.
      return stop(new CloseloopError('VALIDATION', `connectTimeoutMs must be a number of milliseconds from 1 to ${MAX_CONNECT_TIMEOUT_MS}, not ${String(opts.connectTimeoutMs)}`, 0, { field: 'connectTimeoutMs' }));
    }
    if (!opts.EventSource) {
      return stop(
        new CloseloopError(
          'UNSUPPORTED',
          'Live updates need an EventSource class. Node.js has none without a flag: pass { EventSource } from the eventsource package.',
        ),
      );
    }
    let ticket: string;
    try {
      // A request that is never answered (a half-dead proxy) would otherwise stall healing for good.
      ticket = await opts.streamTicket(AbortSignal.timeout(connectTimeoutMs));
    } catch (error) {
      return retry(error instanceof CloseloopError ? error : new CloseloopError('NETWORK', String(error), 0), false);
    }
    if (stopped) return;
    const query = new URLSearchParams({ connectionParams: JSON.stringify({ streamTicket: ticket }) });
    if (lastEventId) query.set('input', JSON.stringify({ lastEventId }));
    const es = (source = new opts.EventSource(`${opts.url.replace(/\/+$/, '')}/trpc/${opts.path}?${query}`));
    const on = (type: string, handle: (event: SseMessage) => void) =>
      es.addEventListener(type, (event) => {
        if (source === es) handle(event);
      });
    heard(Math.min(silenceMs, connectTimeoutMs));
    // A refused stream also opens with `connected`, then says why: only data, a ping or time prove it healthy.
    on('connected', (event) => {
      connectedAt = Date.now();
      const told = (JSON.parse(event.data || '{}') as { reconnectAfterInactivityMs?: number }).reconnectAfterInactivityMs;
      if (told) silenceMs = told;
      heard();
      opts.onStarted?.();
    });
    on('ping', () => {
      healthy();
      heard();
    });
    on('message', (event) => {
      healthy();
      heard();
      const id = event.lastEventId ?? '';
      if (id) lastEventId = id;
      opts.listener(JSON.parse(event.data ?? 'null') as T, id);
    });
    on('serialized-error', (event) => retry(errorFrom(JSON.parse(event.data ?? '{}') as Parameters<typeof errorFrom>[0]), true));
    // The server ended the stream (it is shutting down): the next connection resumes on whichever server answers.
    on('return', dropped);
    on('error', dropped);
  }

  // Deferred, so a caller holding the returned function can be told of a failure to start.
  void Promise.resolve().then(connect);
  return () => stop();
}
