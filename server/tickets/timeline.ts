import { isCustomerEvent, type ActorKind, type EventType } from '../lifecycle/lifecycle.js';
import { attachmentItem, eventItem, messageItem, type AttachmentItem, type Person, type TimelineItem } from '../api/dto.js';
import { signLink } from '../attachments/signed-links.js';
import type { CustomerRow, SiteRow, Store, Thread } from '../store/store.js';

/** Events whose message already stands in the thread for them. */
const SHOWN_BY_MESSAGE = new Set<string>(['replied', 'note_added']);

/**
 * One time-ordered thread. A customer gets public messages and public events
 * only; an agent gets everything, internal notes included. `customer` is the
 * ticket's customer when the caller already has it. The thread comes from
 * `store.thread`, read with internal notes only for an agent.
 */
export async function buildTimeline(
  store: Store,
  { ticket, messages, events }: Thread,
  viewer: { audience: 'customer' | 'agent'; site: SiteRow; now: number; publicUrl?: string | undefined },
  customer?: CustomerRow | null,
): Promise<TimelineItem[]> {
  const { audience } = viewer;
  const forAgent = audience === 'agent';
  const visibleEvents = events.filter(
    (e) => !SHOWN_BY_MESSAGE.has(e.type) && (forAgent || isCustomerEvent(e.type as EventType)),
  );

  const agentIds = [...messages.map((m) => m.authorId), ...visibleEvents.map((e) => e.actorId)];
  const agentNames = new Map(
    (await store.agentsByIds([...new Set(agentIds.filter((id): id is string => id?.startsWith('ag_') ?? false))])).map(
      (a) => [a.id, a.name],
    ),
  );
  const owner = customer === undefined ? await store.getCustomer(ticket.customerId) : customer;
  const customerName = owner?.name ?? ticket.contactName ?? null;
  const person = (kind: string, id: string | null): Person => ({
    kind: kind as ActorKind,
    name: kind === 'agent' ? (id ? (agentNames.get(id) ?? null) : null) : kind === 'customer' ? customerName : null,
  });

  // Each link is signed for this viewer: a customer's works only for that customer, and only on public messages.
  const signedFor = audience === 'agent' ? 'a' : (`c:${customer?.id ?? ticket.customerId}` as const);
  const link = (id: string) => (viewer.publicUrl ?? '') + signLink(viewer.site.secretKey, id, signedFor, viewer.now);
  const rows = (await store.attachments.forMessages(messages.map((m) => m.id))).filter((row) => audience === 'agent' || !row.internal);
  const thumbnails = new Map(rows.filter((row) => row.thumbnailOf).map((row) => [row.thumbnailOf!, row.id]));
  const filesOf = new Map<string, AttachmentItem[]>();
  for (const row of rows) {
    if (row.thumbnailOf) continue;
    const thumbnail = thumbnails.get(row.id);
    const list = filesOf.get(row.messageId!) ?? [];
    list.push(attachmentItem(row, link(row.id), thumbnail ? link(thumbnail) : null));
    filesOf.set(row.messageId!, list);
  }

  // At the same instant an event reads before its message: "Reopened", then what the customer wrote.
  const items = [
    ...visibleEvents.map((e) => ({ at: e.at, order: 0, item: eventItem(e, person(e.actorKind, e.actorId), audience) })),
    ...messages.map((m) => ({ at: m.createdAt, order: 1, item: messageItem(m, person(m.authorKind, m.authorId), filesOf.get(m.id) ?? []) })),
  ];
  items.sort((a, b) => a.at - b.at || a.order - b.order);
  return items.map((i) => i.item);
}
