import { DomainError } from '../lifecycle/errors.js';
import type { ActorRef, AttachmentRow, SiteRow } from '../store/store.js';
import { attachmentSettings } from './attachment-settings.js';

/** Whose uploads an actor may use: its own only. */
export const uploaderOf = (actor: Pick<ActorRef, 'kind' | 'id'>) => `${actor.kind}:${actor.id ?? ''}`;

/**
 * Checks, inside the transaction that writes the message, that every attachment may be
 * used: the actor's own upload on this site, not used yet, within the site's limits. The
 * same answer for an id that does not exist and one of someone else, so ids reveal nothing.
 */
export function checkClaim(site: SiteRow, actor: ActorRef, ids: string[], rows: AttachmentRow[], ticketBytes: number) {
  const limits = attachmentSettings(site);
  if (new Set(ids).size !== ids.length) throw new DomainError('VALIDATION', 'The same attachment is listed twice', { field: 'attachmentIds' });
  if (ids.length > limits.maxFiles) {
    throw new DomainError('ATTACHMENT_LIMIT', `At most ${limits.maxFiles} files can go with one message`, { field: 'attachmentIds', maxFiles: limits.maxFiles });
  }
  const uploader = uploaderOf(actor);
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of ids) {
    const row = byId.get(id);
    if (!row || row.siteId !== site.id || row.uploader !== uploader || row.state !== 'pending') {
      throw new DomainError('NOT_FOUND', 'Attachment not found, or already sent with another message; upload it again', { field: 'attachmentIds', attachmentId: id });
    }
  }
  const adding = rows.reduce((sum, r) => sum + r.size, 0);
  if (ticketBytes + adding > limits.maxBytesPerTicket) {
    throw new DomainError('ATTACHMENT_TOO_LARGE', 'This ticket has no room for these files; send a link to them instead', {
      field: 'attachmentIds',
      maxBytesPerTicket: limits.maxBytesPerTicket,
    });
  }
}
