// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.js';
import { mountWidget, useWidgetServer, type Mounted } from './mount-widget.js';

function setVisibility(state: 'hidden' | 'visible') {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('the live connection', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);
  afterEach(() => {
    setVisibility('visible');
  });

  const open = () => t.server.app.hub.listenerCount;

  it('is open only while the customer has a ticket that is not closed, and the tab is visible', async () => {
    w = mountWidget(t);
    w.run('open');
    await w.ui.findByText('No tickets yet');
    expect(open()).toBe(0);

    w.run('newTicket', { subject: 'Watch me', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Watch me' });
    await waitFor(() => expect(open()).toBe(1));

    setVisibility('hidden');
    await waitFor(() => expect(open()).toBe(0));
    setVisibility('visible');
    await waitFor(() => expect(open()).toBe(1));

    const { api } = await t.agent();
    const [ticket] = (await api.agent.tickets.list.query({ q: 'Watch me' })).items;
    await api.agent.tickets.resolve.mutate({ ticketId: ticket!.id });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Yes, close the ticket' }, { timeout: 5000 }));
    await w.ui.findByText('This ticket is closed.');
    await waitFor(() => expect(open()).toBe(0));
  });

  it('catches up once the network is back when fetching an event’s ticket failed: the thread and the unread count converge', async () => {
    let offline = false;
    let failedLoads = 0;
    const fetchUnlessOffline: typeof fetch = (input, init) => {
      if (!offline) return fetch(input, init);
      if (String(input).includes('tickets.get')) failedLoads++;
      return Promise.reject(new TypeError('Failed to fetch'));
    };
    w = mountWidget(t, { fetch: fetchUnlessOffline });
    w.run('newTicket', { subject: 'Flaky wifi', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Flaky wifi' });
    await waitFor(() => expect(open()).toBe(1));

    // The live event still arrives, but every call it triggers fails: the view cannot load the reply.
    offline = true;
    const { api } = await t.agent();
    const [ticket] = (await api.agent.tickets.list.query({ q: 'Flaky wifi' })).items;
    await api.agent.tickets.reply.mutate({ ticketId: ticket!.id, message: 'Answer sent while offline' });
    await waitFor(() => expect(w.events.filter((e) => e.name === 'unread').at(-1)?.payload).toBe(1), { timeout: 5000 });
    // The SDK retries a failed read three times; the widget's own catch-up is what must outlast that.
    await waitFor(() => expect(failedLoads).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    expect(w.ui.queryByText('Answer sent while offline')).toBeNull();

    offline = false;
    window.dispatchEvent(new Event('online'));
    expect(await w.ui.findByText('Answer sent while offline', {}, { timeout: 5000 })).toBeTruthy();
    await waitFor(() => expect(w.events.filter((e) => e.name === 'unread').at(-1)?.payload).toBe(0), { timeout: 5000 });
    // Read on the server too: the reply on screen was marked read once it loaded.
    const row = await t.store.getTicket({ siteId: t.site.id, ticketId: ticket!.id });
    expect(row!.customerReadAt).toBeGreaterThanOrEqual(row!.lastAgentReplyAt!);
  });

  it('shows that the visitor is offline, and clears it when they are back', async () => {
    w = mountWidget(t);
    w.run('open');
    await w.ui.findByRole('dialog');
    window.dispatchEvent(new Event('offline'));
    expect(await w.ui.findByText(/You are offline/)).toBeTruthy();
    window.dispatchEvent(new Event('online'));
    await waitFor(() => expect(w.ui.queryByText(/You are offline/)).toBeNull());
  });
});
