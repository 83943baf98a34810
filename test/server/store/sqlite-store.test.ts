import { createSqliteStore as createStore } from '../../../server/store/sqlite/sqlite-store.js';
import { tempDbPath } from '../../helpers/test-server.js';
import { storeContract } from './store-contract.js';

// A real SQLite file per test, as `serve` opens it.
storeContract('SQLite', async () => {
  const db = tempDbPath();
  const store = createStore(db.path);
  return {
    store,
    close: async () => {
      await store.close();
      db.cleanup();
    },
  };
});
