/**
 * Which email a ticket change asks for. Pure: the store calls it inside the
 * transaction that makes the change, so the outbox row commits with it.
 */
export type EmailKind = 'receipt' | 'reply' | 'resolution' | 'auto_closed' | 'sign_in';

/** Kinds an address nobody has proven may get: they carry the link that proves it. */
export const UNPROVEN_KINDS: ReadonlySet<EmailKind> = new Set(['receipt', 'sign_in']);

interface ChangeFacts {
  type: string;
  actorKind: string;
  /** The change carried a message customers see. */
  publicMessage: boolean;
}

export function emailFor(change: ChangeFacts): EmailKind | null {
  if (change.type === 'created') return 'receipt';
  if (change.type === 'resolved') return 'resolution';
  if (change.type === 'auto_closed') return 'auto_closed';
  if (change.type === 'replied' && change.actorKind === 'agent' && change.publicMessage) return 'reply';
  return null;
}
