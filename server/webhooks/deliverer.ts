/**
 * Sends the outbox: claims due deliveries, signs them, POSTs them, and records
 * each attempt. Retries with exponential backoff; a 410 Gone disables the
 * endpoint. Addresses that resolve to private, loopback or link-local space are
 * refused at connect time (after DNS, so a rebinding name cannot sneak in)
 * unless private webhooks are allowed.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { signWebhook } from '../../sdk/webhooks.js';
import type { Store, WebhookDeliveryRow, WebhookEndpointRow } from '../store/store.js';

/** Seconds to wait after the 1st, 2nd… failed attempt; after the last, the delivery fails for good. */
export const BACKOFF_SECONDS = [5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600];
const TIMEOUT_MS = 10_000;
const LEASE_MS = 60_000;

const PRIVATE = new net.BlockList();
for (const [net4, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  PRIVATE.addSubnet(net4, bits, 'ipv4');
}
for (const [net6, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net6, bits, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, 'ipv4');
  return PRIVATE.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
}

class RefusedAddress extends Error {}

function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as dns.LookupAddress[];
      if (!allowPrivate && list.some((a) => isPrivateAddress(a.address))) {
        return callback(new RefusedAddress(`${hostname} resolves to a private address`), '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}

interface Outcome {
  statusCode: number | null;
  error: string | null;
}

function post(url: URL, headers: Record<string, string>, body: string, allowPrivate: boolean, timeoutMs: number, signal: AbortSignal): Promise<Outcome> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !allowPrivate && isPrivateAddress(host)) {
    return Promise.resolve({ statusCode: null, error: `refused: ${host} is a private address` });
  }
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    const req = send(url, { method: 'POST', headers, lookup: guardedLookup(allowPrivate), timeout: timeoutMs, signal }, (res) => {
      res.resume();
      res.on('end', () => resolve({ statusCode: res.statusCode ?? null, error: null }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on('error', (error) =>
      resolve({ statusCode: null, error: error instanceof RefusedAddress ? `refused: ${error.message}` : error.message }),
    );
    req.end(body);
  });
}

async function signatures(endpoint: WebhookEndpointRow, id: string, seconds: number, body: string, now: number) {
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret && (endpoint.previousSecretExpiresAt ?? 0) > now) secrets.push(endpoint.previousSecret);
  return (await Promise.all(secrets.map((s) => signWebhook(s, id, seconds, body)))).join(' ');
}

export interface DelivererOptions {
  store: Store;
  now: () => number;
  allowPrivate: boolean;
  /** Endpoints served at once; each gets its events one at a time, in order. */
  concurrency?: number;
  /** How long one endpoint may take to answer. */
  timeoutMs?: number;
}

/** Deliveries one endpoint's lane claims at a time. */
const BATCH = 10;

/**
 * Sends the outbox through a bounded pool of lanes, one per endpoint: a slow or
 * unreachable endpoint holds only its own lane, never another site's deliveries,
 * and each endpoint still gets its events one at a time, in the order they happened.
 */
export function createDeliverer(opts: DelivererOptions) {
  const { store, now, allowPrivate } = opts;
  const concurrency = opts.concurrency ?? 8;
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
  // A claimed batch stays leased for as long as its lane could take to send it all.
  const leaseMs = LEASE_MS + BATCH * timeoutMs;
  const lanes = new Map<string, Promise<number>>();
  // On stop, requests under way are cut (their attempt is recorded and retried later) and no lane claims more.
  const stopping = new AbortController();

  async function deliver(delivery: WebhookDeliveryRow, endpoint: WebhookEndpointRow) {
    const started = now();
    const seconds = Math.floor(started / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Closeloop-Webhooks/1',
      'webhook-id': delivery.id,
      'webhook-timestamp': String(seconds),
      'webhook-signature': await signatures(endpoint, delivery.id, seconds, delivery.payload, started),
    };
    const clockStart = performance.now();
    const outcome = await post(new URL(endpoint.url), headers, delivery.payload, allowPrivate, timeoutMs, stopping.signal);
    const durationMs = Math.round(performance.now() - clockStart);
    const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const gone = outcome.statusCode === 410;
    const attempt = delivery.attempts + 1;
    const wait = BACKOFF_SECONDS[attempt - 1];
    await store.recordDeliveryAttempt({
      deliveryId: delivery.id,
      endpointId: endpoint.id,
      at: started,
      statusCode: outcome.statusCode,
      error: outcome.error ?? (ok ? null : `HTTP ${outcome.statusCode}`),
      durationMs,
      status: ok ? 'delivered' : gone || wait === undefined ? 'failed' : 'pending',
      nextAttemptAt: ok || gone || wait === undefined ? started : started + wait * 1000,
      disableEndpoint: gone ? 'The endpoint answered 410 Gone' : null,
    });
    return { ok, gone };
  }

  /** One endpoint's lane: its due deliveries, one at a time, until none is due. Resolves with how many were delivered. */
  async function runLane(endpointId: string) {
    let delivered = 0;
    while (!stopping.signal.aborted) {
      const batch = await store.claimDueDeliveries(endpointId, now(), BATCH, leaseMs);
      if (batch.length === 0) return delivered;
      for (const { delivery, endpoint } of batch) {
        const { ok, gone } = await deliver(delivery, endpoint);
        if (ok) delivered++;
        // The rest of the batch was failed with the endpoint.
        if (gone) return delivered;
      }
    }
    return delivered;
  }

  /** Starts lanes for endpoints with due deliveries, up to the pool's size; never waits for them. */
  async function startLanes(onLaneDone: (delivered: number) => void = () => {}) {
    const free = concurrency - lanes.size;
    if (free <= 0 || stopping.signal.aborted) return 0;
    const endpoints = await store.dueEndpoints(now(), [...lanes.keys()], free);
    let started = 0;
    for (const endpointId of endpoints) {
      // Another call may have started it (or filled the pool) while this one was reading.
      if (lanes.has(endpointId) || lanes.size >= concurrency) continue;
      started++;
      const lane = runLane(endpointId)
        .then((delivered) => {
          onLaneDone(delivered);
          return delivered;
        })
        .finally(() => {
          lanes.delete(endpointId);
        });
      lanes.set(endpointId, lane);
    }
    return started;
  }

  return {
    /**
     * The server's timer: starts whatever lanes have room and returns at once, so a
     * stalled endpoint never holds up the next round for everyone else. A lane that
     * finishes starts the next waiting endpoint.
     */
    pump(onError: (error: unknown) => void) {
      const next = (): void => void startLanes(() => next()).catch(onError);
      next();
    },

    /** Sends everything due now and waits for it; resolves with how many were delivered (tests, CLI). */
    async deliverDue(): Promise<number> {
      let delivered = 0;
      const count = (n: number) => (delivered += n);
      for (;;) {
        await startLanes(count);
        if (lanes.size === 0) return delivered;
        await Promise.race(lanes.values()).catch(() => undefined);
      }
    },

    /** Cuts the requests under way (each is recorded as a failed attempt, retried later) and waits for the lanes to end. */
    async stop() {
      stopping.abort();
      while (lanes.size > 0) await Promise.allSettled(lanes.values());
    },
  };
}
