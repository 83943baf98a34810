/**
 * The loop closed by email, over a real SMTP server (the demo's catcher on a free
 * port) and real HTTP: receipts, replies, resolutions with one-click links, and
 * links that are safe when scanners, thieves or time get to them first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, type CaughtMail, type SmtpCatcher } from '../../../demo/backend/smtp-catcher.js';
import { DAY, HOUR, ORIGIN, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { waiter } from '../../helpers/waiting.js';

const PUBLIC = 'http://support.test';
let smtp: SmtpCatcher;
let t: TestServer;
const arrived = waiter();

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  smtp.onMail(arrived.poke);
  t = await startTestServer({ mail: { smtpUrl: smtp.url, from: 'Shop Support <support@shop.test>', publicUrl: PUBLIC, intervalMs: 0 } });
  const agent = await t.agent();
  await agent.api.agent.site.update.mutate({ notifications: { replyDelayMinutes: 0 } });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

/** Sends what is due and returns the mails that arrived for this address since `from`. */
async function deliver(to: string, from: number) {
  await t.server.deliverEmails();
  return smtp.mails.slice(from).filter((m) => m.rcptTo.includes(to));
}

/** A link from an email, on the test server instead of the public address. */
const local = (url: string) => url.replace(PUBLIC, t.url);
const linkIn = (mail: CaughtMail, label: RegExp) => {
  const line = (mail.parsed.text ?? '').split('\n').find((l) => label.test(l));
  const url = line?.match(/https?:\/\/\S+/)?.[0];
  if (!url) throw new Error(`no link for ${label} in:\n${mail.parsed.text}`);
  return local(url);
};
const post = (url: string, form: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });

async function openTicket(email: string, locale?: 'en' | 'et' | 'it') {
  const customer = await t.customer();
  const ticket = await customer.api.tickets.create.mutate({ subject: 'Parcel <b>late</b>', message: 'Where is order #42?\nIt is <script>late</script>.', email, locale });
  return { customer, ticket };
}

/** Proves the address the way a customer does: the receipt's link, then its button. */
async function prove(receipt: CaughtMail) {
  const res = await post(linkIn(receipt, /^(View your ticket|Vaata|Vedi)/));
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location')!);
}

