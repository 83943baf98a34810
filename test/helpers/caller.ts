import { appRouter } from '../../server/api/app-router.js';
import type { AppDeps } from '../../server/api/context.js';
import { createCallerFactory } from '../../server/api/trpc.js';

const createCaller = createCallerFactory(appRouter);

/** Calls the real router in-process, as a request with these headers would. */
export const callerFor = (app: AppDeps, headers: Record<string, string> = {}) =>
  createCaller({ app, headers, ip: '127.0.0.1', connectionParams: null });
