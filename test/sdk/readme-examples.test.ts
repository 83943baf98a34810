import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient, createCustomerClient } from '../../sdk/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const EXAMPLES = ['identify-user.ts', 'create-ticket.ts', 'answer-and-resolve.ts', 'receive-webhook.ts', 'email-setup.ts', 'attach-file.ts', 'service-levels.ts'];
const read = (file: string) => readFileSync(join(import.meta.dirname, file), 'utf8');

describe('the README’s SDK examples', () => {
  let t: TestServer;
  beforeAll(async () => {
    // A real clock: the webhook example checks timestamps against the time of day.
    t = await startTestServer({ now: Date.now });
    process.env.CLOSELOOP_URL = t.url;
    process.env.CLOSELOOP_SECRET_KEY = t.site.secretKey;
  });
  afterAll(() => t.close());

  it('are in the README word for word', () => {
    const readme = read('../../README.md');
    for (const file of EXAMPLES) expect(readme, file).toContain(read(`examples/${file}`).trim());
  });

  it('identify a logged-in user', async () => {
    const { closeloopIdentity } = await import('./examples/identify-user.js');
    const identity = await closeloopIdentity({ id: 'user-1', email: 'sam@example.com', name: 'Sam' });
    const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey, identity });
    await customer.getToken();
    expect(customer.session.customer).toMatchObject({ verified: true, externalId: 'user-1', name: 'Sam' });
  });

  it('create a ticket from a backend, answer and resolve it, and receive the verified webhook', async () => {
    const { webhookReceiver } = await import('./examples/receive-webhook.js');
    const heard: string[] = [];
    const receiver = webhookReceiver((event) => heard.push(`${event.type}:${event.data.ticket.status}`));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const agent = createAgentClient({ url: t.url, secretKey: t.site.secretKey });
    const hook = await agent.webhooks.create({
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
      events: ['ticket.created', 'ticket.resolved'],
    });
    process.env.CLOSELOOP_WEBHOOK_SECRET = hook.secret;

    const { ticketFromContactForm } = await import('./examples/create-ticket.js');
    const ticketId = await ticketFromContactForm({ userId: 'user-1', email: 'sam@example.com', subject: 'Refund', message: 'Please refund order 7' });
    const { answerAndResolve } = await import('./examples/answer-and-resolve.js');
    expect((await answerAndResolve(ticketId, 'Refunded today')).status).toBe('resolved');

    await t.server.deliverWebhooks();
    receiver.close();
    expect(heard).toEqual(['ticket.created:new', 'ticket.resolved:resolved']);

    process.env.CLOSELOOP_WEBHOOK_SECRET = 'whsec_' + Buffer.from('not-the-endpoint-secret!').toString('base64');
    const refused = webhookReceiver(() => heard.push('forged'));
    await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
    const res = await fetch(`http://127.0.0.1:${(refused.address() as AddressInfo).port}/`, {
      method: 'POST',
      headers: { 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
      body: '{"type":"ticket.closed"}',
    });
    refused.close();
    expect(res.status).toBe(401);
    expect(heard).not.toContain('forged');
  });

  it('set up email and read the failures from the log', async () => {
    const { emailSetup } = await import('./examples/email-setup.js');
    expect(await emailSetup()).toEqual([]);
    const agent = createAgentClient({ url: t.url, secretKey: t.site.secretKey });
    expect((await agent.site.get()).notifications).toMatchObject({ enabled: true, portalUrl: 'https://shop.example/help', senderName: 'Shop support', replyDelayMinutes: 5 });
  });

  it('set topics and service levels, read the last seven days, and take the next ticket to solve', async () => {
    const { setUpServiceLevels, lastSevenDays, takeNext } = await import('./examples/service-levels.js');
    await setUpServiceLevels();
    const agent = createAgentClient({ url: t.url, secretKey: t.site.secretKey });
    const ada = await agent.agents.upsert({ email: 'lead@shop.test', name: 'Lead' });
    const ticket = await agent.tickets.create({ customer: { id: 'crm-9' }, subject: 'Parcel late', message: 'Where is it?', topicId: 'orders' });
    expect(ticket.sla.firstReplyDueAt).not.toBeNull();
    const week = await lastSevenDays();
    expect(week.perDay).toHaveLength(8);
    expect(week.perDay.reduce((sum, d) => sum + d.created, 0)).toBeGreaterThanOrEqual(1);
    expect((await takeNext(ada.id))?.assigneeId).toBe(ada.id);
  });

  it('send a customer a file, and read it back by its signed link', async () => {
    const { replyWithFile } = await import('./examples/attach-file.js');
    const customer = createCustomerClient({ url: t.url, siteKey: t.site.siteKey });
    const ticket = await customer.tickets.create({ subject: 'Which charger?', message: 'Do you have the manual?' });
    const [file] = await replyWithFile(ticket.id, join(import.meta.dirname, '../../LICENSE'), 'manual.txt');
    expect(file).toMatchObject({ name: 'manual.txt', contentType: 'text/plain' });
    const shown = (await customer.tickets.get({ ticketId: ticket.id })).timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []));
    const res = await fetch(shown[0]!.url);
    expect(await res.text()).toBe(readFileSync(join(import.meta.dirname, '../../LICENSE'), 'utf8'));
  });
});
