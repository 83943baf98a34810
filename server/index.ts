export { createServer, type ServerOptions, type CloseloopServer } from './http/create-server.js';
export { openStore, storeLocation } from './store/open-store.js';
export { createSqliteStore } from './store/sqlite/sqlite-store.js';
export { createPostgresStore } from './store/postgres/postgres-store.js';
export type { Store } from './store/store.js';
export type { AppRouter } from './api/app-router.js';
