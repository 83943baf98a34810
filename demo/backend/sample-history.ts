/**
 * A month of made-up support work for the demo's dashboard, written through the store
 * with the times it happened at (the lifecycle decides every step, the sweeper runs on
 * the same simulated clock, so auto-closes and missed targets land when they would have).
 * Only on a new demo site; CLOSELOOP_DEMO_SAMPLES=0 starts empty.
 */
import { created, type Command, type Priority } from '../../server/lifecycle/lifecycle.js';
import type { ActorRef, SiteRow, Store } from '../../server/store/store.js';
import { decider } from '../../server/tickets/act.js';
import { sweep } from '../../server/tickets/sweeper.js';
import { seededRandom } from './seeded-random.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const SUBJECTS: Record<string, string[]> = {
  orders: ['Where is my parcel?', 'Wrong size delivered', 'Can I change my address?', 'Order arrived damaged'],
  billing: ['Charged twice', 'Need an invoice with VAT', 'Refund not received yet', 'Card declined at checkout'],
  account: ['Cannot sign in', 'Change my email address', 'Delete my account', 'Password reset link expired'],
};

type Step = { at: number; ticket: number; actor: 'customer' | 'agent'; command: Command };

export async function writeSampleHistory(store: Store, site: SiteRow, agentId: string, now: number): Promise<number> {
  // Seeded: every new demo gets the same month.
  const rnd = seededRandom(2026);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const minutes = (low: number, high: number) => Math.round((low + (high - low) * rnd() ** 2) * MIN);
  const start = now - 30 * DAY;
  const openings: { at: number; topic: string }[] = [];
  const followUps: { at: number; of: number }[] = [];
  const steps: Step[] = [];

  for (let day = 0; day < 30; day++) {
    const weekday = new Date(start + day * DAY).getUTCDay();
    const count = weekday === 0 || weekday === 6 ? 3 + Math.floor(rnd() * 3) : 8 + Math.floor(rnd() * 7);
    for (let i = 0; i < count; i++) {
      const at = start + day * DAY + Math.floor((7 + rnd() * 14) * HOUR);
      if (at > now - HOUR) continue;
      const ticket = openings.push({ at, topic: pick(Object.keys(SUBJECTS)) }) - 1;
      const add = (delay: number, actor: Step['actor'], command: Command) => steps.push({ at: at + delay, ticket, actor, command });
      if (rnd() < 0.12) add(minutes(1, 20), 'agent', { action: 'setPriority', priority: pick<Priority>(['high', 'urgent']) });
      if (rnd() < 0.2) add(minutes(1, 30), 'agent', { action: 'setTags', tags: [pick(['vip', 'refund', 'bug'])] });
      add(minutes(2, 30), 'agent', { action: 'assign', assigneeId: agentId });
      const firstReply = minutes(8, 420);
      add(firstReply, 'agent', { action: 'reply', body: 'Thanks for writing, we are on it.' });
      const rest = rnd();
      // Some wait on the customer's answer, some on a supplier: the backlog has an age.
      if (rest < 0.05) continue;
      if (rest < 0.09) {
        add(firstReply + minutes(5, 60), 'agent', { action: 'postpone', until: at + firstReply + (3 + Math.floor(rnd() * 20)) * DAY });
        continue;
      }
      const resolved = firstReply + minutes(30, 1800);
      add(resolved, 'agent', { action: 'resolve', body: rnd() < 0.6 ? 'This should be sorted now: please confirm.' : undefined });
      const answer = rnd();
      if (answer < 0.58) {
        const confirmed = resolved + minutes(10, 2000);
        add(confirmed, 'customer', { action: 'confirmResolution', rating: rnd() < 0.75 ? pick([5, 5, 5, 4, 4, 3, 2]) : undefined });
        // Now and then it comes back: reopened, or a follow-up about the same thing.
        if (rnd() < 0.07) add(confirmed + minutes(60, 4000), 'customer', { action: 'reopen', reason: 'It happened again.' });
        else if (rnd() < 0.04) followUps.push({ at: confirmed + minutes(60, 6000), of: ticket });
      } else if (answer < 0.72) {
        const rejected = resolved + minutes(20, 900);
        add(rejected, 'customer', { action: 'rejectResolution', body: 'Sorry, it is still not working.' });
        const again = rejected + minutes(20, 600);
        add(again, 'agent', { action: 'reply', body: 'Let us try once more.' });
        add(again + minutes(10, 300), 'agent', { action: 'resolve' });
      }
      // Otherwise no word from the customer: the auto-close rule closes it after 72 hours.
    }
  }

  const customers = [];
  for (let i = 0; i < 40; i++) {
    // No addresses: made-up customers get no email (the demo inbox stays yours).
    customers.push(await store.upsertCustomer(site.id, { externalId: `sample-${i + 1}`, name: `Sample customer ${i + 1}` }, start));
  }
  const ids: (string | null)[] = openings.map(() => null);
  const agenda = [
    ...openings.map((o, ticket) => ({ at: o.at, ticket, open: true as const })),
    ...followUps.map((f) => ({ at: f.at, ticket: f.of, followUp: true as const })),
    ...steps,
  ].sort((a, b) => a.at - b.at);
  let sweptTo = start;
  for (const item of agenda) {
    if (item.at > now) break;
    // The sweeper, every two simulated hours: auto-closes and missed targets at their time.
    while (sweptTo + 2 * HOUR <= item.at) {
      sweptTo += 2 * HOUR;
      await sweep({ store, now: () => sweptTo, hub: { changed: () => undefined } });
    }
    const customer = customers[item.ticket % customers.length]!;
    const customerActor: ActorRef = { kind: 'customer', id: customer.id };
    if ('open' in item) {
      const { topic } = openings[item.ticket]!;
      const { ticket } = await store.createTicket({
        siteId: site.id,
        customerId: customer.id,
        subject: pick(SUBJECTS[topic]!),
        body: 'Hello, I need some help with this.',
        contactName: customer.name,
        topicId: topic,
        actor: customerActor,
        messageAuthor: customerActor,
        event: created(item.at, topic),
      });
      ids[item.ticket] = ticket.id;
      continue;
    }
    const ticketId = ids[item.ticket];
    if (!ticketId) continue;
    if ('followUp' in item) {
      const old = await store.getTicket({ siteId: site.id, ticketId });
      if (old?.status !== 'closed') continue;
      await store.createTicket({
        siteId: site.id,
        customerId: customer.id,
        subject: `Follow-up: ${old.subject}`,
        body: 'About my earlier ticket: there is one more thing.',
        contactName: customer.name,
        topicId: old.topicId,
        actor: customerActor,
        messageAuthor: customerActor,
        event: created(item.at, old.topicId),
        followUpOf: { ticketId, decide: (row, s, followUpId) => decider({ action: 'createFollowUp', followUpId }, customerActor, item.at)(row, s) },
      });
      continue;
    }
    const actor: ActorRef = item.actor === 'agent' ? { kind: 'agent', id: agentId } : customerActor;
    // A step the ticket no longer allows (the auto-close came first) is simply skipped.
    await store.applyToTicket({ siteId: site.id, ticketId }, actor, decider(item.command, actor, item.at)).catch(() => undefined);
  }
  while (sweptTo + 2 * HOUR <= now) {
    sweptTo += 2 * HOUR;
    await sweep({ store, now: () => sweptTo, hub: { changed: () => undefined } });
  }
  return openings.length;
}
