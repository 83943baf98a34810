import { createAgentClient } from 'closeloop/sdk';

const closeloop = createAgentClient({ url: process.env.CLOSELOOP_URL!, secretKey: process.env.CLOSELOOP_SECRET_KEY! });

// A ticket from your own contact form or phone line, on behalf of one of your users.
export async function ticketFromContactForm(form: { userId: string; email: string; subject: string; message: string }) {
  const ticket = await closeloop.tickets.create({
    customer: { id: form.userId, email: form.email },
    subject: form.subject,
    message: form.message,
  });
  return ticket.id;
}
