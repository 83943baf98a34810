import { createHash, randomBytes } from 'node:crypto';

/** A prefixed random id; 96 bits is plenty for rows, tokens use more. */
export const newId = (prefix: string, bytes = 12) => `${prefix}_${randomBytes(bytes).toString('base64url')}`;

/** Secrets are looked up by hash, so a database leak does not leak live tokens. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** The fingerprint of a request body, to tell a retried create from a different one under the same idempotency key. */
export const bodyHash = (body: unknown) => sha256(JSON.stringify(body));
