/**
 * An SMTP server that accepts connections and then says nothing: the mail worker
 * waits on it (until nodemailer's timeouts), and nothing else does. The API
 * answers and webhooks are delivered meanwhile; when the connection finally
 * drops, the email is queued for a retry, not lost.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

let silent: net.Server;
const sockets: net.Socket[] = [];
let t: TestServer;

beforeAll(async () => {
  silent = net.createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as AddressInfo).port;
  t = await startTestServer({ mail: { smtpUrl: `smtp://127.0.0.1:${port}`, from: 'support@shop.test', publicUrl: 'http://support.test', intervalMs: 0 } });
});
afterAll(async () => {
  await t.close();
  silent.close();
});

it('delays nothing else: the API answers and webhooks go out while an email waits on a silent SMTP server', async () => {
  const agent = await t.agent();
  const heard: string[] = [];
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      heard.push(String(req.headers['webhook-id']));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  await agent.api.agent.webhooks.create.mutate({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, events: ['ticket.created'] });

  const customer = await t.customer();
  const first = await customer.api.tickets.create.mutate({ subject: 'Stuck mail', message: 'x', email: 'stuck@example.test' });
  let finished = false;
  const sending = t.server.deliverEmails().finally(() => (finished = true));
  while (sockets.length === 0) await new Promise((resolve) => setImmediate(resolve));

  const second = await customer.api.tickets.create.mutate({ subject: 'Still works', message: 'y' });
  expect((await agent.api.agent.tickets.get.query({ ticketId: second.id })).ticket.subject).toBe('Still works');
  expect(await t.server.deliverWebhooks()).toBe(2);
  expect(heard).toHaveLength(2);
  expect(finished).toBe(false);

  for (const socket of sockets) socket.destroy();
  await sending;
  const [entry] = (await agent.api.agent.emails.list.query({ ticketId: first.id })).items;
  expect(entry).toMatchObject({ status: 'queued', attempts: 1, lastError: expect.any(String) });
  receiver.close();
});
