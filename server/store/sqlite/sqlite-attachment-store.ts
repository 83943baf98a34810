/**
 * The SQLite rows behind `Store['attachments']`, and the claim a message write makes
 * (run inside the caller's transaction: better-sqlite3 has one connection).
 */
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { dueForDeletion } from '../attachment-rows.js';
import { checkClaim } from '../../attachments/attachment-claims.js';
import type { ActorRef, AttachmentStore, SiteRow } from '../store.js';
import type { Db } from './open-database.js';
import { attachmentChunks, attachments } from './schema.js';

export function createSqliteAttachmentStore(db: Db, immediate: <T>(fn: () => T) => Promise<T>) {
  const p = sql.placeholder;
  const piece = db
    .select({ data: attachmentChunks.data })
    .from(attachmentChunks)
    .where(and(eq(attachmentChunks.attachmentId, p('id')), eq(attachmentChunks.part, p('part'))))
    .prepare();

  const store: AttachmentStore = {
    begin: async (row) => {
      db.insert(attachments).values({ ...row, state: 'uploading', size: 0, contentType: 'application/octet-stream' }).run();
    },
    finish: async (id, file) =>
      immediate(() => db.update(attachments).set({ ...file, state: 'pending' }).where(and(eq(attachments.id, id), eq(attachments.state, 'uploading'))).returning().get() ?? null),
    get: async (id) => db.select().from(attachments).where(eq(attachments.id, id)).get() ?? null,
    forMessages: async (ids) =>
      ids.length === 0 ? [] : db.select().from(attachments).where(and(inArray(attachments.messageId, ids), eq(attachments.state, 'used'))).orderBy(asc(attachments.createdAt), asc(attachments.id)).all(),
    dueForDeletion: async (cutoffs, limit) =>
      immediate(() => {
        const due = db.select({ id: attachments.id }).from(attachments).where(dueForDeletion(attachments, cutoffs)).limit(limit).all();
        if (due.length === 0) return [];
        return db.update(attachments).set({ state: 'doomed' }).where(inArray(attachments.id, due.map((d) => d.id))).returning().all();
      }),
    remove: async (ids) => {
      if (ids.length > 0) await immediate(() => db.delete(attachments).where(and(inArray(attachments.id, ids), ne(attachments.state, 'used'))).run());
    },
    writePiece: async (id, part, data) => {
      db.insert(attachmentChunks).values({ attachmentId: id, part, data }).run();
    },
    readPiece: async (id, part) => (piece.get({ id, part }) as { data: Buffer } | undefined)?.data ?? null,
    deletePieces: async (id) => {
      db.delete(attachmentChunks).where(eq(attachmentChunks.attachmentId, id)).run();
    },
  };

  return {
    store,
    /** Inside a message's transaction: its attachments become the message's, or the write is refused. */
    claim(site: SiteRow, actor: ActorRef, ticketId: string, message: { id: string; internal: boolean }, ids: string[] | undefined) {
      if (!ids?.length) return;
      const rows = db.select().from(attachments).where(inArray(attachments.id, ids)).all();
      const used = db
        .select({ bytes: sql<number>`coalesce(sum(${attachments.size}), 0)` })
        .from(attachments)
        .where(and(eq(attachments.ticketId, ticketId), eq(attachments.state, 'used')))
        .get();
      checkClaim(site, actor, ids, rows, Number(used?.bytes ?? 0));
      const claimed = { state: 'used', ticketId, messageId: message.id, internal: message.internal };
      db.update(attachments).set(claimed).where(inArray(attachments.id, ids)).run();
      // Their thumbnails go with them.
      db.update(attachments).set(claimed).where(and(inArray(attachments.thumbnailOf, ids), eq(attachments.state, 'pending'))).run();
    },
    /** Inside a purge's transaction: the ticket's files are marked for the sweeper, which deletes their bytes. */
    doom(ticketId: string) {
      db.update(attachments).set({ state: 'doomed' }).where(eq(attachments.ticketId, ticketId)).run();
    },
  };
}