describe('a customer who left the page', () => {
  it('gets a receipt in the language of the widget, with both bodies escaped and the headers that thread and unsubscribe', async () => {
    const seen = smtp.mails.length;
    await openTicket('Mari@Example.test', 'et');
    const [receipt] = await deliver('mari@example.test', seen);
    expect(receipt).toBeDefined();
    const { parsed } = receipt!;
    expect(parsed.subject).toBe('Parcel <b>late</b>');
    expect(parsed.from?.value[0]).toMatchObject({ name: 'Test shop', address: 'support@shop.test' });
    expect(parsed.text).toContain('Saime sinu pöördumise kätte');
    expect(parsed.text).toContain('> Where is order #42?');
    expect(parsed.html).toContain('It is &lt;script&gt;late&lt;/script&gt;.');
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.html).toContain('prefers-color-scheme: dark');
    expect(parsed.messageId).toMatch(/^<em_[\w-]+@shop\.test>$/);
    expect(receipt!.raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(receipt!.raw).toMatch(/List-Unsubscribe:\s+<http:\/\/support\.test\/e\/[0-9a-f]{48}>/);
    const log = await (await t.agent()).api.agent.emails.list.query({ status: 'sent' });
    expect(log.items[0]).toMatchObject({ to: 'mari@example.test', kind: 'receipt', status: 'sent', attempts: 1 });
  });

  it('gets no reply by email until the address is proven by one of its links; then replies thread with the receipt', async () => {
    const seen = smtp.mails.length;
    const agent = await t.agent();
    const { ticket } = await openTicket('ana@example.test');
    const [receipt] = await deliver('ana@example.test', seen);
    await agent.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'It ships today.' });
    expect(await deliver('ana@example.test', seen + 1)).toHaveLength(0);

    const back = await prove(receipt!);
    expect(back.origin).toBe(PUBLIC);
    expect(back.pathname).toBe(`/portal/${t.site.siteKey}`);
    await agent.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'Tracking: <ABC>' });
    const [reply] = await deliver('ana@example.test', seen + 1);
    expect(reply!.parsed.subject).toBe('Re: Parcel <b>late</b>');
    expect(reply!.parsed.inReplyTo).toBe(receipt!.parsed.messageId);
    expect(reply!.parsed.text).toContain('Ada replied to your request:');
    expect(reply!.parsed.text).toMatch(/Ada:\n> Tracking: <ABC>/);
    expect(reply!.parsed.html).toContain('Tracking: &lt;ABC&gt;');
  });

  it('hands the portal a one-time code that opens a session seeing every ticket of the proven address', async () => {
    const seen = smtp.mails.length;
    const first = await openTicket('kai@example.test');
    const second = await openTicket('KAI@example.test');
    const [receipt] = await deliver('kai@example.test', seen);
    const back = await prove(receipt!);
    const code = new URLSearchParams(back.hash.slice(1)).get('closeloop_code')!;
    const api = t.client(() => ({ origin: ORIGIN }));
    const session = await api.session.exchangeEmailCode.mutate({ siteKey: t.site.siteKey, code });
    const device = t.client(() => ({ authorization: `Bearer ${session.token}` }));
    const list = await device.tickets.list.query();
    expect(list.items.map((i) => i.id).sort()).toEqual([first.ticket.id, second.ticket.id].sort());
    await device.tickets.reply.mutate({ ticketId: first.ticket.id, message: 'From my phone' });
    await expect(api.session.exchangeEmailCode.mutate({ siteKey: t.site.siteKey, code })).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    // Another customer's session still sees none of them.
    const stranger = await t.customer();
    await expect(stranger.api.tickets.get.query({ ticketId: first.ticket.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });
});

describe('a resolution by email', () => {
  async function resolvedWithEmail(address: string) {
    const seen = smtp.mails.length;
    const agent = await t.agent();
    const { customer, ticket } = await openTicket(address);
    await prove((await deliver(address, seen))[0]!);
    const before = smtp.mails.length;
    await agent.api.agent.tickets.resolve.mutate({ ticketId: ticket.id, message: 'Refunded.' });
    const [mail] = await deliver(address, before);
    return { agent, customer, ticket, mail: mail! };
  }

  it('asks with two buttons and the auto-close date; opening a link changes nothing, its button closes the ticket as the customer', async () => {
    const { agent, ticket, mail } = await resolvedWithEmail('lea@example.test');
    expect(mail.parsed.text).toContain('> Refunded.');
    expect(mail.parsed.text).toMatch(/will be closed on January 8, 2026/);
    expect(mail.parsed.html).toContain("Yes, it&#39;s solved");
    const confirm = linkIn(mail, /^Yes, it's solved/);

    const page = await fetch(confirm);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('<form method="post"><button type="submit">Yes, it&#39;s solved</button>');
    expect((await agent.api.agent.tickets.get.query({ ticketId: ticket.id })).ticket.status).toBe('resolved');

    const done = await post(confirm);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Ticket closed. Thank you!');
    const after = await agent.api.agent.tickets.get.query({ ticketId: ticket.id });
    expect(after.ticket.status).toBe('closed');
    expect(after.timeline.find((i) => i.kind === 'event' && i.type === 'resolution_confirmed')).toMatchObject({ actor: { kind: 'customer' } });

    const again = await post(confirm);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('This link was already used');
  });

  it('takes "not solved" with what is missing, and refuses an empty answer without spending the link', async () => {
    const { agent, ticket, mail } = await resolvedWithEmail('ott@example.test');
    const reject = linkIn(mail, /^No, I still need help/);
    expect((await post(reject, { message: '  ' })).status).toBe(422);
    const done = await post(reject, { message: 'The refund is not on my card' });
    expect(await done.text()).toContain('We reopened your ticket');
    const after = await agent.api.agent.tickets.get.query({ ticketId: ticket.id });
    expect(after.ticket.status).toBe('open');
    expect(after.timeline.some((i) => i.kind === 'message' && i.body === 'The refund is not on my card')).toBe(true);
  });

  it('does nothing but say so when the resolution was withdrawn, and says expired after the auto-close date', async () => {
    const { agent, ticket, mail } = await resolvedWithEmail('uku@example.test');
    const confirm = linkIn(mail, /^Yes, it's solved/);
    await agent.api.agent.tickets.reopen.mutate({ ticketId: ticket.id });
    const withdrawn = await post(confirm);
    expect(withdrawn.status).toBe(409);
    expect(await withdrawn.text()).toContain('Nothing changed: this ticket is no longer waiting for your answer. It is now open.');
    expect((await agent.api.agent.tickets.get.query({ ticketId: ticket.id })).ticket.status).toBe('open');
    // Resolved again: the old link belongs to the withdrawn resolution, not to this one.
    t.clock.advance(1000);
    await agent.api.agent.tickets.resolve.mutate({ ticketId: ticket.id, message: 'Now really fixed.' });
    expect((await post(confirm)).status).toBe(409);
    expect((await agent.api.agent.tickets.get.query({ ticketId: ticket.id })).ticket.status).toBe('resolved');

    const second = await resolvedWithEmail('eva@example.test');
    t.clock.advance(73 * HOUR);
    const expired = await fetch(linkIn(second.mail, /^Yes, it's solved/));
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('This link has expired');
    t.clock.advance(-73 * HOUR);
  });

  it('refuses tokens it never issued, with the same page, also when a mail client mangled the link', async () => {
    const res = await fetch(`${t.url}/e/${'ab'.repeat(24)}`);
    expect(res.status).toBe(410);
    const mangled = await fetch(`${t.url}/e/${'ab'.repeat(20)}%3E)`);
    expect(mangled.status).toBe(410);
    expect(mangled.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await mangled.text()).toContain('This link has expired');
    // A form far too large for any button gets a 413, not a dropped connection.
    const huge = await fetch(`${t.url}/e/${'ab'.repeat(24)}`, { method: 'POST', body: 'a'.repeat(100_000) });
    expect(huge.status).toBe(413);
    expect(await post(`${t.url}/e/${'cd'.repeat(24)}`).then((r) => r.status)).toBe(410);
  });
});

describe('replies within the delay', () => {
  it('make one email; replies the customer read in the widget make none', async () => {
    const agent = await t.agent();
    await agent.api.agent.site.update.mutate({ notifications: { replyDelayMinutes: 5 } });
    const seen = smtp.mails.length;
    const { customer, ticket } = await openTicket('ivo@example.test');
    await prove((await deliver('ivo@example.test', seen))[0]!);
    await agent.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'First answer' });
    await agent.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'Second answer' });
    expect(await deliver('ivo@example.test', seen + 1)).toHaveLength(0);
    t.clock.advance(5 * 60_000);
    const [one, ...more] = await deliver('ivo@example.test', seen + 1);
    expect(more).toHaveLength(0);
    expect(one!.parsed.text).toContain('> First answer');
    expect(one!.parsed.text).toContain('> Second answer');

    await agent.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'Third answer' });
    await customer.api.tickets.markRead.mutate({ ticketId: ticket.id });
    t.clock.advance(5 * 60_000);
    expect(await deliver('ivo@example.test', seen + 2)).toHaveLength(0);
    await agent.api.agent.site.update.mutate({ notifications: { replyDelayMinutes: 0 } });
  });
});

