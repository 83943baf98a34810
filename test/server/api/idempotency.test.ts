import { describe, expect, it } from 'vitest';
import { HOUR, rawPost, startTestServer } from '../../helpers/test-server.js';

describe('idempotent creates', () => {
  it('answers a retry with the first ticket even when the address has used up its create limit', async () => {
    const t = await startTestServer({ rateLimits: { ticketCreates: { limit: 2, windowMs: 60_000 } } });
    try {
      const c = await t.customer();
      const first = await c.api.tickets.create.mutate({ subject: 'One', message: 'x', idempotencyKey: 'key-one-0001' });
      await c.api.tickets.create.mutate({ subject: 'Two', message: 'x', idempotencyKey: 'key-two-0002' });
      const third = await rawPost(t.url, 'tickets.create', { subject: 'Three', message: 'x', idempotencyKey: 'key-three-03' }, { authorization: `Bearer ${c.token}` });
      expect(third.status).toBe(429);

      // The network ate the answer to the first create: its retry gets the ticket, not RATE_LIMITED.
      const retry = await c.api.tickets.create.mutate({ subject: 'One', message: 'x', idempotencyKey: 'key-one-0001' });
      expect(retry.id).toBe(first.id);
      expect((await c.api.tickets.list.query()).items).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('honours a key for the configured time only, and the sweeper then deletes it', async () => {
    const t = await startTestServer({ idempotencyTtlMs: 2 * HOUR });
    try {
      const c = await t.customer();
      const input = { subject: 'Once', message: 'x', idempotencyKey: 'key-once-0001' };
      const first = await c.api.tickets.create.mutate(input);
      t.clock.advance(HOUR);
      expect((await c.api.tickets.create.mutate(input)).id).toBe(first.id);

      t.clock.advance(HOUR + 1);
      await t.server.sweep();
      const idem = { scope: c.customer.id, key: input.idempotencyKey, notBefore: 0 };
      // Gone from the table: not even a lookup that would accept any age finds it.
      await expect(t.store.idempotentTicket({ ...idem, bodyHash: 'whatever' })).resolves.toBeNull();
      const later = await c.api.tickets.create.mutate(input);
      expect(later.id).not.toBe(first.id);
    } finally {
      await t.close();
    }
  });

  it('treats an expired key as new even before the sweeper has run', async () => {
    const t = await startTestServer({ idempotencyTtlMs: HOUR });
    try {
      const c = await t.customer();
      const input = { subject: 'Stale', message: 'x', idempotencyKey: 'key-stale-001' };
      const first = await c.api.tickets.create.mutate(input);
      t.clock.advance(HOUR + 1);
      const second = await c.api.tickets.create.mutate({ ...input, message: 'a different body is no mismatch now' });
      expect(second.id).not.toBe(first.id);
      // And the key now stands for the new ticket.
      expect((await c.api.tickets.create.mutate({ ...input, message: 'a different body is no mismatch now' })).id).toBe(second.id);
    } finally {
      await t.close();
    }
  });
});
