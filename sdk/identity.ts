import { toBase64Url } from './base64.js';

const encoder = new TextEncoder();
const part = (value: unknown) => toBase64Url(encoder.encode(JSON.stringify(value)));

/**
 * The identity JWT (HS256) a site's backend renders into the page, so the
 * widget and the customer client can sign a customer in as this user. Claims:
 * `sub` (your user id), `email`, `name`, `iat`, `exp` (one hour by default).
 * Web Crypto only: no JWT library.
 */
export async function signIdentity(
  secretKey: string,
  user: { id: string; email?: string; name?: string },
  options: { expiresInSeconds?: number; now?: number } = {},
): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const claims = {
    sub: user.id,
    ...(user.email !== undefined ? { email: user.email } : {}),
    ...(user.name !== undefined ? { name: user.name } : {}),
    iat,
    exp: iat + (options.expiresInSeconds ?? 3600),
  };
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  const key = await crypto.subtle.importKey('raw', encoder.encode(secretKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(unsigned));
  return `${unsigned}.${toBase64Url(new Uint8Array(signature))}`;
}