describe('not a spam cannon', () => {
  it('sends an unproven address at most 3 receipts an hour, and answers sign-in requests the same for any address', async () => {
    const seen = smtp.mails.length;
    for (let i = 0; i < 5; i++) await openTicket('victim@example.test');
    expect(await deliver('victim@example.test', seen)).toHaveLength(3);
    const api = t.client(() => ({ origin: ORIGIN }));
    await expect(api.session.requestEmailLink.mutate({ siteKey: t.site.siteKey, email: 'victim@example.test' })).resolves.toEqual({ sent: true });
    await expect(api.session.requestEmailLink.mutate({ siteKey: t.site.siteKey, email: 'nobody@example.test' })).resolves.toEqual({ sent: true });
    expect(await deliver('victim@example.test', seen)).toHaveLength(3);
    const [signIn] = await deliver('nobody@example.test', seen);
    expect(signIn!.parsed.subject).toBe('Your sign-in link for Test shop support');
    t.clock.advance(HOUR);
  });

  it('stops every email to an address that unsubscribed with one click (RFC 8058)', async () => {
    const seen = smtp.mails.length;
    const agent = await t.agent();
    const { ticket } = await openTicket('tiit@example.test');
    const [receipt] = await deliver('tiit@example.test', seen);
    await prove(receipt!);
    const unsubscribe = local(/List-Unsubscribe:\s+<([^>]+)>/.exec(receipt!.raw)![1]!);
    const res = await post(unsubscribe, { 'List-Unsubscribe': 'One-Click' });
    expect(res.status).toBe(200);
    await agent.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'Anyone there?' });
    await openTicket('tiit@example.test');
    expect(await deliver('tiit@example.test', seen + 1)).toHaveLength(0);
  });
});

