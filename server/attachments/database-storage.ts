import type { AttachmentStore } from '../store/store.js';
import { inPieces, type AttachmentStorage } from './attachment-storage.js';

/** A row holds this much: big enough to be few rows, small enough to stream. */
const PIECE_BYTES = 256 * 1024;

/** Bytes in the database, in pieces of 256 KB, so servers without a shared disk all reach them. */
export function databaseStorage(store: AttachmentStore): AttachmentStorage {
  return {
    kind: 'database',
    async write(id, source) {
      await store.deletePieces(id);
      let part = 0;
      try {
        for await (const piece of inPieces(source, PIECE_BYTES)) await store.writePiece(id, part++, piece);
      } catch (error) {
        await store.deletePieces(id);
        throw error;
      }
    },
    async read(id) {
      const first = await store.readPiece(id, 0);
      if (!first) return null;
      return (async function* () {
        yield first;
        for (let part = 1; ; part++) {
          const next = await store.readPiece(id, part);
          if (!next) return;
          yield next;
        }
      })();
    },
    delete: (id) => store.deletePieces(id),
  };
}
