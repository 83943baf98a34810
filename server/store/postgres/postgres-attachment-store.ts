/**
 * The PostgreSQL rows behind `Store['attachments']`, and the claim a message write makes
 * inside its transaction: the uploads are locked (`FOR UPDATE`), so two messages racing
 * for one upload take turns and the second finds it used.
 */
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { dueForDeletion } from '../attachment-rows.js';
import { checkClaim } from '../../attachments/attachment-claims.js';
import type { ActorRef, AttachmentStore, SiteRow } from '../store.js';
import type { Q } from './postgres-store.js';
import { attachmentChunks, attachments } from './schema.js';

export function createPostgresAttachmentStore(deps: {
  transaction: <T>(fn: (q: Q) => Promise<T>) => Promise<T>;
  /** One statement on the pool, outside any transaction (the store's `read`): each of these writes is one statement. */
  single: <T>(fn: (q: Q) => Promise<T>) => Promise<T>;
}) {
  const { transaction, single } = deps;

  const store: AttachmentStore = {
    begin: (row) =>
      single(async (q) => {
        await q.insert(attachments).values({ ...row, state: 'uploading', size: 0, contentType: 'application/octet-stream' });
      }),
    finish: (id, file) =>
      single(async (q) => (await q.update(attachments).set({ ...file, state: 'pending' }).where(and(eq(attachments.id, id), eq(attachments.state, 'uploading'))).returning())[0] ?? null),
    get: (id) => single(async (q) => (await q.select().from(attachments).where(eq(attachments.id, id)))[0] ?? null),
    forMessages: (ids) =>
      ids.length === 0
        ? Promise.resolve([])
        : single((q) => q.select().from(attachments).where(and(inArray(attachments.messageId, ids), eq(attachments.state, 'used'))).orderBy(asc(attachments.createdAt), asc(attachments.id))),
    // SKIP LOCKED: rows a message is claiming right now are left for the next sweep, and servers sweeping at once take different rows.
    dueForDeletion: (cutoffs, limit) =>
      single((q) => {
        const due = q.select({ id: attachments.id }).from(attachments).where(dueForDeletion(attachments, cutoffs)).limit(limit).for('update', { skipLocked: true });
        return q.update(attachments).set({ state: 'doomed' }).where(inArray(attachments.id, due)).returning();
      }),
    remove: async (ids) => {
      if (ids.length > 0) await transaction((q) => q.delete(attachments).where(and(inArray(attachments.id, ids), ne(attachments.state, 'used'))));
    },
    writePiece: (id, part, data) =>
      single(async (q) => {
        await q.insert(attachmentChunks).values({ attachmentId: id, part, data });
      }),
    readPiece: (id, part) =>
      single(async (q) => (await q.select({ data: attachmentChunks.data }).from(attachmentChunks).where(and(eq(attachmentChunks.attachmentId, id), eq(attachmentChunks.part, part))))[0]?.data ?? null),
    deletePieces: (id) =>
      single(async (q) => {
        await q.delete(attachmentChunks).where(eq(attachmentChunks.attachmentId, id));
      }),
  };

  return {
    store,
    /** Inside a message's transaction: its attachments become the message's, or the write is refused. */
    async claim(q: Q, site: SiteRow, actor: ActorRef, ticketId: string, message: { id: string; internal: boolean }, ids: string[] | undefined) {
      if (!ids?.length) return;
      const rows = await q.select().from(attachments).where(inArray(attachments.id, [...ids].sort())).orderBy(asc(attachments.id)).for('update');
      const [used] = await q
        .select({ bytes: sql<string>`coalesce(sum(${attachments.size}), 0)` })
        .from(attachments)
        .where(and(eq(attachments.ticketId, ticketId), eq(attachments.state, 'used')));
      checkClaim(site, actor, ids, rows, Number(used?.bytes ?? 0));
      const claimed = { state: 'used', ticketId, messageId: message.id, internal: message.internal };
      await q.update(attachments).set(claimed).where(inArray(attachments.id, ids));
      // Their thumbnails go with them.
      await q.update(attachments).set(claimed).where(and(inArray(attachments.thumbnailOf, ids), eq(attachments.state, 'pending')));
    },
    /** Inside a purge's transaction: the ticket's files are marked for the sweeper, which deletes their bytes. */
    async doom(q: Q, ticketId: string) {
      await q.update(attachments).set({ state: 'doomed' }).where(eq(attachments.ticketId, ticketId));
    },
  };
}
