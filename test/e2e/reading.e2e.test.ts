import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { E2E_TIMEOUT, newPage, openTicketIn, shot, SKIP_E2E, useStack, widget, type Stack } from './harness.js';

describe.skipIf(SKIP_E2E)('reading a thread in Chromium', { timeout: E2E_TIMEOUT }, () => {
  let stack: Stack;
  let browser: Browser;
  useStack((s, b) => {
    stack = s;
    browser = b;
  });

  async function openTicket(viewport: { width: number; height: number }, subject: string, message: string) {
    stack.setPage({});
    const page = await newPage(browser, viewport);
    await page.goto(stack.shopUrl);
    await openTicketIn(page, subject, message);
    return page;
  }

  it('right-to-left text reads right to left, and an unbroken word wraps inside its bubble', async () => {
    const long = `https://shop.example/orders/${'x'.repeat(120)}`;
    const page = await openTicket({ width: 1100, height: 800 }, 'الطلب رقم ١٠٤٢ لم يصل', `لم أستلم طلبي بعد\n${long}`);
    const ticketId = (await stack.agent.tickets.list({ q: '١٠٤٢' })).items[0]!.id;
    await stack.agent.tickets.reply({ ticketId, message: `Supercalifragilistic${'expialidocious'.repeat(8)}` });
    const bubble = widget(page).locator('.bubble', { hasText: 'Supercalifragilistic' });
    await bubble.waitFor();
    const heading = widget(page).getByRole('heading', { name: 'الطلب رقم ١٠٤٢ لم يصل' });
    expect(await heading.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    const panel = await widget(page).locator('.panel').boundingBox();
    for (const box of [await bubble.boundingBox(), await widget(page).locator('.bubble', { hasText: 'shop.example' }).boundingBox()]) {
      expect(box!.x + box!.width).toBeLessThanOrEqual(panel!.x + panel!.width);
    }
    await shot(page, 'reading-rtl-and-long-words');
    await page.context().close();
  });

  it('a long thread opens at its newest entry; a reply that arrives while reading further up shows a cue instead of jumping', async () => {
    const page = await openTicket({ width: 1100, height: 800 }, 'A long conversation', 'First message');
    const ticketId = (await stack.agent.tickets.list({ q: 'A long conversation' })).items[0]!.id;
    for (let i = 1; i <= 12; i++) await stack.agent.tickets.reply({ ticketId, message: `Step ${i} of the fix` });
    await stack.agent.tickets.resolve({ ticketId, message: 'All done, I believe.' });
    await page.reload();
    await widget(page).getByRole('button', { name: 'Open support' }).click();
    // Reopened after the reload on the ticket, scrolled to the end: the question the customer owes is in view.
    const question = widget(page).getByText('Did this solve your problem?');
    await question.waitFor();
    await page.waitForFunction(() => {
      const body = document.querySelector('closeloop-widget')!.shadowRoot!.querySelector('.panel-body')!;
      return body.scrollHeight - body.scrollTop - body.clientHeight < 48;
    });
    await expect(question.isVisible()).resolves.toBe(true);
    await shot(page, 'reading-long-thread-opens-at-newest');

    await widget(page).locator('.panel-body').evaluate((el) => (el.scrollTop = 0));
    await stack.agent.tickets.reply({ ticketId, message: 'One more thing while you read' });
    const cue = widget(page).getByRole('button', { name: 'New reply ↓' });
    await cue.waitFor();
    expect(await widget(page).locator('.panel-body').evaluate((el) => el.scrollTop)).toBe(0);
    await shot(page, 'reading-new-reply-cue');
    await cue.click();
    await widget(page).getByText('One more thing while you read').waitFor();
    expect(await widget(page).locator('.panel-body').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(48);
    await expect(cue.count()).resolves.toBe(0);
    await page.context().close();
  });

  it('on a 375 px phone: fields of 16 px, the page behind the sheet does not scroll', async () => {
    stack.setPage({ body: '<div style="height:3000px">A long page</div>' });
    const page = await newPage(browser, { width: 375, height: 720 });
    await page.goto(stack.shopUrl);
    await widget(page).getByRole('button', { name: 'Open support' }).click();
    await widget(page).getByRole('button', { name: 'New ticket' }).click();
    const size = await widget(page).getByLabel('Message').evaluate((el) => getComputedStyle(el).fontSize);
    expect(parseFloat(size)).toBeGreaterThanOrEqual(16);
    // The lock is set by an effect after the sheet renders: wait for it, do not race it.
    await page.waitForFunction(() => getComputedStyle(document.documentElement).overflow === 'hidden');
    await shot(page, 'reading-phone-375-new-ticket');
    await widget(page).getByRole('button', { name: 'Close', exact: true }).click();
    await page.waitForFunction(() => document.documentElement.style.overflow === '');
    await page.context().close();
  });
});

describe.skipIf(SKIP_E2E)('the portal, a page of its own', { timeout: E2E_TIMEOUT }, () => {
  let stack: Stack;
  let browser: Browser;
  useStack((s, b) => {
    stack = s;
    browser = b;
  });

  it('filters the customer’s tickets by open or closed and searches their subjects; a thread keeps a reading width', async () => {
    stack.setPage({
      body: '<section id="support"></section>',
      before: "window.Closeloop = window.Closeloop || function () { (Closeloop.q = Closeloop.q || []).push(arguments); }; Closeloop('mount', '#support');",
    });
    const page = await newPage(browser, { width: 1280, height: 900 });
    await page.goto(stack.shopUrl);
    const portal = page.locator('closeloop-portal');
    for (const subject of ['Invoice for March', 'Parcel lost', 'Invoice address']) {
      await portal.getByRole('button', { name: 'New ticket' }).click();
      await portal.getByLabel('Subject').fill(subject);
      await portal.getByLabel('Message').fill('Details');
      await portal.getByRole('button', { name: 'Send' }).click();
      await portal.getByRole('heading', { name: subject }).waitFor();
      await portal.getByRole('button', { name: 'Back' }).click();
    }
    const lost = (await stack.agent.tickets.list({ q: 'Parcel lost' })).items[0]!.id;
    await stack.agent.tickets.resolve({ ticketId: lost });
    await portal.locator('.ticket-row', { hasText: 'Parcel lost' }).click();
    await portal.getByRole('button', { name: 'Yes, close the ticket' }).click();
    await portal.getByText('This ticket is closed.').waitFor();
    await portal.getByRole('button', { name: 'Back' }).click();
    const rows = portal.locator('.ticket-row');
    await expect(rows.count()).resolves.toBe(3);

    await portal.getByRole('searchbox', { name: 'Search your tickets' }).fill('invoice');
    await expect(rows.allTextContents()).resolves.toEqual([expect.stringContaining('Invoice address'), expect.stringContaining('Invoice for March')]);
    await portal.getByRole('searchbox', { name: 'Search your tickets' }).fill('nothing like this');
    await portal.getByText('No ticket matches.').waitFor();
    await portal.getByRole('searchbox', { name: 'Search your tickets' }).fill('');
    await portal.getByRole('combobox', { name: 'Your tickets' }).selectOption('open');
    await expect(rows.allTextContents()).resolves.toEqual([expect.stringContaining('Invoice address'), expect.stringContaining('Invoice for March')]);
    await portal.getByRole('combobox', { name: 'Your tickets' }).selectOption('closed');
    await expect(rows.allTextContents()).resolves.toEqual([expect.stringContaining('Parcel lost')]);
    await shot(page, 'portal-tools');

    await rows.first().click();
    const thread = (await portal.locator('.view.ticket').boundingBox())!;
    expect(thread.width).toBeLessThanOrEqual(680);
    await page.context().close();
  });

  it('turns a reopen refused by a window that passed meanwhile into the follow-up offer', async () => {
    stack.setPage({});
    const page = await newPage(browser);
    await page.goto(stack.shopUrl);
    await openTicketIn(page, 'Window passes while I read', 'x');
    const ticketId = (await stack.agent.tickets.list({ q: 'Window passes' })).items[0]!.id;
    await stack.agent.tickets.resolve({ ticketId });
    await widget(page).getByRole('button', { name: 'Yes, close the ticket' }).click();
    await widget(page).getByRole('button', { name: 'Reopen' }).click();
    stack.advanceClock(31 * 24 * 3_600_000);
    await widget(page).getByRole('button', { name: 'Reopen' }).last().click();
    await widget(page).getByRole('button', { name: 'Open a follow-up ticket' }).waitFor();
    await expect(widget(page).getByRole('alert').count()).resolves.toBe(0);
    await shot(page, 'reopen-window-turned-into-follow-up');
    stack.advanceClock(-31 * 24 * 3_600_000);
    await page.context().close();
  });
});
