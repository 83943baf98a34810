/**
 * The hot path for tRPC calls and live streams, straight on node:http.
 *
 * tRPC's own Node adapter turns every call into a Fetch `Request` with an
 * `AbortSignal` and a body stream, then a `Response`: a CPU profile showed that
 * costing more than our whole SQLite write. This answers the common shapes
 * (JSON queries by GET, JSON mutations by POST, batched or not, and
 * subscriptions as SSE) with the same wire format, status codes and error
 * shapes, calling the same procedures. Everything else — streaming batches, odd
 * methods or content types, unknown paths — returns `false` untouched, for
 * tRPC's adapter to answer.
 */
import type http from 'node:http';
import { getTRPCErrorFromUnknown, TRPCError, type AnyProcedure, type AnyRouter } from '@trpc/server';
import { getHTTPStatusCode } from '@trpc/server/http';
// From tRPC's core (with isTrackedEnvelope in sse-streams): the shape its adapter gives an
// error, through our formatter. @trpc/server is pinned to a patch range, and
// test/server/http/rpc-handler.test.ts compares both adapters on the wire.
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { createSseStreams } from './sse-streams.js';

type Call = { path: string; procedure: AnyProcedure };

export interface RpcHandlerOptions<TContext> {
  router: AnyRouter;
  maxBatchSize: number;
  maxBodyBytes: number;
  createContext: (req: http.IncomingMessage, connectionParams: Record<string, string> | null) => TContext;
  onError: (error: TRPCError, path: string) => void;
  /** Headers every answer carries (tRPC's adapter sends the same ones). */
  headers: Record<string, string>;
}

const METHOD = { query: 'GET', mutation: 'POST' } as const;

function procedureAt(router: AnyRouter, path: string): AnyProcedure | null {
  const procedures = router._def.procedures as Record<string, AnyProcedure | undefined>;
  return Object.hasOwn(procedures, path) ? (procedures[path] ?? null) : null;
}

/** The calls a request names, or null when tRPC's adapter should answer it. */
function callsOf(router: AnyRouter, req: http.IncomingMessage, joined: string, batch: boolean, maxBatchSize: number): Call[] | null {
  if (req.method !== 'GET' && req.method !== 'POST') return null;
  if (req.headers['trpc-accept'] !== undefined) return null;
  if (req.method === 'POST' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return null;
  const paths = batch ? joined.split(',') : [joined];
  if (paths.length > maxBatchSize) return null;
  const calls: Call[] = [];
  for (const path of paths) {
    const procedure = procedureAt(router, path);
    const type = procedure?._def.type as keyof typeof METHOD | 'subscription' | undefined;
    if (!procedure || type === 'subscription' || METHOD[type!] !== req.method) return null;
    calls.push({ path, procedure });
  }
  return calls;
}

/** A live stream's call, or null when this is not one we answer (bad connection params included). */
function subscriptionOf(router: AnyRouter, req: http.IncomingMessage, path: string, batch: boolean, search: URLSearchParams) {
  if (req.method !== 'GET' || batch) return null;
  const procedure = procedureAt(router, path);
  if (procedure?._def.type !== 'subscription') return null;
  const raw = search.get('connectionParams');
  if (raw === null) return { procedure, connectionParams: null };
  let params: unknown;
  try {
    params = JSON.parse(raw);
  } catch {
    return null;
  }
  if (params === null) return { procedure, connectionParams: null };
  if (typeof params !== 'object' || Array.isArray(params) || Object.values(params).some((v) => typeof v !== 'string')) return null;
  return { procedure, connectionParams: params as Record<string, string> };
}

/** A stream's input, with the id it resumes from (header or query, as tRPC reads it). */
function streamInput(req: http.IncomingMessage, search: URLSearchParams): unknown {
  const raw = search.get('input');
  let input: unknown = raw ? JSON.parse(raw) : undefined;
  const header = req.headers['last-event-id'];
  const lastEventId = (typeof header === 'string' ? header : null) ?? search.get('lastEventId') ?? search.get('Last-Event-Id');
  if (!lastEventId) return input;
  if (input && typeof input === 'object' && !Array.isArray(input)) return { ...input, lastEventId };
  input ??= { lastEventId };
  return input;
}

function safeDecode(text: string) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The body as text; past `limit` it stops reading and the connection closes after the answer. */
function readBody(req: http.IncomingMessage, res: http.ServerResponse, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      res.setHeader('connection', 'close');
      reject(new TRPCError({ code: 'PAYLOAD_TOO_LARGE' }));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const asTRPCError = (cause: unknown) =>
  cause instanceof TRPCError
    ? cause
    : new TRPCError({ code: 'BAD_REQUEST', message: cause instanceof Error ? cause.message : 'Invalid input', cause });

/** The inputs by call index, parsed the way tRPC's JSON handler does (errors surface per call). */
function inputsOf(raw: string | null, batch: boolean, count: number): Record<number, unknown> {
  if (!raw) return {};
  const parsed: unknown = JSON.parse(raw);
  if (!batch) return { 0: parsed };
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: '"input" needs to be an object when doing a batch call' });
  }
  const inputs: Record<number, unknown> = {};
  for (let i = 0; i < count; i++) inputs[i] = (parsed as Record<string, unknown>)[i];
  return inputs;
}

