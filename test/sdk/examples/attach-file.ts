import { readFile } from 'node:fs/promises';
import { createAgentClient } from 'closeloop/sdk';

const closeloop = createAgentClient({ url: process.env.CLOSELOOP_URL!, secretKey: process.env.CLOSELOOP_SECRET_KEY! });

// Send the customer a file: upload it as the agent, then name it in the reply.
// The server reads its type from the bytes and keeps to the site's limits.
export async function replyWithFile(ticketId: string, path: string, name: string) {
  const ada = closeloop.as((await closeloop.agents.upsert({ email: 'ada@example.com', name: 'Ada' })).id);
  const file = await ada.attachments.upload(await readFile(path), name);
  await ada.tickets.reply({ ticketId, message: `Here is ${name}.`, attachmentIds: [file.id] });
  // Each file in the thread has a link signed for whoever reads it, valid 30 minutes.
  const { timeline } = await ada.tickets.get({ ticketId });
  return timeline.flatMap((item) => (item.kind === 'message' ? item.attachments : []));
}
