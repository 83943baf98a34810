import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { E2E_TIMEOUT, newPage, shot, SKIP_E2E, useStack, widget, type Stack } from './harness.js';

const QUEUE = 'window.Closeloop = window.Closeloop || function () { (Closeloop.q = Closeloop.q || []).push(arguments); };';

describe.skipIf(SKIP_E2E)('embedding the widget in a real browser', { timeout: E2E_TIMEOUT }, () => {
  let stack: Stack;
  let browser: Browser;
  useStack((s, b) => {
    stack = s;
    browser = b;
  });

  async function visit(viewport = { width: 1100, height: 800 }) {
    const page = await newPage(browser, viewport);
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(stack.shopUrl);
    return { page, problems };
  }

  async function createAs(page: Page, subject: string) {
    await widget(page).getByRole('button', { name: 'New ticket' }).click();
    await widget(page).getByLabel('Subject').fill(subject);
    await widget(page).getByLabel('Message').fill('x');
    await widget(page).getByRole('button', { name: 'Send' }).click();
    await widget(page).getByRole('heading', { name: subject }).waitFor();
  }

  it('5: a verified user sees only their own tickets; a tampered token is refused and the widget says so', async () => {
    stack.setPage({ user: 'alice' });
    const alice = await visit();
    await widget(alice.page).getByRole('button', { name: 'Open support' }).click();
    await createAs(alice.page, 'Alice’s private question');
    expect(await widget(alice.page).getByLabel('Your email (optional)').count()).toBe(0);

    stack.setPage({ user: 'bob' });
    const bob = await visit();
    await widget(bob.page).getByRole('button', { name: 'Open support' }).click();
    await widget(bob.page).getByText('No tickets yet').waitFor();
    await shot(bob.page, '5-bob-sees-nothing-of-alice');

    stack.setPage({ user: 'alice', tamper: true });
    const forged = await visit();
    await widget(forged.page).getByRole('button', { name: 'Open support' }).click();
    await widget(forged.page).getByText('Your sign-in could not be verified').waitFor();
    expect(await widget(forged.page).getByText('Alice’s private question').count()).toBe(0);
    await shot(forged.page, '5-tampered-token');
  });

  it('6: Closeloop("open") called before the script loads opens the panel', async () => {
    stack.setPage({ before: `${QUEUE} Closeloop('open'); Closeloop('on', 'ticket:created', (t) => { window.__created = t.subject; });` });
    const { page, problems } = await visit();
    await widget(page).getByRole('dialog', { name: 'Support' }).waitFor();
    await createAs(page, 'Queued calls work');
    expect(await page.evaluate(() => (window as { __created?: string }).__created)).toBe('Queued calls work');
    await shot(page, '6-command-queue');
    expect(problems).toEqual([]);
  });

  it('7: a hostile page (global CSS that unsets everything, a strict CSP with a nonce) still gets a working, styled widget', async () => {
    const nonce = 'n0nc3-e2e';
    stack.setPage({
      cspNonce: nonce,
      head: `<style nonce="${nonce}">
        * { all: unset !important; }
        button { display: none !important; }
        body * { color: #f0f !important; font-family: "Comic Sans MS", cursive !important; font-size: 40px !important; }
        div { display: none !important; }
      </style>`,
    });
    const { page, problems } = await visit();
    const launcher = widget(page).getByRole('button', { name: 'Open support' });
    await launcher.click();
    await createAs(page, 'Styled despite the page');
    const look = await widget(page).getByRole('button', { name: 'Back' }).evaluate((el) => {
      const header = getComputedStyle(el.closest('.panel-head')!);
      const panel = el.closest('.panel')!.getBoundingClientRect();
      return { headerBg: header.backgroundColor, font: header.fontFamily, width: Math.round(panel.width) };
    });
    expect(look.headerBg).toBe('rgb(29, 78, 216)');
    expect(look.font).not.toContain('Comic');
    expect(look.width).toBe(380);
    await shot(page, '7-hostile-page-csp');
    expect(problems.filter((p) => /Content Security Policy|Refused/.test(p))).toEqual([]);
  });

  it('10: a full-screen sheet on a 375 px phone, a floating panel on a wide screen', async () => {
    stack.setPage({});
    const phone = await visit({ width: 375, height: 720 });
    await widget(phone.page).getByRole('button', { name: 'Open support' }).click();
    const sheet = await widget(phone.page).getByRole('dialog').boundingBox();
    expect(sheet).toMatchObject({ x: 0, y: 0, width: 375, height: 720 });
    await shot(phone.page, '10-narrow-375');

    const wide = await visit({ width: 1440, height: 900 });
    await widget(wide.page).getByRole('button', { name: 'Open support' }).click();
    const panel = (await widget(wide.page).getByRole('dialog').boundingBox())!;
    expect(panel.width).toBe(380);
    expect(panel.x + panel.width).toBe(1440 - 20);
    await shot(wide.page, '10-wide-1440');
  });

  it('mounts the full-page customer portal inline, with no launcher', async () => {
    stack.setPage({ body: '<section id="support"></section>', before: `${QUEUE} Closeloop('mount', '#support');` });
    const { page } = await visit();
    const portal = page.locator('closeloop-portal').getByRole('region', { name: 'Support' });
    await portal.waitFor();
    expect(await widget(page).getByRole('button', { name: 'Open support' }).isVisible()).toBe(false);
    await shot(page, 'portal');
  });
});
