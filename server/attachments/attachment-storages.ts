import { dirname, join } from 'node:path';
import type { Store } from '../store/store.js';
import type { AttachmentStorage } from './attachment-storage.js';
import { databaseStorage } from './database-storage.js';
import { folderStorage } from './folder-storage.js';

export interface AttachmentStorageOptions {
  /** Where new uploads go. Default: a folder beside a SQLite file; the database itself for PostgreSQL (servers may share no disk). */
  storage?: 'folder' | 'database' | undefined;
  /** The folder, when files go to one. Default: `attachments/` beside the SQLite file. */
  dir?: string | undefined;
}

/**
 * The storage new uploads go to, and the one that holds any stored file (each row says
 * which), so a site that moves from a folder to the database still serves and deletes
 * its older files.
 */
export function attachmentStorages(store: Store, options: AttachmentStorageOptions = {}) {
  const fileDb = store.dialect === 'sqlite' && store.location !== ':memory:';
  const dir = options.dir ?? (fileDb ? join(dirname(store.location), 'attachments') : null);
  const kind = options.storage ?? (fileDb || options.dir ? 'folder' : 'database');
  if (kind === 'folder' && !dir) throw new Error('attachments in a folder need the folder: set the attachments directory');
  const folder = dir ? folderStorage(dir) : null;
  const database = databaseStorage(store.attachments);
  return {
    current: kind === 'folder' ? folder! : database,
    of: (stored: string): AttachmentStorage | null => (stored === 'folder' ? folder : stored === 'database' ? database : null),
  };
}

export type AttachmentStorages = ReturnType<typeof attachmentStorages>;

/** An unused upload is deleted after a day; one never finished (its writer died), after an hour. */
export const UNUSED_TTL_MS = 24 * 3_600_000;
const UNFINISHED_TTL_MS = 3_600_000;

/**
 * Deletes the bytes, then the rows, of doomed files (purged tickets), of uploads never
 * used, and of uploads never finished. Safe on several servers at once: deleting twice
 * is harmless. Resolves with how many went.
 */
export async function sweepAttachments(store: Store, storages: AttachmentStorages, now: number, batch = 100) {
  let removed = 0;
  for (;;) {
    const due = await store.attachments.dueForDeletion({ staleBefore: now - UNFINISHED_TTL_MS, unusedBefore: now - UNUSED_TTL_MS }, batch);
    if (due.length === 0) return removed;
    const gone: string[] = [];
    for (const row of due) {
      const storage = storages.of(row.storage);
      // Bytes in a folder this process was not given stay until a server with the folder sweeps.
      if (!storage) continue;
      await storage.delete(row.id);
      gone.push(row.id);
    }
    await store.attachments.remove(gone);
    removed += gone.length;
    if (due.length < batch || gone.length === 0) return removed;
  }
}
