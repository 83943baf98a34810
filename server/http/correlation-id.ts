import { randomBytes } from 'node:crypto';

const ids = new WeakMap<object, string>();

/**
 * The id that ties a 5xx answer to the server's log line about it. Whichever of
 * the two (the logger or the error formatter) sees the failure first gives it
 * one; the other reads the same.
 */
export function correlationIdOf(error: object): string {
  let id = ids.get(error);
  if (!id) ids.set(error, (id = randomBytes(8).toString('hex')));
  return id;
}
