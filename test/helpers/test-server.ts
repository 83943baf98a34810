/**
 * A real Closeloop server on a free loopback port, over a real SQLite file in a temp
 * folder, or, when CLOSELOOP_TEST_STORE=postgres, over a fresh database on the real
 * PostgreSQL named by CLOSELOOP_TEST_DATABASE_URL (the `postgres` test project).
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll } from 'vitest';
import type { AppRouter } from '../../server/api/app-router.js';
import { createServer, type ServerOptions } from '../../server/http/create-server.js';
import { backendFetch } from './backend-fetch.js';
import { freshPostgresDatabase } from './postgres.js';

export const ORIGIN = 'http://shop.test';

/** A clock tests move by hand; never sleep. */
export function createClock(start = Date.parse('2026-01-05T09:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function tempDbPath() {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-test-'));
  return { path: join(dir, 'closeloop.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Which database the test servers run on: SQLite, unless this run is the PostgreSQL one. */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.CLOSELOOP_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** A fresh, empty database for one test server: its location (as createServer takes it) and a cleanup. */
export async function freshTestDatabase(): Promise<{ database: { db: string } | { databaseUrl: string }; cleanup: () => Promise<void> | void }> {
  if (TEST_STORE === 'postgres') {
    const fresh = await freshPostgresDatabase();
    return { database: { databaseUrl: fresh.url }, cleanup: fresh.drop };
  }
  const file = tempDbPath();
  return { database: { db: file.path }, cleanup: file.cleanup };
}

export async function startTestServer(options: Partial<ServerOptions> = {}) {
  const clock = createClock();
  const fresh = await freshTestDatabase();
  const server = createServer({
    ...fresh.database,
    now: clock.now,
    sweepIntervalMs: 0,
    livePollMs: 50,
    webhookIntervalMs: 0,
    allowPrivateWebhooks: true,
    logError: () => {},
    // Every test request comes from 127.0.0.1; the rate-limit test sets its own small limits.
    rateLimits: { anonymousSessions: { limit: 10_000, windowMs: 60_000 }, ticketCreates: { limit: 10_000, windowMs: 60_000 } },
    ...options,
  });
  const { url } = await server.listen(0, '127.0.0.1');
  const site = await server.store.createSite({ name: 'Test shop', origins: [ORIGIN] }, clock.now());

  // Agent calls are made as a backend makes them (no Origin), also from widget tests' browser-like environment.
  const client = (headers: () => Record<string, string>, batch = true, viaFetch = headers().authorization?.startsWith('Bearer sk_') ? backendFetch : undefined) =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({
            url: `${url}/trpc`,
            EventSource,
            connectionParams: async () => ({ streamTicket: await streamTicketFor(headers()) }),
          }),
          false: batch ? httpBatchLink({ url: `${url}/trpc`, headers, fetch: viaFetch }) : httpLink({ url: `${url}/trpc`, headers, fetch: viaFetch }),
        }),
      ],
    });

  async function streamTicketFor(headers: Record<string, string>) {
    const isAgent = headers.authorization?.startsWith('Bearer sk_');
    const path = isAgent ? 'agent.streamTicket' : 'session.streamTicket';
    const res = await (isAgent ? backendFetch : fetch)(`${url}/trpc/${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } });
    const body = (await res.json()) as { result: { data: { ticket: string } } };
    return body.result.data.ticket;
  }

  /** A signed-in customer: anonymous, or verified with an identity token for `userId`. */
  async function customer(opts: { userId?: string; email?: string; name?: string; siteKey?: string; secretKey?: string } = {}) {
    const identity = opts.userId
      ? signTestIdentity(opts.secretKey ?? site.secretKey, { sub: opts.userId, email: opts.email, name: opts.name }, clock.now())
      : undefined;
    const start = await client(() => ({})).session.start.mutate({ siteKey: opts.siteKey ?? site.siteKey, identity });
    const headers = () => ({ authorization: `Bearer ${start.token}` });
    return { ...start, headers, api: client(headers) };
  }

  /** The site's backend acting as an agent (named, when given). */
  async function agent(opts: { name?: string; email?: string; secretKey?: string } = {}) {
    const secretKey = opts.secretKey ?? site.secretKey;
    const anonymous = client(() => ({ authorization: `Bearer ${secretKey}` }));
    const me = await anonymous.agent.agents.upsert.mutate({ email: opts.email ?? 'ada@shop.test', name: opts.name ?? 'Ada' });
    const headers = () => ({ authorization: `Bearer ${secretKey}`, 'x-closeloop-agent': me.id });
    return { ...me, headers, api: client(headers) };
  }

  return {
    url,
    server,
    store: server.store,
    /** Where the data lives: give it to `createServer` for a second server on the same database. */
    database: fresh.database,
    site,
    clock,
    client,
    customer,
    agent,
    /** A second site on the same server, for isolation tests. */
    async otherSite() {
      return server.store.createSite({ name: 'Other shop', origins: ['http://other.test'] }, clock.now());
    },
    async close() {
      await server.close();
      await fresh.cleanup();
    },
  };
}

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** One test server for a test file, handed over through `use` once started, closed after the file. */
export function useTestServer(use: (t: TestServer) => void, options: Partial<ServerOptions> = {}) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(options);
    use(server);
  });
  afterAll(() => server?.close());
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs an identity JWT the way a site's backend does (independent of the code under test). */
export function signTestIdentity(
  secretKey: string,
  claims: { sub?: unknown; email?: string | undefined; name?: string | undefined; exp?: number | undefined; [claim: string]: unknown },
  nowMs: number,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
) {
  const payload = { iat: Math.floor(nowMs / 1000), exp: Math.floor(nowMs / 1000) + 3600, ...claims };
  const unsigned = `${b64(header)}.${b64(payload)}`;
  return `${unsigned}.${createHmac('sha256', secretKey).update(unsigned).digest('base64url')}`;
}

/** The spec's stable error code of a failed call. */
export async function errorCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) return (error.data as { code: string } | undefined)?.code ?? 'NO_CODE';
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export async function rawPost(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The error of a call that must fail: its message and `data` (code, field, from…). */
export async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) return { message: error.message, data: error.data as Record<string, unknown> };
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
