/**
 * Where an attachment's bytes live. Two implementations keep it: a folder beside the
 * database (the default for SQLite) and the database itself (the default for PostgreSQL,
 * where several servers may share no disk). test/server/attachments/storage-contract.ts
 * holds both to the same behaviour. The store keeps what a file is; this keeps its bytes.
 */
export interface AttachmentStorage {
  readonly kind: 'folder' | 'database';
  /** Stores the bytes under `id`, replacing any there; rejects (keeping nothing) if the source fails. */
  write(id: string, source: AsyncIterable<Uint8Array>): Promise<void>;
  /** The bytes, in order; null when there are none under `id`. */
  read(id: string): Promise<AsyncIterable<Uint8Array> | null>;
  /** Forgets the bytes; nothing to forget is not an error. */
  delete(id: string): Promise<void>;
}

/** Pieces of at most `size` bytes from any source, so a database row or a write never grows with the file. */
export async function* inPieces(source: AsyncIterable<Uint8Array>, size: number): AsyncIterable<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const chunk of source) {
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (heldBytes + rest.length >= size) {
      const take = size - heldBytes;
      held.push(rest.subarray(0, take));
      yield Buffer.concat(held);
      rest = rest.subarray(take);
      held = [];
      heldBytes = 0;
    }
    if (rest.length > 0) {
      held.push(Buffer.from(rest));
      heldBytes += rest.length;
    }
  }
  if (heldBytes > 0) yield Buffer.concat(held);
}
