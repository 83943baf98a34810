/**
 * Webhook signatures in the Standard Webhooks form: `webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `${id}.${timestamp}.${body}`, keyed with the base64 part of a `whsec_` secret.
 * Built on Web Crypto, so it runs in Node and in browsers alike.
 */
import { fromBase64, toBase64 } from './base64.js';
import { CloseloopError } from './errors.js';

export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

const TOLERANCE_SECONDS = 5 * 60;
const encoder = new TextEncoder();

function hmacKey(secret: string, usage: 'sign' | 'verify') {
  const raw = fromBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

/** `v1,<signature>` for one secret. */
export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(new Uint8Array(signature))}`;
}

function header(headers: HeadersLike, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

const refuse = (why: string) => new CloseloopError('UNAUTHORIZED', `Webhook refused: ${why}`, 401);

/**
 * Checks a delivery and returns its parsed body. Accepts any of the signatures
 * sent (during a secret rotation there are two), compares in constant time,
 * and refuses timestamps more than five minutes off in either direction.
 */
export async function verifyWebhook<T = unknown>(
  secret: string,
  rawBody: string,
  headers: HeadersLike,
  options: { now?: number } = {},
): Promise<T> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw refuse('webhook-id, webhook-timestamp and webhook-signature are required');
  const seconds = Number(timestamp);
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (!Number.isInteger(seconds) || Math.abs(nowSeconds - seconds) > TOLERANCE_SECONDS) throw refuse('the timestamp is too old or too new');

  const key = await hmacKey(secret, 'verify');
  const signed = encoder.encode(`${id}.${timestamp}.${rawBody}`);
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',');
    if (version !== 'v1' || !value) continue;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = fromBase64(value);
    } catch {
      continue;
    }
    // subtle.verify compares in constant time.
    if (await crypto.subtle.verify('HMAC', key, bytes, signed)) return JSON.parse(rawBody) as T;
  }
  throw refuse('no signature matches');
}
