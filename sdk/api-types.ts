/**
 * The API's types, inferred from the server's router: the one SDK file that
 * looks at server code. Its published declaration (dist/sdk/api-types.d.ts) is
 * written out in full by scripts/build-sdk-types.js, so a consumer's compiler
 * never needs the server, drizzle or Node's types.
 */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../server/api/app-router.js';
import type { WebhookEvent as WebhookEventName } from '../server/webhooks/webhook-events.js';

export type Inputs = inferRouterInputs<AppRouter>;
export type Outputs = inferRouterOutputs<AppRouter>;

/** What one live event carries: a subscription's item without its SSE envelope. */
type LiveItem<S> = S extends AsyncIterable<infer T> ? (T extends { data: infer D } ? D : T) : never;

export type CustomerTicket = Outputs['tickets']['create'];
export type CustomerChange = LiveItem<Outputs['tickets']['onChange']>;
export type AgentTicket = Outputs['agent']['tickets']['get']['ticket'];
export type AgentChange = LiveItem<Outputs['agent']['tickets']['onChange']>;
/** The name of a webhook event, e.g. `ticket.closed`. */
export type WebhookEvent = WebhookEventName;
