// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent, waitFor } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.js';
import { mountWidget, useWidgetServer, type Mounted } from './mount-widget.js';

describe('reading the thread, on any screen and in any script', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);

  async function openTicket(subject: string, message: string) {
    w = mountWidget(t);
    w.run('newTicket', { subject, message });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    return w.ui.findByRole('heading', { name: subject });
  }

  it('lets Arabic and Hebrew read right to left: subjects and messages carry dir="auto"', async () => {
    const heading = await openTicket('مشكلة في الطلب', 'לא קיבלתי את ההזמנה');
    expect(heading.getAttribute('dir')).toBe('auto');
    expect(w.ui.getByText('לא קיבלתי את ההזמנה').closest('.bubble')!.getAttribute('dir')).toBe('auto');
    fireEvent.click(w.ui.getByRole('button', { name: 'Back' }));
    expect((await w.ui.findByText('مشكلة في الطلب')).closest('bdi')!.getAttribute('dir')).toBe('auto');
  });

  it('shows a close icon on the launcher while the panel is open', async () => {
    w = mountWidget(t);
    const launcher = await w.ui.findByRole('button', { name: 'Open support' });
    expect(launcher.querySelector('[data-icon="chat"]')).not.toBeNull();
    fireEvent.click(launcher);
    const closer = await w.ui.findByRole('button', { name: 'Close support' });
    expect(closer.querySelector('[data-icon="close"]')).not.toBeNull();
    expect(closer.querySelector('[data-icon="chat"]')).toBeNull();
  });

  it('keeps the page behind a phone’s full-screen sheet from scrolling, and gives it back on close', async () => {
    (window as unknown as { happyDOM: { setViewport: (v: { width: number; height: number }) => void } }).happyDOM.setViewport({ width: 375, height: 700 });
    try {
      document.documentElement.style.overflow = 'auto';
      w = mountWidget(t);
      w.run('open');
      await w.ui.findByRole('dialog');
      // An effect after the panel renders: it may land a moment after the dialog shows.
      await waitFor(() => expect(document.documentElement.style.overflow).toBe('hidden'));
      w.run('close');
      await w.ui.findByRole('button', { name: 'Open support' });
      await waitFor(() => expect(document.documentElement.style.overflow).toBe('auto'));
    } finally {
      (window as unknown as { happyDOM: { setViewport: (v: { width: number; height: number }) => void } }).happyDOM.setViewport({ width: 1024, height: 768 });
    }
  });

  it('leaves the page scrolling on a laptop, where the panel floats beside it', async () => {
    document.documentElement.style.overflow = '';
    w = mountWidget(t);
    w.run('open');
    await w.ui.findByRole('dialog');
    expect(document.documentElement.style.overflow).toBe('');
  });
});

describe('after a reload', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);

  it('opens on the ticket the customer was reading', async () => {
    w = mountWidget(t);
    w.run('newTicket', { subject: 'Where was I', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Where was I' });
    w.unmount();

    w = mountWidget(t);
    w.run('open');
    expect(await w.ui.findByRole('heading', { name: 'Where was I' })).toBeTruthy();
  });

  it('opens on the list when that ticket is no longer there', async () => {
    w = mountWidget(t);
    w.run('newTicket', { subject: 'Soon gone', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Soon gone' });
    w.unmount();
    const { api } = await t.agent();
    const [ticket] = (await api.agent.tickets.list.query({ q: 'Soon gone' })).items;
    await api.agent.tickets.markSpam.mutate({ ticketId: ticket!.id });

    w = mountWidget(t);
    w.run('open');
    expect(await w.ui.findByRole('button', { name: 'New ticket' })).toBeTruthy();
    expect(w.ui.queryByRole('alert')).toBeNull();
  });
});

describe('times in the thread', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);

  it('writes times as people do, marks each new day, and does not repeat the opening time', async () => {
    w = mountWidget(t);
    w.run('newTicket', { subject: 'Two days', message: 'Opened yesterday' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Two days' });
    // The only thread on one day has no day lines.
    expect(w.ui.queryAllByRole('separator')).toEqual([]);
    w.unmount();

    t.clock.advance(26 * 3_600_000);
    const { api } = await t.agent({ name: 'Ada' });
    const [ticket] = (await api.agent.tickets.list.query({ q: 'Two days' })).items;
    await api.agent.tickets.reply.mutate({ ticketId: ticket!.id, message: 'Answered today' });

    w = mountWidget(t);
    w.run('showTicket', ticket!.id);
    await w.ui.findByText('Answered today');
    expect(w.ui.getAllByRole('separator').map((s) => s.textContent)).toEqual(['Yesterday', 'Today']);
    expect(w.ui.getByText('Ticket opened').textContent).toBe('Ticket opened');
    const times = [...w.root.querySelectorAll('.message time')].map((el) => el.textContent);
    expect(times).toEqual(['Yesterday 9:00 AM', '11:00 AM']);
  });
});

describe('limits', () => {
  let t: TestServer;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);

  it('shows a counter as the subject nears its limit, keeps a long paste whole, and says what is too long instead of sending', async () => {
    w = mountWidget(t);
    w.run('open');
    fireEvent.click(await w.ui.findByRole('button', { name: 'New ticket' }));
    const subject = await w.ui.findByLabelText('Subject');
    fireEvent.input(subject, { target: { value: 'x'.repeat(150) } });
    expect(w.root.querySelector('#cl-subject-count')).toBeNull();
    fireEvent.input(subject, { target: { value: 'x'.repeat(190) } });
    expect(w.root.querySelector('#cl-subject-count')!.textContent).toBe('190 / 200');
    expect(subject.getAttribute('aria-describedby')).toContain('cl-subject-count');

    const pasted = 'y'.repeat(20_500);
    fireEvent.input(w.ui.getByLabelText('Message'), { target: { value: pasted } });
    // Nothing is cut behind the customer's back: the whole paste stays, and the counter says by how much it is over.
    expect((w.ui.getByLabelText('Message') as HTMLTextAreaElement).value).toHaveLength(20_500);
    expect(w.root.querySelector('#cl-message-count')!.className).toContain('over');

    fireEvent.click(w.ui.getByRole('button', { name: 'Send' }));
    expect(await w.ui.findByText('Too long: at most 20000 characters.')).toBeTruthy();
    const { api } = await t.agent();
    expect((await api.agent.tickets.list.query({})).items).toEqual([]);
  });
});