describe('auto-close', () => {
  /** A proven customer's ticket, resolved and left to auto-close; the notice it gets. */
  async function autoClosedWithEmail(address: string) {
    const seen = smtp.mails.length;
    const agent = await t.agent();
    const { ticket } = await openTicket(address);
    await prove((await deliver(address, seen))[0]!);
    const before = smtp.mails.length;
    await agent.api.agent.tickets.resolve.mutate({ ticketId: ticket.id });
    t.clock.advance(3 * DAY);
    await t.server.sweep();
    const closed = (await deliver(address, before)).find((m) => /did not hear back/.test(m.parsed.text ?? ''))!;
    return { agent, ticket, closed };
  }

  it('tells the customer, with a link that reopens inside the window', async () => {
    const { agent, ticket, closed } = await autoClosedWithEmail('maia@example.test');
    expect(closed.parsed.text).toContain('You can reopen it until February 7, 2026');
    const done = await post(linkIn(closed, /^Reopen the ticket/), { reason: 'Still broken' });
    expect(await done.text()).toContain('Ticket reopened.');
    expect((await agent.api.agent.tickets.get.query({ ticketId: ticket.id })).ticket.status).toBe('open');
  });

  it('after the reopen window, the link says where to go instead: a follow-up from the support page', async () => {
    const { closed } = await autoClosedWithEmail('late@example.test');
    t.clock.advance(31 * DAY);
    const page = await fetch(linkIn(closed, /^Reopen the ticket/));
    expect(page.status).toBe(410);
    const html = await page.text();
    expect(html).toContain('This ticket was closed too long ago to reopen. Open it to start a follow-up instead.');
    expect(html).toContain(`href="${PUBLIC}/portal/${t.site.siteKey}"`);
  });
});

