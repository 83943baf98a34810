/**
 * Compiled by `npm run typecheck` (part of `npm test`), never run: it proves the
 * SDK's types flow from the server's router. Each @ts-expect-error must stay an
 * error, or tsc fails.
 */
import { createAgentClient, createCustomerClient, signIdentity, verifyWebhook, type AgentTicket, type CustomerTicket } from '../../sdk/index.js';

export async function consumer() {
  const customer = createCustomerClient({ url: 'http://localhost:8787', siteKey: 'pk_x', identity: await signIdentity('sk_x', { id: 'u1' }) });
  const ticket: CustomerTicket = await customer.tickets.create({ subject: 'Hi', message: 'Hello' });
  const status: 'new' | 'open' | 'answered' | 'resolved' | 'closed' = ticket.status;
  const reopenUntil: string | null = ticket.reopenUntil;
  await customer.tickets.confirmResolution({ ticketId: ticket.id, rating: 5 });

  // @ts-expect-error a rating is a number
  await customer.tickets.confirmResolution({ ticketId: ticket.id, rating: 'five' });
  // @ts-expect-error a reply needs its message
  await customer.tickets.reply({ ticketId: ticket.id });
  // @ts-expect-error customers cannot set a status
  await customer.tickets.create({ subject: 'x', message: 'y', status: 'closed' });
  // @ts-expect-error customers never see postponed
  const hidden: typeof ticket.status = 'postponed';

  const agent = createAgentClient({ url: 'http://localhost:8787', secretKey: 'sk_x' });
  const full: { ticket: AgentTicket } = await agent.tickets.get({ ticketId: ticket.id });
  await agent.tickets.postpone({ ticketId: full.ticket.id, until: new Date() });
  await agent.tickets.setPriority({ ticketId: full.ticket.id, priority: 'urgent' });
  await agent.webhooks.create({ url: 'https://example.com/hook', events: ['ticket.closed'] });

  // @ts-expect-error priorities are low, normal, high or urgent
  await agent.tickets.setPriority({ ticketId: full.ticket.id, priority: 'asap' });
  // @ts-expect-error no such webhook event
  await agent.webhooks.create({ url: 'https://example.com/hook', events: ['ticket.exploded'] });
  // @ts-expect-error list filters take statuses
  await agent.tickets.list({ status: 'done' });

  const event = await verifyWebhook<{ type: string }>('whsec_x', '{}', new Headers());
  return [status, reopenUntil, hidden, event.type];
}
