import type { Browser, Page } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { E2E_TIMEOUT, newPage, openTicketIn, shot, SKIP_E2E, useStack, widget, type Stack } from './harness.js';

const DAY = 24 * 3_600_000;

describe.skipIf(SKIP_E2E)('the lifecycle in a real browser, on a shop page of another origin', { timeout: E2E_TIMEOUT }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  useStack((s, b) => {
    stack = s;
    browser = b;
  });
  beforeEach(async () => {
    stack.setPage({});
    page = await newPage(browser);
    await page.goto(stack.shopUrl);
  });

  async function openTicket(subject: string, message = 'Please help') {
    await openTicketIn(page, subject, message);
    return (await stack.agent.tickets.list({ q: subject })).items[0]!.id;
  }

  it('1: an anonymous visitor opens a ticket; the agent’s answer and status appear without a reload', async () => {
    const ticketId = await openTicket('Order #1042 never arrived', 'Ordered two weeks ago.');
    await stack.agent.tickets.reply({ ticketId, message: 'So sorry! We re-shipped it today.' });
    await widget(page).getByText('So sorry! We re-shipped it today.').waitFor();
    await expect(widget(page).locator('.ticket-head .badge').textContent()).resolves.toBe('Support replied — your turn');
    await shot(page, '1-answered-live');
  });

  it('2: the agent resolves; the customer confirms; the ticket shows closed and the rating is stored', async () => {
    const ticketId = await openTicket('Refund not received');
    await stack.agent.tickets.resolve({ ticketId, message: 'Refunded today.' });
    await widget(page).getByRole('button', { name: 'Yes, close the ticket' }).click();
    await widget(page).getByText('This ticket is closed.').waitFor();
    await widget(page).getByText('Great', { exact: true }).click();
    await widget(page).getByRole('button', { name: 'Send rating' }).click();
    await widget(page).getByText('Thank you for your feedback!').waitFor();
    await shot(page, '2-closed-rated');
    expect((await stack.agent.tickets.get({ ticketId })).ticket).toMatchObject({ status: 'closed', rating: 5, closedBy: 'customer' });
  });

  it('3: the customer rejects a resolution with a message, and the ticket is open', async () => {
    const ticketId = await openTicket('App crashes on start');
    await stack.agent.tickets.resolve({ ticketId });
    await widget(page).getByRole('button', { name: 'No, I still need help' }).click();
    await widget(page).getByLabel('What is still not working?').fill('Still crashes on Android 14');
    await widget(page).getByRole('button', { name: 'Send to support' }).click();
    await widget(page).getByText('Still crashes on Android 14').waitFor();
    await shot(page, '3-rejected');
    expect((await stack.agent.tickets.get({ ticketId })).ticket.status).toBe('open');
  });

  it('4: the customer reopens a closed ticket; after the window the widget offers a follow-up that links back', async () => {
    await stack.agent.site.update({ reopenWindowDays: 1 });
    const ticketId = await openTicket('Invoice address wrong');
    await stack.agent.tickets.resolve({ ticketId });
    await widget(page).getByRole('button', { name: 'Yes, close the ticket' }).click();
    await widget(page).getByRole('button', { name: 'Reopen' }).click();
    await widget(page).getByRole('button', { name: 'Reopen' }).last().click();
    await widget(page).locator('.ticket-head .badge', { hasText: 'Waiting for support' }).waitFor();
    expect((await stack.agent.tickets.get({ ticketId })).ticket.reopenCount).toBe(1);

    await stack.agent.tickets.resolve({ ticketId });
    await widget(page).getByRole('button', { name: 'Yes, close the ticket' }).click();
    await widget(page).getByText('This ticket is closed.').waitFor();
    stack.advanceClock(2 * DAY);
    await page.reload();
    await page.evaluate((id) => (window as unknown as { Closeloop: (...a: unknown[]) => void }).Closeloop('showTicket', id), ticketId);
    await widget(page).getByRole('button', { name: 'Open a follow-up ticket' }).click();
    expect(await widget(page).getByRole('button', { name: 'Reopen' }).count()).toBe(0);
    await widget(page).getByLabel('What do you need help with?').fill('The new invoice is wrong too');
    await widget(page).getByRole('button', { name: 'Send' }).click();
    await widget(page).getByRole('heading', { name: 'Follow-up: Invoice address wrong' }).waitFor();
    await shot(page, '4-follow-up');
    const followUp = (await stack.agent.tickets.list({ q: 'Follow-up: Invoice' })).items[0]!;
    expect(followUp.followUpOf).toBe(ticketId);
    await stack.agent.site.update({ reopenWindowDays: 30 });
  });

  it('8: a message with <img src=x onerror=…> is shown as text and runs nothing', async () => {
    const attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const ticketId = await openTicket('Injection', attack);
    await stack.agent.tickets.reply({ ticketId, message: '<b onmouseover="window.__pwned=3">hover me</b> javascript:alert(1)' });
    await widget(page).getByText('hover me', { exact: false }).waitFor();
    await widget(page).getByText('hover me', { exact: false }).hover();
    await shot(page, '8-injection-as-text');
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await widget(page).locator('.bubble img, .bubble script, .bubble b').count()).toBe(0);
    expect(await widget(page).getByText(attack).count()).toBe(1);
    expect(await widget(page).locator('.bubble a').count()).toBe(0);
  });
});
