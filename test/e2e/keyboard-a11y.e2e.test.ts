import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axe, E2E_TIMEOUT, newPage, shot, SKIP_E2E, useStack, widget, type Stack } from './harness.js';

/** The focused element's accessible name, looking through shadow roots. */
function focused(page: Page) {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return '';
    const labelled = (el as HTMLInputElement).labels?.[0]?.textContent;
    return (el.getAttribute('aria-label') ?? labelled ?? el.textContent ?? '').trim();
  });
}

/** Focus moves to each new view's heading; a keyboard user starts from there. */
const focusOn = (page: Page, name: string) => expect.poll(() => focused(page), { timeout: 20_000 }).toBe(name);

/** Presses Tab until the named control has focus: keyboard only, no clicks. */
async function tabTo(page: Page, name: string | RegExp) {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (typeof name === 'string' ? now === name : name.test(now)) return;
  }
  throw new Error(`Tab never reached "${String(name)}"`);
}

describe.skipIf(SKIP_E2E)('keyboard only, and axe-core on every view', { timeout: E2E_TIMEOUT }, () => {
  let stack: Stack;
  let browser: Browser;
  useStack((s, b) => {
    stack = s;
    browser = b;
  });

  it('9: opens, creates, replies, confirms and closes by keyboard; focus returns to the launcher; no axe violations', async () => {
    const page = await newPage(browser);
    await page.goto(stack.shopUrl);
    await widget(page).getByRole('button', { name: 'Open support' }).waitFor();
    await axe(page, 'launcher');

    await tabTo(page, 'Open support');
    await page.keyboard.press('Enter');
    await widget(page).getByRole('dialog', { name: 'Support' }).waitFor();
    await widget(page).getByText('No tickets yet').waitFor();
    await focusOn(page, 'Support');
    await axe(page, 'home, empty');

    await tabTo(page, 'New ticket');
    await page.keyboard.press('Enter');
    await focusOn(page, 'New ticket');
    await tabTo(page, 'Subject');
    await page.keyboard.type('Keyboard only');
    await tabTo(page, 'Message');
    await page.keyboard.type('Typed without a mouse.');
    await tabTo(page, 'Send');
    await page.keyboard.press('Enter');
    await widget(page).getByRole('heading', { name: 'Keyboard only' }).waitFor();
    await axe(page, 'ticket, new');

    const ticketId = (await stack.agent.tickets.list({ q: 'Keyboard only' })).items[0]!.id;
    await stack.agent.tickets.reply({ ticketId, message: 'Which keyboard layout?' });
    await widget(page).getByText('Which keyboard layout?').waitFor();
    await tabTo(page, 'Reply');
    await page.keyboard.type('US layout');
    await tabTo(page, 'Send');
    await page.keyboard.press('Enter');
    await widget(page).getByText('US layout').waitFor();
    await axe(page, 'ticket, answered and replied');

    await stack.agent.tickets.resolve({ ticketId });
    await widget(page).getByRole('button', { name: 'Yes, close the ticket' }).waitFor();
    await axe(page, 'ticket, resolved banner');
    await tabTo(page, 'Yes, close the ticket');
    await page.keyboard.press('Enter');
    await widget(page).getByText('This ticket is closed.').waitFor();
    await axe(page, 'ticket, closed with rating');
    // A radio group is one Tab stop; arrows move (and select) within it.
    await tabTo(page, 'Great');
    await page.keyboard.press('ArrowRight');
    await tabTo(page, 'Send rating');
    await page.keyboard.press('Enter');
    await widget(page).getByText('Thank you for your feedback!').waitFor();

    await tabTo(page, 'Back');
    await page.keyboard.press('Enter');
    await widget(page).getByText('Your tickets').waitFor();
    await focusOn(page, 'Support');
    await axe(page, 'home, with a ticket');
    await shot(page, '9-keyboard-home');

    await page.keyboard.press('Escape');
    await widget(page).getByRole('dialog').waitFor({ state: 'detached' });
    await focusOn(page, 'Open support');
    expect((await stack.agent.tickets.get({ ticketId })).ticket).toMatchObject({ status: 'closed', rating: 3 });
  });

  it('9: the new-ticket form with errors, the portal, and Estonian pass axe too', async () => {
    const page = await newPage(browser);
    stack.setPage({ attrs: { 'data-locale': 'et' } });
    await page.goto(stack.shopUrl);
    await widget(page).getByRole('button', { name: 'Open support' }).click();
    await widget(page).getByText('Tere! Kuidas saame aidata?').waitFor();
    await widget(page).getByRole('button', { name: 'Uus pöördumine' }).click();
    await widget(page).getByRole('button', { name: 'Saada' }).click();
    await widget(page).getByText('Palun täida see väli.').first().waitFor();
    await axe(page, 'form with errors, Estonian');
    await shot(page, '9-form-errors-et');

    stack.setPage({ body: '<section id="support"></section>', before: "window.Closeloop = window.Closeloop || function () { (Closeloop.q = Closeloop.q || []).push(arguments); }; Closeloop('mount', '#support');" });
    await page.goto(stack.shopUrl);
    await page.locator('closeloop-portal').getByRole('region').waitFor();
    await axe(page, 'portal');
  });
});
