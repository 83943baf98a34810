import { createHmac, timingSafeEqual } from 'node:crypto';

/** A link lives at most this long; a leaked one dies soon. */
export const LINK_TTL_MS = 30 * 60_000;
/** Links made within one step share their expiry, so a thread read twice gives the same URLs (and the browser's cache works). */
const STEP_MS = 5 * 60_000;

/** Who a link was made for: a customer (only their public files), or the site's agents. */
export type Audience = `c:${string}` | 'a';

const signature = (key: string, id: string, audience: string, expires: number) =>
  createHmac('sha256', key).update(`closeloop-attachment\n${id}\n${audience}\n${expires}`).digest('base64url');

/** A download path for this caller, signed with the site's secret (which every server of the site knows). */
export function signLink(key: string, id: string, audience: Audience, now: number) {
  const expires = Math.floor(now / STEP_MS) * STEP_MS + LINK_TTL_MS;
  const query = new URLSearchParams({ a: audience, e: String(expires), s: signature(key, id, audience, expires) });
  return `/attachments/${id}?${query}`;
}

/** The audience a link was signed for, or null when it is forged, altered or expired. */
export function verifyLink(key: string, id: string, search: URLSearchParams, now: number): Audience | null {
  const audience = search.get('a') ?? '';
  const expires = Number(search.get('e'));
  const given = Buffer.from(search.get('s') ?? '');
  if (!(audience === 'a' || audience.startsWith('c:')) || !Number.isSafeInteger(expires) || expires <= now) return null;
  const expected = Buffer.from(signature(key, id, audience, expires));
  return given.length === expected.length && timingSafeEqual(given, expected) ? (audience as Audience) : null;
}
