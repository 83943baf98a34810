import type { EmailRow } from '../store/store.js';

/** An email as the log shows it (the API's DTO). */
export function emailEntry(email: EmailRow) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: email.id,
    ticketId: email.ticketId,
    to: email.to,
    kind: email.kind,
    status: email.status as 'queued' | 'sent' | 'failed',
    attempts: email.attempts,
    lastError: email.lastError,
    createdAt: iso(email.createdAt)!,
    sentAt: iso(email.sentAt),
  };
}