describe('when SMTP refuses', () => {
  it('retries a temporary refusal with backoff, and gives up on a permanent one at once, telling the site by webhook', async () => {
    const agent = await t.agent();
    await agent.api.agent.webhooks.create.mutate({ url: 'http://127.0.0.1:9/hook', events: ['email.failed'] });
    smtp.setMode('temporary-failure');
    const { ticket } = await openTicket('jaan@example.test');
    await t.server.deliverEmails();
    let [entry] = (await agent.api.agent.emails.list.query({ ticketId: ticket.id })).items;
    expect(entry).toMatchObject({ status: 'queued', attempts: 1, lastError: expect.stringContaining('451') });
    smtp.setMode('accept');
    await t.server.deliverEmails();
    expect((await agent.api.agent.emails.list.query({ ticketId: ticket.id })).items[0]!.status).toBe('queued');
    t.clock.advance(5_000);
    await t.server.deliverEmails();
    [entry] = (await agent.api.agent.emails.list.query({ ticketId: ticket.id })).items;
    expect(entry).toMatchObject({ status: 'sent', attempts: 2, lastError: null });

    smtp.setMode('permanent-failure');
    const bounced = await openTicket('gone@example.test');
    await t.server.deliverEmails();
    smtp.setMode('accept');
    [entry] = (await agent.api.agent.emails.list.query({ ticketId: bounced.ticket.id })).items;
    expect(entry).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('550') });
    const hooks = await agent.api.agent.webhooks.deliveries.query();
    const failed = hooks.items.find((d) => d.type === 'email.failed');
    expect(failed?.payload).toMatchObject({ type: 'email.failed', data: { email: { id: entry!.id, to: 'gone@example.test', status: 'failed' }, ticket: { id: bounced.ticket.id } } });
  });
});

