import { createPostgresStore } from '../../../server/store/postgres/postgres-store.js';
import { freshPostgresDatabase, SKIP_POSTGRES } from '../../helpers/postgres.js';
import { storeContract } from './store-contract.js';

// A fresh database on a real PostgreSQL per test, migrated by the store itself.
storeContract(
  'PostgreSQL',
  async () => {
    const db = await freshPostgresDatabase();
    const store = createPostgresStore(db.url);
    await store.ready();
    return {
      store,
      close: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
  { skip: SKIP_POSTGRES },
);
