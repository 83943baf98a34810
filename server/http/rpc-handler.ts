/**
 * The hot path for tRPC queries and mutations, straight on node:http.
 *
 * tRPC's own Node adapter turns every call into a Fetch `Request` with an
 * `AbortSignal` and a body stream, then a `Response`: a CPU profile showed that
 * costing more than our whole SQLite write. This answers the common shapes
 * (JSON queries by GET, JSON mutations by POST, batched or not) with the same
 * wire format, status codes and error shapes, calling the same procedures.
 * Everything else — subscriptions, streaming batches, odd methods or content
 * types, unknown paths — returns `false` untouched, for tRPC's adapter to answer.
 */
import type http from 'node:http';
import { getTRPCErrorFromUnknown, TRPCError, type AnyProcedure, type AnyRouter } from '@trpc/server';
import { getHTTPStatusCode } from '@trpc/server/http';
// The one internal used: the shape tRPC's adapter gives an error, through our formatter.
// @trpc/server is pinned to a patch range; the wire tests compare both adapters.
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';

type Call = { path: string; procedure: AnyProcedure };

export interface RpcHandlerOptions<TContext> {
  router: AnyRouter;
  maxBatchSize: number;
  maxBodyBytes: number;
  createContext: (req: http.IncomingMessage) => TContext;
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
function callsOf(router: AnyRouter, req: http.IncomingMessage, pathname: string, batch: boolean, maxBatchSize: number): Call[] | null {
  if (req.method !== 'GET' && req.method !== 'POST') return null;
  if (req.headers['trpc-accept'] !== undefined) return null;
  if (req.method === 'POST' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return null;
  let joined: string;
  try {
    joined = decodeURIComponent(pathname);
  } catch {
    return null;
  }
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
  return async function handleRpc(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, search: URLSearchParams) {
    const batch = search.get('batch') === '1';
    const calls = callsOf(router, req, pathname, batch, maxBatchSize);
    if (!calls) return false;
    const raw = req.method === 'GET' ? Promise.resolve(search.get('input')) : readBody(req, res, maxBodyBytes);
    const inputs = raw.then((text) => inputsOf(text, batch, calls.length)).catch((cause: unknown) => {
      throw asTRPCError(cause);
    });
    inputs.catch(() => {}); // each call reports it
    const ctx = options.createContext(req);
    const outcomes = await Promise.all(calls.map((call, i) => run(call, i, ctx, inputs)));
    const bodies = outcomes.map((o) => ('error' in o ? { error: o.error } : o));
    const errors = outcomes.map((o) => ('cause' in o ? o.cause : undefined)) as TRPCError[];
    const status = getHTTPStatusCode(bodies, errors);
    res.writeHead(status, { ...options.headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(batch ? bodies : bodies[0]));
    return true;
  };
}
