// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent, waitFor } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.js';
import { mountWidget, useWidgetServer, type Mounted } from './mount-widget.js';

describe('a new visitor', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);

  it('opens the panel from the launcher: a labelled dialog with an empty state inviting a first ticket', async () => {
    w = mountWidget(t);
    fireEvent.click(await w.ui.findByRole('button', { name: 'Open support' }));
    const dialog = await w.ui.findByRole('dialog', { name: 'Support' });
    expect(dialog).toBeTruthy();
    expect(await w.ui.findByText('No tickets yet')).toBeTruthy();
    // One clear call to action.
    expect(w.ui.getAllByRole('button', { name: /ticket/ })).toHaveLength(1);
    expect(w.ui.getByRole('button', { name: 'New ticket' })).toBeTruthy();
  });

  it('keeps a keyboard user on the launcher when the app takes over from the loader, so Enter opens the panel', async () => {
    w = mountWidget(t, { loaderFocused: true });
    const launcher = await w.ui.findByRole('button', { name: 'Open support' });
    expect(w.root.querySelector('[data-closeloop-loader]')).toBeNull();
    expect(w.root.activeElement).toBe(launcher);
    fireEvent.click(w.root.activeElement!);
    expect(await w.ui.findByRole('dialog', { name: 'Support' })).toBeTruthy();
  });

  it('checks the form inline, and opens the ticket as new with the first message in the thread', async () => {
    w = mountWidget(t);
    w.run('open');
    fireEvent.click(await w.ui.findByRole('button', { name: 'New ticket' }));
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    const subject = await w.ui.findByLabelText('Subject');
    await waitFor(() => expect(subject.getAttribute('aria-invalid')).toBe('true'));
    expect(w.ui.getAllByText('Please fill this in.')).toHaveLength(2);

    fireEvent.input(subject, { target: { value: 'Order never arrived' } });
    fireEvent.input(w.ui.getByLabelText('Message'), { target: { value: 'Ordered two weeks ago.\nStill nothing.' } });
    fireEvent.input(w.ui.getByLabelText('Your email (optional)'), { target: { value: 'not-an-email' } });
    fireEvent.click(w.ui.getByRole('button', { name: 'Send' }));
    expect(await w.ui.findByText('Please enter a valid email address.')).toBeTruthy();
    fireEvent.input(w.ui.getByLabelText('Your email (optional)'), { target: { value: 'ana@example.com' } });
    fireEvent.click(w.ui.getByRole('button', { name: 'Send' }));

    expect(await w.ui.findByRole('heading', { name: 'Order never arrived' })).toBeTruthy();
    expect(w.ui.getByText('Waiting for support')).toBeTruthy();
    expect(w.ui.getByText('Ticket opened', { exact: false })).toBeTruthy();
    expect(w.ui.getByText('Still nothing.', { exact: false })).toBeTruthy();
    expect(w.events.map((e) => e.name)).toContain('ticket:created');
    const stored = JSON.parse(localStorage.getItem(`closeloop:${t.site.siteKey}`)!) as { token: string };
    expect(stored.token).toMatch(/^cls_/);
  });

  it('keeps the draft when the panel closes and the page reloads', async () => {
    w = mountWidget(t);
    w.run('open');
    fireEvent.click(await w.ui.findByRole('button', { name: 'New ticket' }));
    fireEvent.input(await w.ui.findByLabelText('Subject'), { target: { value: 'Half-written' } });
    fireEvent.input(w.ui.getByLabelText('Message'), { target: { value: 'I was saying…' } });
    w.run('close');
    w.unmount();

    w = mountWidget(t);
    w.run('newTicket');
    expect(((await w.ui.findByLabelText('Subject')) as HTMLInputElement).value).toBe('Half-written');
    expect((w.ui.getByLabelText('Message') as HTMLTextAreaElement).value).toBe('I was saying…');
  });

  it('never creates two tickets when a send is retried after the answer was lost', async () => {
    let loseAnswer = true;
    const flaky: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).includes('tickets.create') && loseAnswer) {
        loseAnswer = false;
        throw new TypeError('network dropped');
      }
      return res;
    };
    w = mountWidget(t, { fetch: flaky });
    w.run('newTicket', { subject: 'Charged twice', message: 'Please refund one' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    expect(await w.ui.findByRole('heading', { name: 'Charged twice' })).toBeTruthy();
    const token = (JSON.parse(localStorage.getItem(`closeloop:${t.site.siteKey}`)!) as { token: string }).token;
    const list = await t.client(() => ({ authorization: `Bearer ${token}` })).tickets.list.query();
    expect(list.items.map((x) => x.subject)).toEqual(['Charged twice']);
  });

  it('keeps the text and says so when the server cannot be reached', async () => {
    w = mountWidget(t, { fetch: async () => Promise.reject(new TypeError('offline')) });
    w.run('newTicket', { subject: 'Offline', message: 'Typed while offline' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    expect(await w.ui.findByRole('alert', {}, { timeout: 5000 })).toBeTruthy();
    expect(w.ui.getByRole('alert').textContent).toContain('Cannot reach support');
    expect((w.ui.getByLabelText('Message') as HTMLTextAreaElement).value).toBe('Typed while offline');
  });
});
