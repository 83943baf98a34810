import { describe, expect, it } from 'vitest';
import { verifyIdentityToken } from '../../../server/auth/identity-token.js';
import { signTestIdentity } from '../../helpers/test-server.js';

const site = { secretKey: 'sk_test_secret', siteKey: 'pk_this_site' };
const NOW = Date.parse('2026-03-01T12:00:00Z');
const S = Math.floor(NOW / 1000);
const sign = (claims: Record<string, unknown>) => signTestIdentity(site.secretKey, { sub: 'user-1', ...claims }, NOW);

/** The refusal's message, or 'accepted'. */
function verdict(token: string) {
  try {
    verifyIdentityToken(token, site, NOW);
    return 'accepted';
  } catch (error) {
    expect(error).toMatchObject({ code: 'UNAUTHORIZED' });
    return (error as Error).message;
  }
}

describe('identity tokens', () => {
  it('accepts a fresh token and reports when it expires', () => {
    const identity = verifyIdentityToken(sign({ email: 'a@example.com' }), site, NOW);
    expect(identity).toEqual({ externalId: 'user-1', email: 'a@example.com', name: undefined, expiresAt: (S + 3600) * 1000 });
  });

  it('refuses a token not valid yet (nbf in the future), allowing 60 s of clock skew', () => {
    expect(verdict(sign({ nbf: S + 120 }))).toMatch(/not valid yet/);
    expect(verdict(sign({ nbf: S + 59 }))).toBe('accepted');
    expect(verdict(sign({ nbf: S - 10 }))).toBe('accepted');
  });

  it('refuses a token issued in the future (iat), allowing 60 s of clock skew', () => {
    expect(verdict(sign({ iat: S + 120 }))).toMatch(/issued in the future/);
    expect(verdict(sign({ iat: S + 59 }))).toBe('accepted');
  });

  it('refuses a token that lives longer than 24 hours', () => {
    expect(verdict(sign({ exp: S + 25 * 3600 }))).toMatch(/longer than 24 hours/);
    expect(verdict(sign({ exp: S + 24 * 3600 }))).toBe('accepted');
  });

  it('accepts aud only when absent or this site key', () => {
    expect(verdict(sign({ aud: 'pk_this_site' }))).toBe('accepted');
    expect(verdict(sign({ aud: 'pk_another_site' }))).toMatch(/audience/);
    expect(verdict(sign({ aud: ['pk_this_site'] }))).toMatch(/audience/);
  });

  it('refuses claims of the wrong type, saying which', () => {
    expect(verdict(sign({ sub: 42 }))).toBe('Identity token refused: the sub claim is not a string');
    expect(verdict(sign({ sub: undefined }))).toBe('Identity token refused: the sub claim is missing');
    expect(verdict(sign({ exp: String(S + 60) }))).toMatch(/the exp claim is not a number/);
    expect(verdict(sign({ nbf: 'soon' }))).toMatch(/the nbf claim is not a number/);
    expect(verdict(sign({ email: 7 }))).toMatch(/the email claim is not a string/);
  });

  it('decodes base64url strictly: a padded, re-spelled or altered signature is refused', () => {
    const token = sign({});
    const [h, p, sig] = token.split('.') as [string, string, string];
    expect(verdict(`${h}.${p}.${sig}=`)).toMatch(/bad signature/);
    expect(verdict(`${h}.${p}.${sig}.`)).toMatch(/not a JWT/);
    // Base64 with + and / instead of - and _: lenient decoders accept it as the same bytes.
    const standard = Buffer.from(sig, 'base64url').toString('base64').replace(/=+$/, '');
    if (standard !== sig) expect(verdict(`${h}.${p}.${standard}`)).toMatch(/bad signature/);
    // The last character carries spare bits: changing them keeps the bytes for a lenient decoder.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(Buffer.from(`${sig.slice(0, -1)}${sibling}`, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    expect(verdict(`${h}.${p}.${sig.slice(0, -1)}${sibling}`)).toMatch(/bad signature/);
    expect(verdict(`${h}.${p}.${sig.slice(0, -2)}!${last}`)).toMatch(/bad signature/);
    expect(verdict(`${h}=.${p}.${sig}`)).toMatch(/not a JWT/);
  });
});
