/**
 * What every store must do, whatever database is under it: the contract the
 * routers rely on. `storeContract` runs it against a store factory: the SQLite
 * store (sqlite-store.test.ts) and the PostgreSQL store (postgres-store.test.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../../server/lifecycle/errors.js';
import { created, type Actor } from '../../../server/lifecycle/lifecycle.js';
import type { Store } from '../../../server/store/store.js';
import { decider } from '../../../server/tickets/act.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const customerActor = (id: string): Actor => ({ kind: 'customer', id });
const agentActor: Actor = { kind: 'agent', id: null };

export function storeContract(name: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>, options: { skip?: boolean } = {}) {
  describe.skipIf(options.skip)(`the ${name} store`, () => {
    let store: Store;
    let site: Awaited<ReturnType<Store['createSite']>>;
    let now = T0;

    beforeEach(async () => {
      const opened = await open();
      store = opened.store;
      now = T0;
      site = await store.createSite({ name: 'Contract shop', origins: ['https://shop.test'] }, now);
      return opened.close;
    });

    async function newCustomer() {
      return (await store.startSession({ siteId: site.id, identity: null }, now)).customer;
    }

    async function newTicket(customerId: string, extra: { subject?: string; contactEmail?: string; key?: string } = {}) {
      const made = await store.createTicket({
        siteId: site.id,
        customerId,
        subject: extra.subject ?? 'Parcel late',
        body: 'Where is it?',
        contactEmail: extra.contactEmail,
        actor: customerActor(customerId),
        messageAuthor: customerActor(customerId),
        event: created(now),
        idempotency: extra.key ? { scope: customerId, key: extra.key, bodyHash: 'h', notBefore: now - 1000 } : undefined,
      });
      return made.ticket;
    }

    it('finds a site by its public key and by its secret, never by a wrong one', async () => {
      expect((await store.siteByKey(site.siteKey))?.id).toBe(site.id);
      expect((await store.siteBySecret(site.secretKey))?.id).toBe(site.id);
      expect(await store.siteBySecret(`${site.secretKey}x`)).toBeNull();
      expect(await store.allOrigins()).toContain('https://shop.test');
    });

    it('keeps sessions by token, forgets a revoked one, and proves a verified identity’s address', async () => {
      const started = await store.startSession({ siteId: site.id, identity: { externalId: 'u1', email: 'Ann@Example.test', expiresAt: now + 60_000 } }, now);
      expect((await store.sessionByToken(started.token))?.customer.externalId).toBe('u1');
      await store.revokeSession(started.token, now);
      expect(await store.sessionByToken(started.token)).toBeNull();
    });

    it('creates a ticket once per idempotency key, and refuses the key for another body', async () => {
      const customer = await newCustomer();
      const first = await newTicket(customer.id, { key: 'key-0001' });
      const again = await newTicket(customer.id, { key: 'key-0001' });
      expect(again.id).toBe(first.id);
      const other = store.createTicket({
        siteId: site.id,
        customerId: customer.id,
        subject: 'x',
        body: 'y',
        actor: customerActor(customer.id),
        messageAuthor: customerActor(customer.id),
        event: created(now),
        idempotency: { scope: customer.id, key: 'key-0001', bodyHash: 'other', notBefore: now - 1000 },
      });
      await expect(other).rejects.toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });
    });

    it('creates many tickets at once, refusing only the ones that are wrong, each alone', async () => {
      const [ann, bob] = [await newCustomer(), await newCustomer()];
      const input = (customerId: string, subject: string, extra: Partial<Parameters<Store['createTicket']>[0]> = {}) =>
        store.createTicket({
          siteId: site.id,
          customerId,
          subject,
          body: `about ${subject}`,
          actor: customerActor(customerId),
          messageAuthor: customerActor(customerId),
          event: created(now),
          ...extra,
        });
      const key = (k: string, bodyHash = 'h') => ({ idempotency: { scope: bob.id, key: k, bodyHash, notBefore: now - 1000 } });
      const limit = { rateLimit: { key: `create:${ann.id}`, limit: 3, windowMs: 60_000, now } };
      const settled = await Promise.allSettled([
        ...['a1', 'a2', 'a3', 'a4', 'a5'].map((s) => input(ann.id, s, limit)),
        input(bob.id, 'b1', key('k1')),
        input(bob.id, 'b1 again', key('k1')),
        input(bob.id, 'b1 changed', key('k1', 'other')),
        input(bob.id, 'b2'),
        input(bob.id, 'nowhere', { siteId: 'site_nope' }),
      ]);
      const outcome = (s: PromiseSettledResult<Awaited<ReturnType<Store['createTicket']>>>) =>
        s.status === 'fulfilled' ? (s.value.created ? s.value.ticket.subject : `again ${s.value.ticket.subject}`) : (s.reason as DomainError).code;
      const outcomes = settled.map(outcome);
      expect(outcomes.slice(0, 5).filter((o) => o === 'RATE_LIMITED')).toHaveLength(2);
      expect(outcomes.slice(5)).toEqual(['b1', 'again b1', 'IDEMPOTENCY_MISMATCH', 'b2', 'NOT_FOUND']);
      // A create that throws halfway (here its follow-up's decide) fails alone, whatever it shared.
      const refusing = {
        followUpOf: {
          ticketId: settled[8]!.status === 'fulfilled' ? settled[8]!.value.ticket.id : '',
          decide: () => {
            throw new DomainError('REOPEN_WINDOW_EXPIRED', 'too late');
          },
        },
      };
      const second = await Promise.allSettled([input(bob.id, 'c1'), input(bob.id, 'c2', refusing), input(bob.id, 'c3', key('k1')), input(bob.id, 'c4')]);
      expect(second.map(outcome)).toEqual(['c1', 'REOPEN_WINDOW_EXPIRED', 'again b1', 'c4']);
      // Every ticket made has its opening message and its `created` event, numbered in order.
      const made = [...settled, ...second].flatMap((s) => (s.status === 'fulfilled' && s.value.created ? [s.value] : []));
      expect(made).toHaveLength(7);
      for (const { ticket, eventIds } of made) {
        const thread = (await store.thread({ siteId: site.id, ticketId: ticket.id }, { includeInternal: true }))!;
        expect(thread.messages.map((m) => m.body)).toEqual([`about ${ticket.subject}`]);
        expect(thread.events.map((e) => [e.id, e.type])).toEqual([[eventIds[0], 'created']]);
      }
      expect((await store.listSiteTickets(site.id, {}, { limit: 50 })).items).toHaveLength(7);
    });

    it('shows a customer only their own tickets, and those of an address they proved', async () => {
      const ann = await newCustomer();
      const bob = await newCustomer();
      const ticket = await newTicket(ann.id, { contactEmail: 'Ann@Example.test' });
      expect(await store.getTicket({ siteId: site.id, ticketId: ticket.id, customerId: bob.id })).toBeNull();
      expect((await store.getTicket({ siteId: site.id, ticketId: ticket.id, customerId: bob.id, email: 'ann@example.test' }))?.id).toBe(ticket.id);
      const list = await store.listCustomerTickets({ customerId: bob.id, siteId: site.id, email: 'ann@example.test' }, { limit: 10 });
      expect(list.items.map((t) => t.id)).toEqual([ticket.id]);
      expect((await store.listCustomerTickets({ customerId: bob.id, siteId: site.id, email: null }, { limit: 10 })).items).toEqual([]);
    });

    it('pages a customer’s tickets newest first by keyset, missing and repeating none', async () => {
      const customer = await newCustomer();
      const made: string[] = [];
      for (let i = 0; i < 7; i++) {
        now += 1000;
        made.push((await newTicket(customer.id, { subject: `T${i}` })).id);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listCustomerTickets({ customerId: customer.id, siteId: site.id, email: null }, { cursor, limit: 3 });
        seen.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...made].reverse());
    });

    it('filters the site’s tickets by status, assignee and subject (with LIKE’s wildcards taken literally)', async () => {
      const customer = await newCustomer();
      const percent = await newTicket(customer.id, { subject: '100% broken' });
      await newTicket(customer.id, { subject: '100 broken' });
      const found = await store.listSiteTickets(site.id, { q: '100%' }, { limit: 10 });
      expect(found.items.map((t) => t.id)).toEqual([percent.id]);
      expect((await store.listSiteTickets(site.id, { status: ['new'], assigneeId: null }, { limit: 10 })).items).toHaveLength(2);
    });

    it('applies a change only at the expected version: of two writers, one wins and the other is refused', async () => {
      const customer = await newCustomer();
      const ticket = await newTicket(customer.id);
      const reply = (n: number) =>
        store.applyToTicket({ siteId: site.id, ticketId: ticket.id }, agentActor, decider({ action: 'reply', body: `answer ${n}` }, agentActor, now, ticket.version));
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => reply(n)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
        expect(o.reason).toBeInstanceOf(DomainError);
        expect((o.reason as DomainError).code).toBe('VERSION_CONFLICT');
      }
      const { messages } = (await store.thread({ siteId: site.id, ticketId: ticket.id }, { includeInternal: true }))!;
      expect(messages).toHaveLength(2);
    });

    it('keeps internal notes out of the customer’s timeline and numbers events in the order they happened', async () => {
      const customer = await newCustomer();
      const ticket = await newTicket(customer.id);
      await store.applyToTicket({ siteId: site.id, ticketId: ticket.id }, agentActor, decider({ action: 'note', body: 'secret' }, agentActor, now));
      await store.applyToTicket({ siteId: site.id, ticketId: ticket.id }, agentActor, decider({ action: 'reply', body: 'hello' }, agentActor, now));
      expect((await store.thread({ siteId: site.id, ticketId: ticket.id }, { includeInternal: false }))!.messages.map((m) => m.body)).toEqual(['Where is it?', 'hello']);
      const events = await store.eventsAfter(0, 100, { customerId: customer.id });
      expect(events.map((e) => e.type)).toEqual(['created', 'note_added', 'replied']);
      expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
      expect(await store.maxEventId()).toBe(events.at(-1)!.id);
    });

    it('reads a thread as of one moment, even while replies are being written, and only for its owner', async () => {
      const customer = await newCustomer();
      const ticket = await newTicket(customer.id);
      const ref = { siteId: site.id, ticketId: ticket.id, customerId: customer.id };
      const replies = Array.from({ length: 20 }, (_, i) =>
        store.applyToTicket(ref, agentActor, decider({ action: 'reply', body: `answer ${i}` }, agentActor, now)),
      );
      const reads = Array.from({ length: 20 }, () => store.thread(ref, { includeInternal: false }));
      await Promise.all(replies);
      // Every change bumps the version and adds one event and here one message: a read that mixed
      // two moments would show a version that does not match what it lists.
      for (const thread of await Promise.all(reads)) {
        expect(thread!.events).toHaveLength(thread!.ticket.version);
        expect(thread!.messages).toHaveLength(thread!.ticket.version);
      }
      const thread = (await store.thread(ref, { includeInternal: false }))!;
      expect(thread.ticket).toEqual(await store.getTicket(ref));
      expect(thread.events).toEqual(await store.eventsAfter(0, 100, { customerId: customer.id }));
      expect(thread.messages.map((m) => [m.body, m.internal, typeof m.createdAt])).toContainEqual(['answer 19', false, 'number']);
      expect(await store.thread({ ...ref, customerId: (await newCustomer()).id }, { includeInternal: false })).toBeNull();
      expect(await store.thread({ ...ref, siteId: 'site_other' }, { includeInternal: true })).toBeNull();
    });

    it('writes a webhook delivery with the change, and leases it to one worker at a time', async () => {
      const endpoint = await store.createWebhookEndpoint({ siteId: site.id, url: 'https://hooks.test/', events: ['ticket.created'], secret: 'whsec_x' }, now);
      await newTicket((await newCustomer()).id);
      expect(await store.dueEndpoints(now, [], 10)).toEqual([endpoint.id]);
      const [first, second] = await Promise.all([store.claimDueDeliveries(endpoint.id, now, 10, 60_000), store.claimDueDeliveries(endpoint.id, now, 10, 60_000)]);
      expect(first.length + second.length).toBe(1);
    });

    it('queues an email with the change when mail is on, and leases it to one worker at a time', async () => {
      store.emails.setLimits({ unprovenPerHour: 3, perAddressPerHour: 20 });
      await newTicket((await newCustomer()).id, { contactEmail: 'cara@example.test' });
      const [a, b] = await Promise.all([store.emails.claimNext(now, 60_000), store.emails.claimNext(now, 60_000)]);
      const claimed = [a, b].filter((x) => x !== null);
      expect(claimed).toHaveLength(1);
      expect(claimed[0]).toMatchObject({ email: { to: 'cara@example.test', kind: 'receipt' } });
      await store.emails.recordSent(claimed[0]!.email.id, now, '<m@x>');
      expect((await store.emails.list(site.id, { status: 'sent' }, { after: null, limit: 10 })).map((e) => e.to)).toEqual(['cara@example.test']);
      store.emails.setLimits(null);
    });

    it('spends a stream ticket once, on any connection, and caps those outstanding per holder', async () => {
      const grant = { kind: 'customer', siteId: site.id, customerId: 'c', holder: 'ses:1', email: null };
      const issued = await store.issueStreamTicket('ses:1', grant, now, 60_000, 2);
      await store.issueStreamTicket('ses:1', grant, now, 60_000, 2);
      expect(await store.issueStreamTicket('ses:1', grant, now, 60_000, 2)).toBeNull();
      expect(await store.redeemStreamTicket(issued!.ticket, now)).toEqual(grant);
      expect(await store.redeemStreamTicket(issued!.ticket, now)).toBeNull();
      const late = await store.issueStreamTicket('ses:2', grant, now, 60_000, 2);
      expect(await store.redeemStreamTicket(late!.ticket, now + 60_000)).toBeNull();
    });

    it('counts requests in fixed windows, and starts again when a window is over', async () => {
      const counts = [];
      for (let i = 0; i < 3; i++) counts.push(await store.takeRateLimit('creates:1.2.3.4', 60_000, now));
      counts.push(await store.takeRateLimit('creates:1.2.3.4', 60_000, now + 60_000));
      expect(counts).toEqual([1, 2, 3, 1]);
      expect(await store.takeRateLimit('creates:5.6.7.8', 60_000, now)).toBe(1);
    });

    it('finds resolved tickets due for auto-close and nothing else', async () => {
      const ticket = await newTicket((await newCustomer()).id);
      await store.applyToTicket({ siteId: site.id, ticketId: ticket.id }, agentActor, decider({ action: 'resolve', body: undefined }, agentActor, now));
      expect(await store.dueForAutoClose(now + 71 * 3_600_000, 10)).toEqual([]);
      expect(await store.dueForAutoClose(now + 72 * 3_600_000, 10)).toEqual([ticket.id]);
    });
  });
}
