import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { appRouter } from '../api/app-router.js';
import { idempotencyTtlFromEnv } from '../api/idempotency.js';
import type { AppDeps, Context } from '../api/context.js';
import { createLiveHub } from '../live/live-hub.js';
import { createStreamTickets } from '../live/stream-tickets.js';
import type { Store } from '../store/store.js';
import { openStore } from '../store/open-store.js';
import { sweep } from '../tickets/sweeper.js';
import { rebuildMetrics } from '../analytics/rebuild-metrics.js';
import { createRateLimiter, type RateLimit } from './rate-limiter.js';
import { aboutPage } from './about-page.js';
import { correlationIdOf } from './correlation-id.js';
import { createRpcHandler } from './rpc-handler.js';
import { createDeliverer } from '../webhooks/deliverer.js';
import { createWidgetFiles } from './widget-files.js';
import { createEmailLinks } from './email-links.js';
import { createPortalPage } from './portal-page.js';
import { mailConfig, type MailOptions } from '../mail/mail-config.js';
import { createMailWorker, type MailTransport } from '../mail/mail-worker.js';
import { startInboundSmtp } from '../mail/inbound-smtp.js';
import { attachmentStorages, type AttachmentStorageOptions } from '../attachments/attachment-storages.js';
import { createAttachmentRoutes } from './attachment-routes.js';
import { scanCommand } from '../attachments/scan-command.js';

export interface ServerOptions {
  /** A SQLite file path (created and migrated when missing), or an open store. */
  db?: string | Store;
  /** A postgres:// URL instead of `db`: several servers can share it (tables created and migrated when missing). */
  databaseUrl?: string;
  /** The clock, injectable for tests. */
  now?: () => number;
  /** How often `serve` runs the sweeper; 0 turns it off. Default: CLOSELOOP_SWEEP_INTERVAL_MS or 60000. */
  sweepIntervalMs?: number;
  rateLimits?: { anonymousSessions?: RateLimit; ticketCreates?: RateLimit; uploads?: RateLimit };
  maxBodyBytes?: number;
  maxBatchSize?: number;
  /** Take the client address from X-Forwarded-For's first entry (only behind your own proxy, which must set it). Default: CLOSELOOP_TRUST_PROXY=1. */
  trustProxy?: boolean;
  /** How often live streams look for changes made by other processes. */
  livePollMs?: number;
  /** How often queued webhooks are sent; 0 turns it off. Default: CLOSELOOP_WEBHOOK_INTERVAL_MS or 1000. */
  webhookIntervalMs?: number;
  /** Endpoints sent to at once (each still gets its events in order). Default 8. */
  webhookConcurrency?: number;
  /** How long a webhook endpoint may take to answer. Default 10 s. */
  webhookTimeoutMs?: number;
  /** Deliver webhooks to private, loopback and link-local addresses (demo, tests). Default: CLOSELOOP_ALLOW_PRIVATE_WEBHOOKS=1. */
  allowPrivateWebhooks?: boolean;
  /** How long a create's idempotency key is honoured, then deleted by the sweeper. Default: CLOSELOOP_IDEMPOTENCY_TTL_HOURS or 24 h. */
  idempotencyTtlMs?: number;
  /** Email to customers (SMTP out, replies in); by default from CLOSELOOP_SMTP_URL and the other CLOSELOOP_MAIL_… variables. */
  mail?: (MailOptions & { transport?: MailTransport }) | undefined;
  /** The API's public address, for links in answers (attachments). Default: CLOSELOOP_PUBLIC_URL, else the address each request came to. */
  publicUrl?: string;
  /** Where attachments' bytes go: by default a folder beside the SQLite file, or the database itself for PostgreSQL. */
  attachments?: AttachmentStorageOptions & {
    /** A command that checks each upload before release, the file on its stdin, answering as `clamdscan -` does (0 clean, 1 infected). Default: CLOSELOOP_ATTACHMENTS_SCAN. */
    scan?: string | undefined;
  };
  /** Where unexpected errors are reported; they never reach clients. */
  logError?: (message: string, error: unknown) => void;
  /** Where the server reports work it did on its own (default: standard output). */
  log?: (message: string) => void;
}

const DEFAULT_LIMITS = {
  anonymousSessions: { limit: 30, windowMs: 60_000 },
  ticketCreates: { limit: 10, windowMs: 60_000 },
  uploads: { limit: 60, windowMs: 60_000 },
};

const envNumber = (name: string) => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
};