describe('a sign-in link', () => {
  it('asks first, then hands the portal a one-time code; the address counts as proven from then on', async () => {
    const seen = smtp.mails.length;
    const api = t.client(() => ({ origin: ORIGIN }));
    await api.session.requestEmailLink.mutate({ siteKey: t.site.siteKey, email: 'Liis@example.test', locale: 'it', returnUrl: `${ORIGIN}/help?x=1#old` });
    const [mail] = await deliver('liis@example.test', seen);
    expect(mail!.parsed.subject).toBe("Il tuo link di accesso all'assistenza di Test shop");
    const link = linkIn(mail!, /^Accedi/);
    const page = await fetch(link);
    expect(await page.text()).toContain("Accedere all&#39;assistenza di Test shop come liis@example.test?");
    const res = await post(link);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}${back.search}`).toBe(`${ORIGIN}/help?x=1`);
    expect(back.hash).toMatch(/^#closeloop_code=[0-9a-f]{48}$/);
    expect((await post(link)).status).toBe(409);
  });

  it('never returns to a page outside the site', async () => {
    const seen = smtp.mails.length;
    const api = t.client(() => ({ origin: ORIGIN }));
    await api.session.requestEmailLink.mutate({ siteKey: t.site.siteKey, email: 'kadri@example.test', returnUrl: 'https://evil.test/steal' });
    const [mail] = await deliver('kadri@example.test', seen);
    const res = await post(linkIn(mail!, /^Sign in/));
    expect(new URL(res.headers.get('location')!).origin).toBe(PUBLIC);
  });
});

describe('links are safe', () => {
  it('change nothing when only opened (GET or HEAD): the address stays unproven, the ticket as it was, the subscription on', async () => {
    const seen = smtp.mails.length;
    const agent = await t.agent();
    const { ticket } = await openTicket('scan@example.test');
    const [receipt] = await deliver('scan@example.test', seen);
    const view = linkIn(receipt!, /^View your ticket/);
    const unsubscribe = local(/List-Unsubscribe:\s+<([^>]+)>/.exec(receipt!.raw)![1]!);
    for (const url of [view, unsubscribe]) {
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    }
    await agent.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'Scanners see nothing' });
    expect(await deliver('scan@example.test', seen + 1)).toHaveLength(0);
    await openTicket('scan@example.test');
    expect(await deliver('scan@example.test', seen + 1)).toHaveLength(1);
  });

  it('a code from one site does not sign in on another, and is not spent by trying', async () => {
    const seen = smtp.mails.length;
    await openTicket('two@example.test');
    const back = await prove((await deliver('two@example.test', seen))[0]!);
    const code = new URLSearchParams(back.hash.slice(1)).get('closeloop_code')!;
    const other = await t.otherSite();
    const api = t.client(() => ({}));
    await expect(api.session.exchangeEmailCode.mutate({ siteKey: other.siteKey, code })).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    await expect(api.session.exchangeEmailCode.mutate({ siteKey: t.site.siteKey, code })).resolves.toMatchObject({ token: expect.stringMatching(/^cls_/) });
  });
});

describe('one address, one set of tickets', () => {
  it('a verified customer with the address sees the tickets opened anonymously with it, and an email session follows them live', async () => {
    const seen = smtp.mails.length;
    const anonymous = await openTicket('piret@example.test');
    const verified = await t.customer({ userId: 'piret-1', email: 'Piret@example.test' });
    const list = await verified.api.tickets.list.query();
    expect(list.items.map((i) => i.id)).toContain(anonymous.ticket.id);

    const back = await prove((await deliver('piret@example.test', seen))[0]!);
    const code = new URLSearchParams(back.hash.slice(1)).get('closeloop_code')!;
    const session = await t.client(() => ({})).session.exchangeEmailCode.mutate({ siteKey: t.site.siteKey, code });
    const device = t.client(() => ({ authorization: `Bearer ${session.token}` }));
    const events: string[] = [];
    const got = waiter();
    const lastEventId = String(await t.store.maxEventId());
    let started = false;
    const sub = device.tickets.onChange.subscribe({ lastEventId }, {
      onStarted: () => {
        started = true;
        got.poke();
      },
      onData: (d) => {
        const item = d.data as { ticketId: string; type: string };
        events.push(`${item.ticketId}:${item.type}`);
        got.poke();
      },
    });
    const agent = await t.agent();
    await got.until(() => started, 'the stream to open');
    await agent.api.agent.tickets.reply.mutate({ ticketId: anonymous.ticket.id, message: 'Seen from your phone too' });
    await got.until(() => events.includes(`${anonymous.ticket.id}:replied`), 'the reply, live');
    // The hub is warm now (its first change wakes every stream): the next one must find this stream by itself.
    await agent.api.agent.tickets.resolve.mutate({ ticketId: anonymous.ticket.id });
    await got.until(() => events.includes(`${anonymous.ticket.id}:resolved`), 'the resolution, live');
    sub.unsubscribe();
  });
});

describe('per site, per address', () => {
  it('caps even a proven address at 20 emails an hour, and sends nothing for a site with notifications off', async () => {
    const seen = smtp.mails.length;
    const agent = await t.agent();
    for (let i = 0; i < 22; i++) await agent.api.agent.tickets.create.mutate({ customer: { id: 'busy', email: 'busy@example.test' }, subject: `Order ${i}`, message: 'x' });
    expect(await deliver('busy@example.test', seen)).toHaveLength(20);
    await agent.api.agent.site.update.mutate({ notifications: { enabled: false } });
    await agent.api.agent.tickets.create.mutate({ customer: { id: 'quiet', email: 'quiet@example.test' }, subject: 'Hello', message: 'x' });
    expect(await deliver('quiet@example.test', seen)).toHaveLength(0);
    await agent.api.agent.site.update.mutate({ notifications: { enabled: true, senderName: 'Shop Help', accentColor: '#aa3300' } });
    await agent.api.agent.tickets.create.mutate({ customer: { id: 'styled', email: 'styled@example.test' }, subject: 'Hello', message: 'x', locale: 'it' });
    const [styled] = await deliver('styled@example.test', seen);
    expect(styled!.parsed.from?.value[0]).toMatchObject({ name: 'Shop Help' });
    expect(styled!.parsed.html).toContain('#aa3300');
    expect(styled!.parsed.text).toContain('Abbiamo ricevuto la tua richiesta');
    t.clock.advance(HOUR);
  });
});
