import { createAgentClient } from 'closeloop/sdk';

const closeloop = createAgentClient({ url: process.env.CLOSELOOP_URL!, secretKey: process.env.CLOSELOOP_SECRET_KEY! });

// Email links land on your help centre (where the widget is mounted as a portal);
// then list what could not be delivered, to fix the addresses.
export async function emailSetup() {
  await closeloop.site.update({ notifications: { portalUrl: 'https://shop.example/help', senderName: 'Shop support', replyDelayMinutes: 5 } });
  const { items } = await closeloop.emails.list({ status: 'failed' });
  return items.map((email) => `${email.to}: ${email.lastError}`);
}
