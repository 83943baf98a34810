export { createServer, type ServerOptions, type CloseloopServer } from './http/create-server.js';
export { createStore, type Store } from './store/store.js';
export type { AppRouter } from './api/app-router.js';
