/**
 * One contract for every place attachments' bytes can live: a folder, and the database
 * (on SQLite, and on PostgreSQL when there is one to run on).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AttachmentStorage } from '../../../server/attachments/attachment-storage.js';
import { databaseStorage } from '../../../server/attachments/database-storage.js';
import { folderStorage } from '../../../server/attachments/folder-storage.js';
import { openStore } from '../../../server/store/open-store.js';
import { freshPostgresDatabase, SKIP_POSTGRES } from '../../helpers/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'closeloop-storage-'));
const cleanups: (() => unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function* from(...pieces: (Buffer | Error)[]) {
  for (const piece of pieces) {
    if (piece instanceof Error) throw piece;
    yield piece;
  }
}
async function bytesOf(storage: AttachmentStorage, id: string) {
  const source = await storage.read(id);
  if (!source) return null;
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const storages: [string, () => Promise<AttachmentStorage>][] = [
  ['a folder', async () => folderStorage(join(dir, 'files'))],
  [
    'the SQLite database',
    async () => {
      const store = openStore({ db: join(dir, 'closeloop.db') });
      await store.ready();
      cleanups.push(() => store.close());
      return databaseStorage(store.attachments);
    },
  ],
  ...(SKIP_POSTGRES
    ? []
    : [
        [
          'the PostgreSQL database',
          async () => {
            const database = await freshPostgresDatabase();
            const store = openStore({ databaseUrl: database.url });
            await store.ready();
            cleanups.push(database.drop, () => store.close());
            return databaseStorage(store.attachments);
          },
        ] as [string, () => Promise<AttachmentStorage>],
      ]),
];

describe.each(storages)('attachment bytes in %s', (_name, open) => {
  it('keeps a file’s bytes exactly, however it arrives, and forgets them on delete', async () => {
    const storage = await open();
    // 3 MB in odd-sized pieces: more than one of the database's 256 KB rows, none aligned.
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    const pieces = [];
    for (let at = 0; at < big.length; at += 100_003) pieces.push(big.subarray(at, at + 100_003));
    await storage.write('att_big', from(...pieces));
    expect((await bytesOf(storage, 'att_big'))!.equals(big)).toBe(true);

    await storage.write('att_big', from(Buffer.from('smaller now')));
    expect((await bytesOf(storage, 'att_big'))!.toString()).toBe('smaller now');
    await storage.delete('att_big');
    expect(await bytesOf(storage, 'att_big')).toBeNull();
    await storage.delete('att_big');
    expect(await bytesOf(storage, 'att_never')).toBeNull();
  });

  it('keeps nothing of a write whose source fails halfway', async () => {
    const storage = await open();
    await expect(storage.write('att_half', from(Buffer.alloc(300 * 1024, 7), new Error('the client went away')))).rejects.toThrow('went away');
    expect(await bytesOf(storage, 'att_half')).toBeNull();
    if (storage.kind === 'folder') expect(readdirSync(join(dir, 'files')).filter((f) => f.startsWith('att_half'))).toEqual([]);
  });
});
