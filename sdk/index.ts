export { createCustomerClient, type CustomerClient, type CustomerClientOptions, type CustomerTicket, type CustomerChange } from './customer-client.js';
export { createAgentClient, type AgentClient, type AgentClientOptions, type AgentTicket, type AgentChange } from './agent-client.js';
export { signIdentity } from './identity.js';
export { verifyWebhook, signWebhook, type HeadersLike } from './webhooks.js';
export { CloseloopError } from './errors.js';
export type { LiveOptions, EventSourceClass, EventSourceLike } from './live-stream.js';
export type { Inputs, Outputs, WebhookEvent } from './api-types.js';
export type { UploadData, UploadedAttachment, UploadOptions } from './attachments.js';
