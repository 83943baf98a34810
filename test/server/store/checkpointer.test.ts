import { statSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { created } from '../../../server/lifecycle/lifecycle.js';
import { createSqliteStore as createStore } from '../../../server/store/sqlite/sqlite-store.js';
import { tempDbPath } from '../../helpers/test-server.js';

describe('background checkpoints', () => {
  it('copies committed pages into the database file from its own thread, while the writer never checkpoints', async () => {
    const db = tempDbPath();
    const store = createStore(db.path, { checkpointEveryMs: 10 });
    try {
      const site = await store.createSite({ name: 'Shop', origins: [] }, 0);
      const { customer } = await store.startSession({ siteId: site.id, identity: null }, 0);
      const sizeBefore = statSync(db.path).size;
      const actor = { kind: 'customer' as const, id: customer.id };
      // About 2 MB of tickets: well under the writer's own 10000-page backstop.
      for (let i = 0; i < 200; i++) {
        await store.createTicket({
          siteId: site.id,
          customerId: customer.id,
          subject: `Ticket ${i}`,
          body: 'x'.repeat(8000),
          actor,
          messageAuthor: actor,
          event: created(i),
        });
      }
      await vi.waitFor(() => expect(statSync(db.path).size).toBeGreaterThan(sizeBefore + 1_000_000), { timeout: 10_000 });
    } finally {
      await store.close();
      db.cleanup();
    }
  });

  it('stops its thread when the store closes, leaving a database that opens again with everything in it', async () => {
    const db = tempDbPath();
    const store = createStore(db.path, { checkpointEveryMs: 10 });
    await store.createSite({ name: 'Kept', origins: [] }, 0);
    await store.close();
    const again = createStore(db.path);
    expect((await again.listSites()).map((s) => s.name)).toEqual(['Kept']);
    await again.close();
    db.cleanup();
  });
});
