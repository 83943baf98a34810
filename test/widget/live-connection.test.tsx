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
