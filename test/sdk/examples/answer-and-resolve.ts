import { createAgentClient } from 'closeloop/sdk';

const closeloop = createAgentClient({ url: process.env.CLOSELOOP_URL!, secretKey: process.env.CLOSELOOP_SECRET_KEY! });

// Answer as a named agent, then mark the ticket resolved: the customer is asked
// to confirm, which closes it (or it auto-closes after the site's delay).
export async function answerAndResolve(ticketId: string, answer: string) {
  const ada = await closeloop.agents.upsert({ email: 'ada@example.com', name: 'Ada' });
  const asAda = closeloop.as(ada.id);
  await asAda.tickets.reply({ ticketId, message: answer });
  return asAda.tickets.resolve({ ticketId });
}