export function createRpcHandler<TContext>(options: RpcHandlerOptions<TContext>) {
  const { router, maxBatchSize, maxBodyBytes } = options;
  const config = router._def._config;
  const sse = createSseStreams({
    pingMs: config.sse?.ping?.enabled ? (config.sse.ping.intervalMs ?? 1000) : 2 ** 31 - 1,
    client: config.sse?.client ?? {},
  });

  function serveStream(req: http.IncomingMessage, res: http.ServerResponse, path: string, search: URLSearchParams, call: NonNullable<ReturnType<typeof subscriptionOf>>) {
    const ctx = options.createContext(req, call.connectionParams);
    let input: unknown;
    const getRawInput = async () => {
      try {
        return (input = streamInput(req, search));
      } catch (cause) {
        throw asTRPCError(cause);
      }
    };
    return sse.stream(
      res,
      options.headers,
      async (signal) => (await call.procedure({ path, ctx, type: 'subscription', signal, getRawInput, batchIndex: 0 })) as AsyncIterable<unknown>,
      (cause) => {
        const error = getTRPCErrorFromUnknown(cause);
        options.onError(error, path);
        return getErrorShape({ config, ctx, error, input, path, type: 'subscription' });
      },
    );
  }

  async function run(call: Call, index: number, ctx: TContext, inputs: Promise<Record<number, unknown>>) {
    const { path, procedure } = call;
    const type = procedure._def.type;
    try {
      const data: unknown = await procedure({ path, ctx, type, signal: undefined, batchIndex: index, getRawInput: async () => (await inputs)[index] });
      return { result: { data } };
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      options.onError(error, path);
      const input = await inputs.then((all) => all[index]).catch(() => undefined);
      return { error: getErrorShape({ config, ctx, error, input, path, type }), cause: error };
    }
  }

  /** Answers the request and returns true, or returns false having touched nothing. */
  async function handleRpc(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, search: URLSearchParams) {
    const path = safeDecode(pathname);
    if (path === null) return false;
    const batch = search.get('batch') === '1';
    const stream = subscriptionOf(router, req, path, batch, search);
    if (stream) {
      await serveStream(req, res, path, search, stream);
      return true;
    }
    const calls = callsOf(router, req, path, batch, maxBatchSize);
    if (!calls) return false;
    const raw = req.method === 'GET' ? Promise.resolve(search.get('input')) : readBody(req, res, maxBodyBytes);
    const inputs = raw.then((text) => inputsOf(text, batch, calls.length)).catch((cause: unknown) => {
      throw asTRPCError(cause);
    });
    inputs.catch(() => {}); // each call reports it
    const ctx = options.createContext(req, null);
    const outcomes = await Promise.all(calls.map((call, i) => run(call, i, ctx, inputs)));
    const bodies = outcomes.map((o) => ('error' in o ? { error: o.error } : o));
    const errors = outcomes.map((o) => ('cause' in o ? o.cause : undefined)) as TRPCError[];
    const status = getHTTPStatusCode(bodies, errors);
    const text = JSON.stringify(batch ? bodies : bodies[0]);
    // A known length lets Node send head and body in one write, without chunked framing.
    res.writeHead(status, { ...options.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  }

  return handleRpc;
}
