/// <reference types="node" />
// The router runs on Node: programs that read only its types (the widget's, the SDK's) still need Node's.
import { agentRouter } from './agent-router.js';
import { customerTicketsRouter } from './customer-router.js';
import { sessionRouter } from './session-router.js';
import { router } from './trpc.js';

/** The public API: customer procedures at the root, agent procedures under `agent.`. */
export const appRouter = router({
  session: sessionRouter,
  tickets: customerTicketsRouter,
  agent: agentRouter,
});

export type AppRouter = typeof appRouter;
