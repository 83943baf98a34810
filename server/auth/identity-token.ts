import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../lifecycle/errors.js';

export interface Identity {
  externalId: string;
  email?: string | undefined;
  name?: string | undefined;
  /** When the token itself expires (ms); recorded with the session it starts. */
  expiresAt: number;
}

/** Clocks of the site's backend and this server may disagree by this much. */
export const CLOCK_LEEWAY_MS = 60_000;
/** The longest-lived identity token accepted: a leaked one must not work for weeks. */
export const MAX_IDENTITY_LIFETIME_MS = 24 * 3_600_000;

const refuse = (why: string) => new DomainError('UNAUTHORIZED', `Identity token refused: ${why}`);

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Base64url bytes, strictly: no padding, no stray characters, no second spelling of the same bytes. */
function strictBase64url(part: string): Buffer | null {
  if (!BASE64URL.test(part) || part.length % 4 === 1) return null;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : null;
}

function decodeJson(part: string): Record<string, unknown> {
  const bytes = strictBase64url(part);
  try {
    const value: unknown = bytes && JSON.parse(bytes.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through to the refusal below
  }
  throw refuse('it is not a JWT');
}

const optionalString = (value: unknown, claim: string) => {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length <= 320) return value;
  throw refuse(`the ${claim} claim is not a string`);
};

/** A NumericDate claim in ms; absent is undefined, anything but a number is refused. */
function time(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw refuse(`the ${claim} claim is not a number`);
  return value * 1000;
}

/**
 * Verifies an HS256 identity JWT signed with the site's secret key by the
 * site's backend. Only HS256 is accepted (never `none`); `exp` is required and
 * at most 24 hours away; `nbf` and `iat` may not be in the future; `aud`, when
 * present, must be this site's key. Every part is strict base64url.
 */
export function verifyIdentityToken(token: string, site: { secretKey: string; siteKey: string }, nowMs: number): Identity {
  const parts = token.split('.');
  if (parts.length !== 3) throw refuse('it is not a JWT');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  if (header.alg !== 'HS256') throw refuse('only HS256 is accepted');

  const expected = createHmac('sha256', site.secretKey).update(`${headerPart}.${payloadPart}`).digest();
  const given = strictBase64url(signaturePart);
  if (!given || given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('bad signature');

  const claims = decodeJson(payloadPart);
  const exp = time(claims, 'exp');
  if (exp === undefined) throw refuse('the exp claim is missing');
  if (exp <= nowMs) throw refuse('it has expired');
  if (exp > nowMs + MAX_IDENTITY_LIFETIME_MS + CLOCK_LEEWAY_MS) throw refuse('it lives longer than 24 hours');
  const nbf = time(claims, 'nbf');
  if (nbf !== undefined && nbf > nowMs + CLOCK_LEEWAY_MS) throw refuse('it is not valid yet (nbf is in the future)');
  const iat = time(claims, 'iat');
  if (iat !== undefined && iat > nowMs + CLOCK_LEEWAY_MS) throw refuse('it was issued in the future (iat)');
  if (claims.aud !== undefined && claims.aud !== site.siteKey) throw refuse('it is meant for another audience (aud is not this site key)');
  if (claims.sub === undefined) throw refuse('the sub claim is missing');
  if (typeof claims.sub !== 'string') throw refuse('the sub claim is not a string');
  if (claims.sub.length === 0 || claims.sub.length > 255) throw refuse('the sub claim must be 1 to 255 characters');
  return {
    externalId: claims.sub,
    email: optionalString(claims.email, 'email'),
    name: optionalString(claims.name, 'name'),
    expiresAt: exp,
  };
}
