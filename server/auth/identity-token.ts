import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../lifecycle/errors.js';

export interface Identity {
  externalId: string;
  email?: string | undefined;
  name?: string | undefined;
}

const refuse = (why: string) => new DomainError('UNAUTHORIZED', `Identity token refused: ${why}`);

function decodePart(part: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
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

/**
 * Verifies an HS256 identity JWT signed with the site's secret key by the
 * site's backend. Only HS256 is accepted (never `none`), `exp` is required.
 */
export function verifyIdentityToken(token: string, secretKey: string, nowMs: number): Identity {
  const parts = token.split('.');
  if (parts.length !== 3) throw refuse('it is not a JWT');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodePart(headerPart);
  if (header.alg !== 'HS256') throw refuse('only HS256 is accepted');

  const expected = createHmac('sha256', secretKey).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('bad signature');

  const claims = decodePart(payloadPart);
  if (typeof claims.exp !== 'number') throw refuse('the exp claim is missing');
  if (claims.exp * 1000 <= nowMs) throw refuse('it has expired');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 255) {
    throw refuse('the sub claim is missing');
  }
  return {
    externalId: claims.sub,
    email: optionalString(claims.email, 'email'),
    name: optionalString(claims.name, 'name'),
  };
}
