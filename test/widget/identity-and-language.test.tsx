// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent, waitFor } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import { signTestIdentity, type TestServer } from '../helpers/test-server.js';
import { mountWidget, useWidgetServer, type Mounted } from './mount-widget.js';

describe('who the visitor is, and which language they read', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);

  const identityFor = (sub: string, secret = t.site.secretKey) => signTestIdentity(secret, { sub, name: sub }, t.clock.now());

  it('shows a verified user their own tickets, and no email fields', async () => {
    const { api } = await t.agent();
    await api.agent.tickets.create.mutate({ customer: { id: 'user-9' }, subject: 'From the phone call', message: 'x' });
    w = mountWidget(t, { boot: { identity: identityFor('user-9') } });
    w.run('open');
    expect(await w.ui.findByText('From the phone call')).toBeTruthy();
    fireEvent.click(w.ui.getByRole('button', { name: 'New ticket' }));
    await w.ui.findByLabelText('Subject');
    expect(w.ui.queryByLabelText('Your email (optional)')).toBeNull();
  });

  it('says so when the identity token is refused, and shows nothing of anyone', async () => {
    const tampered = identityFor('user-9').replace(/\.[^.]+$/, '.forged-signature');
    w = mountWidget(t, { boot: { identity: tampered } });
    w.run('open');
    expect(await w.ui.findByText('Your sign-in could not be verified. Reload the page to try again.')).toBeTruthy();
    expect(w.ui.queryByText('From the phone call')).toBeNull();
  });

  it('never hands one user’s stored session to another, nor to an anonymous visitor', async () => {
    w = mountWidget(t, { boot: { identity: identityFor('alice') } });
    w.run('newTicket', { subject: 'Alice’s', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Alice’s' });
    w.unmount();

    for (const boot of [{ identity: identityFor('bob') }, {}]) {
      w = mountWidget(t, { boot });
      w.run('open');
      expect(await w.ui.findByText('No tickets yet')).toBeTruthy();
      w.unmount();
    }
  });

  it('forgets the session on shutdown: the stored key goes and the token stops working', async () => {
    w = mountWidget(t);
    w.run('newTicket', { subject: 'Before shutdown', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Before shutdown' });
    const { token } = JSON.parse(localStorage.getItem(`closeloop:${t.site.siteKey}`)!) as { token: string };
    w.run('shutdown');
    await waitFor(() => expect(localStorage.getItem(`closeloop:${t.site.siteKey}`)).toBeNull());
    await waitFor(async () => {
      const res = await fetch(`${t.url}/trpc/tickets.list`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
    });
  });

  it('speaks Estonian from data-locale, Italian from a regional tag, English for anything else', async () => {
    for (const [locale, text] of [
      ['et', 'Tere! Kuidas saame aidata?'],
      ['it-IT', 'Ciao! Come possiamo aiutarti?'],
      ['fr', 'Hi! How can we help?'],
    ] as const) {
      w = mountWidget(t, { locale });
      w.run('open');
      expect(await w.ui.findByText(text)).toBeTruthy();
      w.unmount();
    }
  });

  it('switches language when boot names one', async () => {
    w = mountWidget(t);
    w.run('open');
    await w.ui.findByText('Hi! How can we help?');
    w.run('boot', { locale: 'et' });
    expect(await w.ui.findByText('Tere! Kuidas saame aidata?')).toBeTruthy();
  });

  it('uses the site’s own greeting and new-ticket intro where the site set them', async () => {
    await t.store.updateSite(t.site.id, {
      texts: { en: { greeting: 'Welcome to Acme support!', intro: 'Include your order number, please.', responseTime: 'We usually answer within 2 hours.' } },
    });
    w = mountWidget(t);
    w.run('newTicket', { subject: 'Texts', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Texts' });
    fireEvent.click(w.ui.getByRole('button', { name: 'Back' }));
    expect(await w.ui.findByText('Welcome to Acme support!')).toBeTruthy();
    expect(w.ui.getByText('We usually answer within 2 hours.')).toBeTruthy();
    fireEvent.click(w.ui.getByRole('button', { name: 'New ticket' }));
    expect(await w.ui.findByText('Include your order number, please.')).toBeTruthy();
    await t.store.updateSite(t.site.id, { texts: {} });
  });
});

describe('context for the agent', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);

  it('sends the page, the browser, the language and the site’s own fields with a new ticket; a site’s bad field is dropped, not fatal', async () => {
    w = mountWidget(t, { boot: { context: { plan: 'pro', orderId: 1042, 'bad name!': 'x', empty: null } } });
    w.run('newTicket', { subject: 'With context', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'With context' });
    const { api } = await t.agent();
    const [ticket] = (await api.agent.tickets.list.query({ q: 'With context' })).items;
    expect(ticket!.context).toEqual({
      pageUrl: 'http://shop.test/',
      userAgent: navigator.userAgent,
      language: navigator.language,
      fields: { plan: 'pro', orderId: '1042' },
    });
  });
});