/** Every JSON answer: never sniffed as anything else by a browser. */
const JSON_HEADERS = { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' };
/** What the server answers at all; anything else (TRACE, PUT, CONNECT…) is a 405. */
const SERVED_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { ...JSON_HEADERS, ...headers });
  res.end(JSON.stringify(body));
}

/** The Closeloop server: the tRPC API at /trpc, /healthz, and the sweeper. Mountable in any Node app via `handle`. */
export function createServer(options: ServerOptions) {
  const now = options.now ?? Date.now;
  if (options.db !== undefined && options.databaseUrl !== undefined) throw new Error('choose one database: `db` (SQLite) and `databaseUrl` (PostgreSQL) are both set');
  const ownsStore = typeof options.db !== 'object';
  const store =
    typeof options.db === 'object'
      ? options.db
      : openStore(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : { db: options.db ?? './data/closeloop.db' }, { checkpointEveryMs: 20 });
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1024;
  const logError = options.logError ?? ((message, error) => console.error(message, error));
  const log = options.log ?? ((message) => console.log(message));
  const limits = {
    anonymousSessions: createRateLimiter(
      'sessions',
      options.rateLimits?.anonymousSessions ?? {
        limit: envNumber('CLOSELOOP_RATE_ANON_SESSIONS') ?? DEFAULT_LIMITS.anonymousSessions.limit,
        windowMs: 60_000,
      },
      store,
      now,
    ),
    ticketCreates: createRateLimiter(
      'creates',
      options.rateLimits?.ticketCreates ?? {
        limit: envNumber('CLOSELOOP_RATE_TICKET_CREATES') ?? DEFAULT_LIMITS.ticketCreates.limit,
        windowMs: 60_000,
      },
      store,
      now,
    ),
  };
  const uploads = createRateLimiter(
    'uploads',
    options.rateLimits?.uploads ?? { limit: envNumber('CLOSELOOP_RATE_UPLOADS') ?? DEFAULT_LIMITS.uploads.limit, windowMs: 60_000 },
    store,
    now,
  );
  const files = attachmentStorages(store, {
    storage: options.attachments?.storage ?? (process.env.CLOSELOOP_ATTACHMENTS_STORAGE as 'folder' | 'database' | undefined),
    dir: options.attachments?.dir ?? process.env.CLOSELOOP_ATTACHMENTS_DIR,
  });
  const hub = createLiveHub(store, options.livePollMs ?? 1000);
  const webhooks = createDeliverer({
    store,
    now,
    allowPrivate: options.allowPrivateWebhooks ?? process.env.CLOSELOOP_ALLOW_PRIVATE_WEBHOOKS === '1',
    concurrency: options.webhookConcurrency,
    timeoutMs: options.webhookTimeoutMs,
  });
  const idempotencyTtlMs = options.idempotencyTtlMs ?? idempotencyTtlFromEnv();
  const mail = mailConfig(options.mail);
  store.emails.setLimits(mail?.limits ?? null);
  // Reply addresses go out only when something receives them: this server's listener, or one named by CLOSELOOP_REPLY_DOMAIN.
  const replyByEmail = options.mail?.inboundPort !== undefined || Boolean(options.mail?.replyDomain ?? process.env.CLOSELOOP_REPLY_DOMAIN);
  const mailWorker = mail && createMailWorker({ store, now, config: mail, replyByEmail, transport: options.mail?.transport, logError });
  const app: AppDeps = { store, now, hub, webhooks, files, streamTickets: createStreamTickets(store, now), limits, idempotencyTtlMs, mail: mail && { config: mail } };
  const emailLinks = mail && createEmailLinks({ store, now, publicUrl: mail.publicUrl, changed: () => hub.changed() });
  const portalPage = createPortalPage(store);
  let inbound: Awaited<ReturnType<typeof startInboundSmtp>> | null = null;

  // CORS answers need the origins every site allows; a short cache keeps that off the hot path.
  let origins = { set: new Set<string>(), at: -Infinity };
  async function knownOrigin(origin: string | undefined) {
    if (!origin) return false;
    if (Date.now() - origins.at > 2_000) origins = { set: new Set(await store.allOrigins()), at: Date.now() };
    return origins.set.has(origin);
  }

  const trustProxy = options.trustProxy ?? process.env.CLOSELOOP_TRUST_PROXY === '1';
  const clientIp = (req: http.IncomingMessage) => {
    const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
    const first = typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined;
    return first || req.socket.remoteAddress || 'unknown';
  };

  const configuredUrl = (options.publicUrl ?? process.env.CLOSELOOP_PUBLIC_URL)?.replace(/\/+$/, '');
  const header = (req: http.IncomingMessage, name: string) => (req.headers[name] as string | undefined)?.split(',')[0]?.trim();
  /** The address this request reached: behind your own proxy, the one it forwarded. */
  const publicUrlOf = (req: http.IncomingMessage) =>
    configuredUrl ??
    `${(trustProxy && header(req, 'x-forwarded-proto')) || ('encrypted' in req.socket ? 'https' : 'http')}://${(trustProxy && header(req, 'x-forwarded-host')) || req.headers.host || 'localhost'}`;

  const maxBatchSize = options.maxBatchSize ?? 20;
  const contextOf = (req: http.IncomingMessage, connectionParams: Context['connectionParams']): Context => ({
    app,
    headers: req.headers,
    ip: clientIp(req),
    connectionParams,
    publicUrl: publicUrlOf(req),
  });
  const reportError = (error: TRPCError, path: string | undefined) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') logError(`closeloop: ${path ?? 'request'} failed [${correlationIdOf(error)}]`, error.cause ?? error);
  };
  const rpc = createRpcHandler({
    router: appRouter,
    maxBatchSize,
    maxBodyBytes,
    createContext: contextOf,
    onError: reportError,
    headers: { vary: 'trpc-accept, accept, Origin', 'x-content-type-options': 'nosniff' },
  });
  // tRPC's own adapter answers what the lean handler leaves: streaming batches, odd methods and content types, unknown paths.
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: maxBodyBytes,
    maxBatchSize,
    createContext: ({ req, info }): Context => contextOf(req, info.connectionParams),
    responseMeta: () => ({ headers: new Headers([['vary', 'Origin'], ['x-content-type-options', 'nosniff']]) }),
    onError: ({ error, path }) => reportError(error, path),
  });

  const widgetFiles = createWidgetFiles();
  const scan = options.attachments?.scan ?? process.env.CLOSELOOP_ATTACHMENTS_SCAN;
  const attachmentRoutes = createAttachmentRoutes({ files, now, contextOf: (req) => contextOf(req, null), takeUpload: (ip) => uploads.take(ip), scan: scan ? scanCommand(scan) : undefined });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (!SERVED_METHODS.has(req.method ?? '')) {
      return json(res, 405, { error: { message: `${req.method} is not served here`, data: { code: 'VALIDATION', httpStatus: 405 } } }, { allow: 'GET, HEAD, POST, OPTIONS' });
    }
    if (path === '/healthz') return json(res, 200, { ok: true });
    if (path === '/' && req.method !== 'POST') return aboutPage(res);
    // Browsers ask every server for one: an empty answer, not a 404 in the console.
    if (path === '/favicon.ico') return void res.writeHead(204, { 'cache-control': 'max-age=86400' }).end();
    if (widgetFiles(req, res, path)) return;
    if (emailLinks && (await emailLinks(req, res, path))) return;
    if (await portalPage(req, res, path)) return;
    const api = path.startsWith('/trpc/') || path === '/attachments' || path.startsWith('/attachments/');
    if (!api) return json(res, 404, { error: { message: 'Not found', data: { code: 'NOT_FOUND' } } });

    const origin = req.headers.origin;
    if (await knownOrigin(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin!);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      // Agent calls never come from a browser, so their header is never allowed here.
      if (res.hasHeader('Access-Control-Allow-Origin')) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, trpc-accept, last-event-id');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.writeHead(204).end();
      return;
    }
    const search = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    // Uploads have their own, per-site size limit, checked before the body is read.
    if (await attachmentRoutes(req, res, path, search)) return;
    if (!path.startsWith('/trpc/')) return json(res, 404, { error: { message: 'Not found', data: { code: 'NOT_FOUND' } } });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      res.setHeader('connection', 'close');
      return json(res, 413, { error: { message: 'Request body too large', data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 } } });
    }
    if (await rpc(req, res, path.slice('/trpc/'.length), search)) return;
    await trpc(req, res);
  }

  const listener: http.RequestListener = (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const correlationId = correlationIdOf(error instanceof Object ? error : new Error(String(error)));
      logError(`closeloop: ${req.method} ${(req.url ?? '/').split('?')[0]} failed [${correlationId}]`, error);
      if (!res.headersSent) json(res, 500, { error: { message: 'Internal server error', data: { code: 'INTERNAL', correlationId } } });
      else res.destroy();
    });
  };
  const server = http.createServer(listener);

  let sweeping: Promise<unknown> | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let stopNotifications: (() => Promise<void>) | null = null;
  let deliverTimer: NodeJS.Timeout | null = null;
  const runDeliveries = () => webhooks.pump((error) => logError('closeloop: webhook delivery failed', error));
  const runSweep = () => {
    sweeping ??= sweep(app, { idempotencyTtlMs })
      .catch((error: unknown) => logError('closeloop: sweep failed', error))
      .finally(() => {
        sweeping = null;
      });
    return sweeping;
  };

  let closing = false;
  let backfilling: Promise<unknown> | null = null;
  /** Tickets made before this version kept metrics get their tallies and facts from their events. */
  const backfillMetrics = async () => {
    const started = performance.now();
    const tickets = await rebuildMetrics(store, { untracked: true, stopped: () => closing });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (tickets > 0) log(`closeloop: metrics for ${tickets} ticket${tickets === 1 ? '' : 's'} made before they were kept, recomputed from their events in ${seconds} s`);
    return tickets;
  };

  return {
    app,
    store,
    server,
    /** A request listener for mounting inside an existing Node HTTP server. */
    handle: listener,
    /** Runs the due rules once, now. */
    sweep: () => sweep(app, { idempotencyTtlMs }),
    /** Recomputes the metrics of tickets that have none yet (done in the background on listen); resolves with how many. */
    backfillMetrics,
    /** Sends the emails that are due, now; resolves with how many were tried (0 without SMTP). */
    deliverEmails: async () => (mailWorker ? mailWorker.pump() : 0),
    /** The inbound SMTP listener's port, once listening (null when it is off). */
    get inboundSmtpPort() {
      return inbound?.port ?? null;
    },
    /** Sends the webhooks that are due, now; resolves with how many were delivered. */
    deliverWebhooks: () => webhooks.deliverDue(),
    /** Opens the database, listens, starts the sweeper and catches up on metrics; resolves with the bound address. */
    async listen(port = 8787, host = '127.0.0.1') {
      await store.ready();
      // Events committed by other servers on the same database wake this server's live streams at once.
      stopNotifications ??= await store.onNewEvents(() => hub.changed());
      return new Promise<{ port: number; host: string; url: string }>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
          server.off('listening', onListening);
          reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use`) : error);
        };
        const onListening = async () => {
          server.off('error', onError);
          if (mail && options.mail?.inboundPort !== undefined) {
            try {
              inbound = await startInboundSmtp({ store, now, replyDomain: mail.replyDomain, port: options.mail.inboundPort, host: options.mail.inboundHost ?? host, changed: () => hub.changed(), logError });
            } catch (error) {
              server.close();
              return reject(error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new Error(`SMTP port ${options.mail.inboundPort} is already in use`) : error);
            }
          }
          mailWorker?.start(mail!.intervalMs);
          const address = server.address() as AddressInfo;
          const interval = options.sweepIntervalMs ?? envNumber('CLOSELOOP_SWEEP_INTERVAL_MS') ?? 60_000;
          if (interval > 0) {
            sweepTimer = setInterval(runSweep, interval);
            sweepTimer.unref();
          }
          // After an upgrade, in the background: safe beside live changes and on several servers at once.
          backfilling = backfillMetrics().catch((error: unknown) => logError('closeloop: recomputing earlier tickets\' metrics failed', error));
          const deliverEvery = options.webhookIntervalMs ?? envNumber('CLOSELOOP_WEBHOOK_INTERVAL_MS') ?? 1000;
          if (deliverEvery > 0) {
            deliverTimer = setInterval(runDeliveries, deliverEvery);
            deliverTimer.unref();
          }
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ port: address.port, host: address.address, url: `http://${shownHost}:${address.port}` });
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(port, host);
      });
    },
    /** Stops accepting, ends live streams, waits for a running sweep, closes the database it opened. */
    async close() {
      closing = true;
      if (sweepTimer) clearInterval(sweepTimer);
      if (deliverTimer) clearInterval(deliverTimer);
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await sweeping;
      await backfilling;
      await webhooks.stop();
      await mailWorker?.stop();
      await inbound?.close();
      await stopNotifications?.();
      if (ownsStore) await store.close();
    },
  };
}

export type CloseloopServer = ReturnType<typeof createServer>;
