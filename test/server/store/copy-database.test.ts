/**
 * Moving up: a SQLite database with every kind of row (and 100,000 tickets) is
 * copied to PostgreSQL and back, each copy verified by counts and checksums; the
 * copy serves, its event ids resume where they were, and a non-empty target is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { created } from '../../../server/lifecycle/lifecycle.js';
import { copyDatabase, type CopiedTable } from '../../../server/store/copy-database.js';
import { createPostgresStore } from '../../../server/store/postgres/postgres-store.js';
import { createSqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { TABLES, type Store } from '../../../server/store/store.js';
import { freshPostgresDatabase, SKIP_POSTGRES } from '../../helpers/postgres.js';
import { PNG } from '../../helpers/sample-files.js';
import { startTestServer, tempDbPath, type TestServer } from '../../helpers/test-server.js';

const TICKETS = 100_000;

describe.skipIf(SKIP_POSTGRES)('copying a whole database between SQLite and PostgreSQL', { timeout: 300_000 }, () => {
  let source: TestServer;
  let postgres: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const back = tempDbPath();
  let toPostgres: CopiedTable[];

  beforeAll(async () => {
    // Every kind of row, made the way users make them: sessions, agents, a thread through its lifecycle, webhooks, a purge.
    source = await startTestServer({ mail: { smtpUrl: 'smtp://127.0.0.1:1', from: 'help@shop.test', publicUrl: 'http://help.test' }, attachments: { storage: 'database' } });
    const customer = await source.customer({ userId: 'u1', email: 'ann@example.test', name: 'Ann' });
    const agent = await source.agent();
    await agent.api.agent.webhooks.create.mutate({ url: 'http://127.0.0.1:1/hook', events: ['ticket.created', 'ticket.resolved'] });
    const thread = await customer.api.tickets.create.mutate({ subject: 'Everything', message: 'Hello', email: 'ann@example.test', idempotencyKey: 'create-everything-1' });
    // A file whose bytes live in the database: 600 KB, three pieces.
    const upload = await fetch(`${source.url}/attachments?name=photo.png`, { method: 'POST', headers: agent.headers(), body: Buffer.concat([PNG, Buffer.alloc(600 * 1024)]) });
    const file = (await upload.json()) as { id: string };
    await agent.api.agent.tickets.reply.mutate({ ticketId: thread.id, message: 'Hi Ann', attachmentIds: [file.id] });
    await agent.api.agent.tickets.resolve.mutate({ ticketId: thread.id, message: 'Solved' });
    await customer.api.tickets.confirmResolution.mutate({ ticketId: thread.id, rating: 5 });
    const doomed = await customer.api.tickets.create.mutate({ subject: 'Spam', message: 'x' });
    await agent.api.agent.tickets.delete.mutate({ ticketId: doomed.id });
    await agent.api.agent.tickets.purge.mutate({ ticketId: doomed.id });
    await source.server.deliverWebhooks();

    // And bulk: 100,000 tickets with their first message and event, through the store.
    const store = source.store;
    const at = source.clock.now();
    for (let i = 0; i < TICKETS; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, TICKETS - i) }, (_, j) =>
          store.createTicket({
            siteId: source.site.id,
            customerId: customer.customer.id,
            subject: `Bulk ${i + j}`,
            body: `Body ${i + j}`,
            actor: { kind: 'customer', id: customer.customer.id },
            messageAuthor: { kind: 'customer', id: customer.customer.id },
            event: created(at + i + j),
          }),
        ),
      );
    }
    postgres = await freshPostgresDatabase();
  }, 300_000);
  afterAll(async () => {
    await source?.close();
    await postgres?.drop();
    back.cleanup();
  });

  async function withStores<T>(from: Store, to: Store, fn: (from: Store, to: Store) => Promise<T>) {
    try {
      return await fn(from, to);
    } finally {
      await to.close();
      if (from !== source.store) await from.close();
    }
  }

  it('copies SQLite to PostgreSQL, verified: every table, every row', async () => {
    toPostgres = await withStores(source.store, createPostgresStore(postgres.url), copyDatabase);
    const rows = Object.fromEntries(toPostgres.map((t) => [t.table, t.rows]));
    expect(toPostgres.map((t) => t.table)).toEqual([...TABLES]);
    expect(rows.tickets).toBe(TICKETS + 1);
    expect(rows.events).toBeGreaterThan(TICKETS);
    for (const table of ['sites', 'customers', 'customer_sessions', 'agents', 'messages', 'purge_records', 'webhook_endpoints', 'webhook_deliveries', 'webhook_attempts', 'email_addresses', 'emails', 'idempotency_keys', 'attachments', 'attachment_chunks'] as const) {
      expect(rows[table], table).toBeGreaterThan(0);
    }
  });

  it('refuses a target that holds anything', async () => {
    const again = copyDatabase(source.store, createPostgresStore(postgres.url));
    await expect(again).rejects.toThrow(/is not empty \(1 in sites, .*\): copy only into an empty database/);
  });

  it('serves from the copy: the same tickets, event ids resuming after the copied ones', async () => {
    const copy = createPostgresStore(postgres.url);
    try {
      const maxBefore = await source.store.maxEventId();
      expect(await copy.maxEventId()).toBe(maxBefore);
      const page = await copy.listSiteTickets(source.site.id, { q: 'Everything' }, { limit: 5 });
      expect(page.items.map((t) => t.status)).toEqual(['closed']);
      const made = await copy.createTicket({
        siteId: source.site.id,
        customerId: page.items[0]!.customerId,
        subject: 'After the move',
        body: 'x',
        actor: { kind: 'customer', id: page.items[0]!.customerId },
        messageAuthor: { kind: 'customer', id: page.items[0]!.customerId },
        event: created(source.clock.now()),
      });
      expect(made.eventIds[0]).toBe(maxBefore + 1);
    } finally {
      await copy.close();
    }
  });

  it('copies back to a new SQLite file with the same checksums', async () => {
    const fresh = await freshPostgresDatabase();
    try {
      // The copy as it was, before the test above wrote to it: copied again from the source first.
      await withStores(source.store, createPostgresStore(fresh.url), copyDatabase);
      const toSqlite = await withStores(createPostgresStore(fresh.url), createSqliteStore(back.path), copyDatabase);
      expect(toSqlite).toEqual(toPostgres);
    } finally {
      await fresh.drop();
    }
  });
});
