// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/" }
import { fireEvent, waitFor, within } from '@testing-library/preact';
import { beforeAll, describe, expect, it } from 'vitest';
import { DAY, type TestServer } from '../helpers/test-server.js';
import { et } from '../../widget/app/locales/et.js';
import { mountWidget, press, useWidgetServer, type Mounted } from './mount-widget.js';

/** The agent's side, from the site's backend (the SDK's agent client refuses to run in a browser-like test). */
async function agentActions(t: TestServer) {
  const { api } = await t.agent({ name: 'Ada', email: 'ada@shop.test' });
  const a = api.agent.tickets;
  return {
    tickets: {
      list: (input: { q: string }) => a.list.query(input),
      get: (input: { ticketId: string }) => a.get.query(input),
      reply: (input: { ticketId: string; message: string }) => a.reply.mutate(input),
      resolve: (input: { ticketId: string; message?: string }) => a.resolve.mutate(input),
      postpone: (input: { ticketId: string; until: Date }) => a.postpone.mutate({ ...input, until: input.until.toISOString() }),
    },
  };
}

describe('a customer’s ticket in the widget', () => {
  let t: TestServer;
  let agent: Awaited<ReturnType<typeof agentActions>>;
  let w: Mounted;
  useWidgetServer((server) => (t = server), () => w);
  beforeAll(async () => {
    agent = await agentActions(t);
  });

  /** Opens a ticket through the widget and returns its id. */
  async function openTicket(subject: string, message = 'Help please') {
    w?.unmount();
    w = mountWidget(t);
    w.run('newTicket', { subject, message });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: subject });
    return (await agent.tickets.list({ q: subject })).items[0]!.id;
  }

  it('shows the agent’s answer live, with the status, without a reload', async () => {
    const ticketId = await openTicket('Live answer');
    await agent.tickets.reply({ ticketId, message: 'Hello from Ada' });
    expect(await w.ui.findByText('Hello from Ada', {}, { timeout: 5000 })).toBeTruthy();
    expect(w.ui.getByText('Support replied — your turn')).toBeTruthy();
    expect(w.ui.getByText(/^Ada ·/)).toBeTruthy();
  });

  it('catches up on what happened while its live stream was still connecting', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowStream: typeof fetch = async (input, init) => {
      if (String(input).includes('session.streamTicket')) await gate;
      return fetch(input, init);
    };
    w?.unmount();
    w = mountWidget(t, { fetch: slowStream });
    w.run('newTicket', { subject: 'Raced', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Raced' });
    const ticketId = (await agent.tickets.list({ q: 'Raced' })).items[0]!.id;
    await agent.tickets.resolve({ ticketId });
    release();
    expect(await w.ui.findByRole('button', { name: 'Yes, close the ticket' }, { timeout: 5000 })).toBeTruthy();
  });

  it('keeps the newest thread when an older answer arrives late', async () => {
    let holding = false;
    let delivered = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lateReads: typeof fetch = async (input, init) => {
      const held = holding && String(input).includes('tickets.get');
      if (!held) return fetch(input, init);
      holding = false;
      const response = await fetch(input, init);
      const body = await response.text();
      await gate;
      delivered = true;
      return new Response(body, { status: response.status, headers: response.headers });
    };
    w?.unmount();
    w = mountWidget(t, { fetch: lateReads });
    w.run('newTicket', { subject: 'Late read', message: 'x' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Send' }));
    await w.ui.findByRole('heading', { name: 'Late read' });
    const ticketId = (await agent.tickets.list({ q: 'Late read' })).items[0]!.id;
    // The thread is read after the first reply, but its answer is held back…
    holding = true;
    await agent.tickets.reply({ ticketId, message: 'First answer' });
    await waitFor(() => expect(holding).toBe(false), { timeout: 5000 });
    // …until the second reply has been read and shown.
    await agent.tickets.resolve({ ticketId, message: 'Second answer' });
    expect(await w.ui.findByText('Second answer', {}, { timeout: 5000 })).toBeTruthy();
    release();
    await waitFor(() => expect(delivered).toBe(true));
    // One turn of the event loop: the late answer has been parsed and applied.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(w.ui.getByText('Second answer')).toBeTruthy();
    expect(w.ui.getByRole('button', { name: 'Yes, close the ticket' })).toBeTruthy();
  });

  it('announces a status change to screen readers', async () => {
    const ticketId = await openTicket('Announce me');
    await agent.tickets.resolve({ ticketId });
    await waitFor(() => expect(w.ui.getByRole('status').textContent).toBe('Announce me: Status changed to Solved? Please confirm'), { timeout: 5000 });
  });

  it('closes the ticket when the customer confirms the resolution, then takes a rating', async () => {
    const ticketId = await openTicket('Confirm me');
    await agent.tickets.resolve({ ticketId, message: 'Fixed on our side' });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Yes, close the ticket' }, { timeout: 5000 }));
    expect(await w.ui.findByText('This ticket is closed.')).toBeTruthy();
    expect(w.events.map((e) => e.name)).toContain('ticket:closed');
    fireEvent.click(w.ui.getByRole('radio', { name: 'Okay' }));
    fireEvent.input(await w.ui.findByLabelText('Anything to add? (optional)'), { target: { value: 'Quick fix' } });
    await press(w.ui.getByRole('button', { name: 'Send rating' }));
    expect(await w.ui.findByText('Thank you for your feedback!')).toBeTruthy();
    expect(await w.ui.findByText(/^You rated this: Okay/, {}, { timeout: 5000 })).toBeTruthy();
    expect((await agent.tickets.get({ ticketId })).ticket).toMatchObject({ status: 'closed', rating: 3, ratingComment: 'Quick fix' });
  });

  it('asks what is missing when the customer says it is not solved, and reopens the ticket', async () => {
    const ticketId = await openTicket('Not solved');
    await agent.tickets.resolve({ ticketId });
    fireEvent.click(await w.ui.findByRole('button', { name: 'No, I still need help' }, { timeout: 5000 }));
    const why = await w.ui.findByLabelText('What is still not working?');
    fireEvent.click(w.ui.getByRole('button', { name: 'Send to support' }));
    expect(await w.ui.findByText('Please fill this in.')).toBeTruthy();
    fireEvent.input(why, { target: { value: 'Still broken on mobile' } });
    fireEvent.click(w.ui.getByRole('button', { name: 'Send to support' }));
    expect(await w.ui.findByText('Still broken on mobile')).toBeTruthy();
    expect((await agent.tickets.get({ ticketId })).ticket.status).toBe('open');
  });

  it('reopens a closed ticket with a reason inside the reopen window', async () => {
    const ticketId = await openTicket('Reopen me');
    await agent.tickets.resolve({ ticketId });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Yes, close the ticket' }, { timeout: 5000 }));
    expect(await w.ui.findByText(/You can reopen it until/)).toBeTruthy();
    fireEvent.click(w.ui.getByRole('button', { name: 'Reopen' }));
    fireEvent.input(await w.ui.findByLabelText('Why reopen it? (optional)'), { target: { value: 'It broke again' } });
    await press(w.ui.getAllByRole('button', { name: 'Reopen' }).at(-1)!);
    expect(await w.ui.findByText('Waiting for support', {}, { timeout: 5000 })).toBeTruthy();
    // The customer's reason stays in the thread, under the event, as text.
    expect(w.ui.getByText('It broke again').closest('li')!.textContent).toMatch(/^Ticket reopened · .+It broke again$/);
    expect((await agent.tickets.get({ ticketId })).ticket).toMatchObject({ status: 'open', reopenCount: 1 });
    expect(w.events.map((e) => e.name)).toContain('ticket:reopened');
  });

  it('turns into the follow-up offer at once when the window passed while the view was open, with no error', async () => {
    const ticketId = await openTicket('Window closes under me');
    await agent.tickets.resolve({ ticketId });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Yes, close the ticket' }, { timeout: 5000 }));
    fireEvent.click(await w.ui.findByRole('button', { name: 'Reopen' }));
    await w.ui.findByLabelText('Why reopen it? (optional)');
    // The customer reads for a month before pressing the button.
    t.clock.advance(31 * DAY);
    await press(w.ui.getAllByRole('button', { name: 'Reopen' }).at(-1)!);
    expect(await w.ui.findByRole('button', { name: 'Open a follow-up ticket' })).toBeTruthy();
    expect(w.ui.getByText('This ticket was closed too long ago to reopen.')).toBeTruthy();
    expect(w.ui.queryByRole('button', { name: 'Reopen' })).toBeNull();
    expect(w.ui.queryByRole('alert')).toBeNull();
  });

  it('names a follow-up in the customer’s language', async () => {
    const ticketId = await openTicket('Arve on vale');
    await agent.tickets.resolve({ ticketId });
    w.unmount();
    const customerToken = JSON.parse(localStorage.getItem(`closeloop:${t.site.siteKey}`)!) as { token: string };
    await t.client(() => ({ authorization: `Bearer ${customerToken.token}` })).tickets.confirmResolution.mutate({ ticketId });
    t.clock.advance(31 * DAY);
    w = mountWidget(t, { locale: 'et' });
    w.run('showTicket', ticketId);
    fireEvent.click(await w.ui.findByRole('button', { name: et.followUp }));
    fireEvent.input(await w.ui.findByLabelText(et.followUpMessage), { target: { value: 'Jälle sama' } });
    fireEvent.click(w.ui.getByRole('button', { name: et.send }));
    expect(await w.ui.findByRole('heading', { name: 'Järg: Arve on vale' })).toBeTruthy();
  });

  it('offers a follow-up ticket that links back once the reopen window has passed', async () => {
    const ticketId = await openTicket('Too late');
    await agent.tickets.resolve({ ticketId });
    fireEvent.click(await w.ui.findByRole('button', { name: 'Yes, close the ticket' }, { timeout: 5000 }));
    await w.ui.findByText('This ticket is closed.');
    t.clock.advance(31 * DAY);
    w.run('showTicket', ticketId);
    fireEvent.click(await w.ui.findByRole('button', { name: 'Open a follow-up ticket' }));
    expect(w.ui.queryByRole('button', { name: 'Reopen' })).toBeNull();
    fireEvent.input(await w.ui.findByLabelText('What do you need help with?'), { target: { value: 'Same problem again' } });
    await press(w.ui.getByRole('button', { name: 'Send' }));
    expect(await w.ui.findByRole('heading', { name: 'Follow-up: Too late' })).toBeTruthy();
    expect(w.ui.getByText('Follow-up of an earlier ticket')).toBeTruthy();
  });

  it('lists tickets newest first, in customer words, with an unread marker and a launcher badge', async () => {
    const first = await openTicket('First ticket');
    w.unmount();
    t.clock.advance(60_000);
    const second = await openTicket('Second ticket');
    await agent.tickets.postpone({ ticketId: second, until: new Date(t.clock.now() + DAY) });
    t.clock.advance(60_000);
    await agent.tickets.reply({ ticketId: first, message: 'Any update?' });
    w.unmount();

    w = mountWidget(t);
    const launcher = await w.ui.findByRole('button', { name: /Open support \(1 unread reply\)/ }, { timeout: 5000 });
    expect(w.events.filter((e) => e.name === 'unread').at(-1)?.payload).toBe(1);
    fireEvent.click(launcher);
    // The panel reopens on the ticket last read (after a reload too); the list is one step back.
    await w.ui.findByRole('heading', { name: 'Second ticket' });
    fireEvent.click(w.ui.getByRole('button', { name: 'Back' }));
    const rows = await w.ui.findAllByRole('listitem');
    // Each row: subject, a one-line preview of the newest public message, and whose turn it is.
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringMatching(/^First ticketAny update\?Support replied — your turn/),
      expect.stringMatching(/^Second ticketHelp pleaseWaiting for support/),
    ]);
    expect(within(rows[0]!).getByRole('img', { name: 'New reply' })).toBeTruthy();
    expect(within(rows[1]!).queryByRole('img', { name: 'New reply' })).toBeNull();
  });

  it('makes a resolution waiting for the customer’s word stand out in the list', async () => {
    const ticketId = await openTicket('Awaiting my word');
    await agent.tickets.resolve({ ticketId });
    await w.ui.findByRole('button', { name: 'Yes, close the ticket' }, { timeout: 5000 });
    fireEvent.click(w.ui.getByRole('button', { name: 'Back' }));
    const row = (await w.ui.findByText('Awaiting my word')).closest('button')!;
    expect(row.textContent).toContain('Solved? Please confirm');
    expect(row.classList.contains('awaits-you')).toBe(true);
  });

  it('shows message text as text: HTML literally, javascript: links inert, http links clickable', async () => {
    const ticketId = await openTicket('Safety', '<img src=x onerror="window.pwned=1"> see https://example.com/help and javascript:alert(1)');
    await agent.tickets.reply({ ticketId, message: '<b>bold?</b>\nline two' });
    await w.ui.findByText(/bold\?/, {}, { timeout: 5000 });
    const app = w.root.querySelector('[data-closeloop-app]')!;
    expect(app.querySelector('img')).toBeNull();
    expect(app.querySelector('b')).toBeNull();
    expect(w.ui.getByText(/<img src=x onerror/)).toBeTruthy();
    const links = [...app.querySelectorAll('.bubble a')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['https://example.com/help']);
    expect((window as { pwned?: number }).pwned).toBeUndefined();
    expect(app.querySelector('.theirs .bubble br')).not.toBeNull();
  });

  it('closes on Escape and gives focus back to the launcher', async () => {
    w = mountWidget(t);
    const launcher = await w.ui.findByRole('button', { name: 'Open support' });
    launcher.focus();
    fireEvent.click(launcher);
    const dialog = await w.ui.findByRole('dialog', { name: 'Support' });
    await waitFor(() => expect(w.root.activeElement?.id).toBe('cl-title'));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() => expect(w.ui.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(w.root.activeElement?.getAttribute('aria-label')).toBe('Open support'));
  });
});
