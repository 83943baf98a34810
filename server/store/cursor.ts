import { invalid } from '../lifecycle/errors.js';

/** Keyset cursors: the (time, id) of the last row seen (activity for tickets, creation for deliveries), opaque to clients. */
export function encodeCursor(at: number, id: string) {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): [number, string] | null {
  if (!cursor) return null;
  let at: unknown;
  let id: unknown;
  try {
    [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
  } catch {
    throw invalid('cursor', 'cursor is not one this server gave out');
  }
  if (typeof at !== 'number' || typeof id !== 'string') throw invalid('cursor', 'cursor is not one this server gave out');
  return [at, id];
}

/** One page of `limit` rows (fetched as limit + 1) and the cursor to the next, if there is one. */
export function keysetPage<T extends { id: string }>(rows: T[], limit: number, at: (row: T) => number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(at(last), last.id) : null };
}
