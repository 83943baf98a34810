import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentStorage } from './attachment-storage.js';

const SAFE_ID = /^att_[A-Za-z0-9_-]+$/;

/** Files in a folder, one per attachment, named by id; written to a temporary name and renamed, so a file is whole or absent. */
export function folderStorage(dir: string): AttachmentStorage {
  const pathOf = (id: string) => {
    if (!SAFE_ID.test(id)) throw new Error(`not an attachment id: ${id}`);
    return join(dir, id);
  };
  let made: Promise<unknown> | null = null;
  return {
    kind: 'folder',
    async write(id, source) {
      await (made ??= mkdir(dir, { recursive: true, mode: 0o700 }));
      const path = pathOf(id);
      const partial = `${path}.part`;
      try {
        await pipeline(Readable.from(source), createWriteStream(partial, { mode: 0o600 }));
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },
    async read(id) {
      const path = pathOf(id);
      const found = await stat(path).catch(() => null);
      return found ? createReadStream(path, { highWaterMark: 256 * 1024 }) : null;
    },
    async delete(id) {
      await rm(pathOf(id), { force: true });
    },
  };
}
