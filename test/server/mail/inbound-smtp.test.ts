/**
 * Replies by email, sent by a real SMTP client (nodemailer) to the server's own
 * listener on a free port: the new text becomes the customer's reply, and
 * everything the listener should not take is refused during the conversation.
 */
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, type SmtpCatcher } from '../../../demo/backend/smtp-catcher.js';
import { newTextOf, replyToken } from '../../../server/mail/inbound-smtp.js';
import { DAY, startTestServer, type TestServer } from '../../helpers/test-server.js';

let smtp: SmtpCatcher;
let t: TestServer;

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  t = await startTestServer({ mail: { smtpUrl: smtp.url, from: 'support@shop.test', publicUrl: 'http://support.test', intervalMs: 0, inboundPort: 0 } });
  await (await t.agent()).api.agent.site.update.mutate({ notifications: { replyDelayMinutes: 0 } });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

function client() {
  return nodemailer.createTransport({ host: '127.0.0.1', port: t.server.inboundSmtpPort!, secure: false, ignoreTLS: true });
}

/** A ticket whose customer got an email, and the reply address that email carries. */
async function ticketWithReplyAddress(address: string) {
  const customer = await t.customer();
  const ticket = await customer.api.tickets.create.mutate({ subject: 'Broken zip', message: 'The zip is broken', email: address });
  const seen = smtp.mails.length;
  await t.server.deliverEmails();
  const receipt = smtp.mails.slice(seen).find((m) => m.rcptTo.includes(address))!;
  const replyTo = receipt.parsed.replyTo!.value[0]!.address!;
  return { customer, ticket, receipt, replyTo };
}

const quoted = (text: string) => `${text}\n\nOn Mon, 5 Jan 2026 at 09:00, Test shop <support@shop.test> wrote:\n> We received your request\n> The zip is broken\n`;

describe('a reply by email', () => {
  it('carries the reply address of its ticket, on the reply domain', async () => {
    const { replyTo } = await ticketWithReplyAddress('rein@example.test');
    expect(replyTo).toMatch(/^reply\+[0-9a-f]{48}@shop\.test$/);
  });

  it('becomes the customer reply, without the quoted email, and reopens a closed ticket inside the window', async () => {
    const agent = await t.agent();
    const { ticket, replyTo, receipt } = await ticketWithReplyAddress('siim@example.test');
    await agent.api.agent.tickets.resolve.mutate({ ticketId: ticket.id, message: 'Fixed' });
    t.clock.advance(3 * DAY);
    await t.server.sweep();
    expect((await agent.api.agent.tickets.get.query({ ticketId: ticket.id })).ticket.status).toBe('closed');

    await client().sendMail({ from: 'siim@example.test', to: replyTo, subject: `Re: ${receipt.parsed.subject}`, text: quoted('Still broken, sorry.\n\n-- \nSiim') });
    const after = await agent.api.agent.tickets.get.query({ ticketId: ticket.id });
    expect(after.ticket.status).toBe('open');
    const last = after.timeline.filter((i) => i.kind === 'message').at(-1);
    expect(last).toMatchObject({ kind: 'message', body: 'Still broken, sorry.', author: { kind: 'customer' } });
  });

  it('refuses, during the SMTP conversation, unknown tokens, other addresses and mail over 10 MB', async () => {
    const { replyTo } = await ticketWithReplyAddress('tanel@example.test');
    const send = (to: string, text = 'Hello') => client().sendMail({ from: 'x@example.test', to, subject: 'x', text });
    await expect(send(`reply+${'0'.repeat(48)}@shop.test`)).rejects.toMatchObject({ responseCode: 550 });
    await expect(send('someone@shop.test')).rejects.toMatchObject({ responseCode: 550 });
    await expect(send(replyTo.replace('@shop.test', '@elsewhere.test'))).rejects.toMatchObject({ responseCode: 550 });
    await expect(send(replyTo, 'x'.repeat(10 * 1024 * 1024 + 10))).rejects.toMatchObject({ responseCode: 552 });
  });

  it('refuses a reply with nothing new in it, and ignores automatic answers (out of office)', async () => {
    const agent = await t.agent();
    const { ticket, replyTo } = await ticketWithReplyAddress('urmas@example.test');
    await expect(client().sendMail({ from: 'u@example.test', to: replyTo, subject: 'Re', text: quoted('') })).rejects.toMatchObject({ responseCode: 550 });
    await client().sendMail({ from: 'u@example.test', to: replyTo, subject: 'Out of office', text: 'I am away', headers: { 'Auto-Submitted': 'auto-replied' } });
    const messages = (await agent.api.agent.tickets.get.query({ ticketId: ticket.id })).timeline.filter((i) => i.kind === 'message');
    expect(messages).toHaveLength(1);
  });
});

describe('the parts', () => {
  it('reads a token only from a reply address on our domain', () => {
    const token = 'a'.repeat(48);
    expect(replyToken(`reply+${token}@Shop.Test`, 'shop.test')).toBe(token);
    expect(replyToken(`REPLY+${token.toUpperCase()}@shop.test`, 'shop.test')).toBe(token);
    expect(replyToken(`reply+${token}@shop.test.evil`, 'shop.test')).toBeNull();
    expect(replyToken(`reply+short@shop.test`, 'shop.test')).toBeNull();
  });

  it('keeps only the new text of Estonian and Italian replies too', () => {
    expect(newTextOf('Aitäh!\n\nE, 5. jaanuar 2026 09:00 Test shop <support@shop.test> kirjutas:\n> vana tekst')).toBe('Aitäh!');
    expect(newTextOf('Grazie!\n\nIl giorno lun 5 gen 2026 alle ore 09:00 Test shop <support@shop.test> ha scritto:\n> vecchio')).toBe('Grazie!');
  });
});
