import { toBase64Url } from './base64.js';
import { CloseloopError } from './errors.js';

const encoder = new TextEncoder();
const part = (value: unknown) => toBase64Url(encoder.encode(JSON.stringify(value)));

const MAX_LIFETIME_SECONDS = 24 * 3600;

/**
 * The identity JWT (HS256) a site's backend renders into the page, so the
 * widget and the customer client can sign a customer in as this user. Claims:
 * `sub` (your user id), `email`, `name`, `iat`, `exp` (one hour by default, at
 * most 24 hours: the server refuses longer), and `aud` when you name your site
 * key as `audience` (then no other site accepts it). Web Crypto only: no JWT library.
 */
export async function signIdentity(
  secretKey: string,
  user: { id: string; email?: string; name?: string },
  options: { expiresInSeconds?: number; audience?: string; now?: number } = {},
): Promise<string> {
  const lifetime = options.expiresInSeconds ?? 3600;
  if (!(lifetime > 0 && lifetime <= MAX_LIFETIME_SECONDS)) {
    throw new CloseloopError('VALIDATION', 'expiresInSeconds must be more than 0 and at most 86400 (24 hours)', 0, { field: 'expiresInSeconds' });
  }
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const claims = {
    sub: user.id,
    ...(user.email !== undefined ? { email: user.email } : {}),
    ...(user.name !== undefined ? { name: user.name } : {}),
    ...(options.audience !== undefined ? { aud: options.audience } : {}),
    iat,
    exp: iat + lifetime,
  };
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  const key = await crypto.subtle.importKey('raw', encoder.encode(secretKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(unsigned));
  return `${unsigned}.${toBase64Url(new Uint8Array(signature))}`;
}
