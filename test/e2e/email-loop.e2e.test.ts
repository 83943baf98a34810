/**
 * The loop closed by email, in Chromium, on the demo anyone can run: a visitor
 * opens a ticket with an address, proves it from the receipt, the agent
 * resolves, the customer confirms from the email, and the widget still open on
 * the shop shows the ticket closed without a reload. Then a phone-like fresh
 * browser signs in to the portal by an emailed link.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient } from '../../sdk/index.js';
import { startDemo } from '../../demo/backend/start.js';
import { axe, E2E_TIMEOUT, launch, newPage, shot, SKIP_E2E, widget } from './harness.js';

describe.skipIf(SKIP_E2E)('email that closes the loop', { timeout: E2E_TIMEOUT }, () => {
  let browser: Browser;
  const dataDir = mkdtempSync(join(tmpdir(), 'closeloop-email-e2e-'));
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Opens the inbox at /mail and follows the newest email's link with this label, then presses the page's button. */
  async function followLink(inbox: Page, shopUrl: string, subject: RegExp, label: string) {
    await inbox.goto(`${shopUrl}/mail`);
    const mail = inbox.locator('article', { hasText: subject }).first();
    const line = (await mail.locator('pre').textContent())!.split('\n').find((l) => l.startsWith(label))!;
    await mail.getByRole('link', { name: line.slice(label.length + 2) }).click();
  }

  it('confirms a resolution from the email, and the open widget shows it closed', async () => {
    const lines: string[] = [];
    const demo = await startDemo({ dataDir, apiPort: 0, shopPort: 0, log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toContain(`${demo.shopUrl}/mail`);
      const agent = createAgentClient({ url: demo.apiUrl, secretKey: demo.keys.secretKey, agentId: demo.keys.agentId });
      const shop = await newPage(browser);
      // The link pages' CSP lets no script in: axe-core needs the browser to look away.
      const inbox = await newPage(browser, undefined, { bypassCSP: true });
      const errors: string[] = [];
      for (const page of [shop, inbox]) page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`));

      await shop.goto(demo.shopUrl);
      await widget(shop).getByRole('button', { name: 'Open support' }).click();
      await widget(shop).getByRole('button', { name: 'New ticket' }).click();
      await widget(shop).getByLabel('Subject').fill('Kettle whistles off-key');
      await widget(shop).getByLabel('Message').fill('It sounds like a sad trombone.');
      await widget(shop).getByLabel(/Your email/).fill('mia@example.com');
      await widget(shop).getByText('We email you our replies and a link to follow this ticket from any device. Nothing else.').waitFor();
      await widget(shop).getByRole('button', { name: 'Send' }).click();
      await widget(shop).getByRole('heading', { name: 'Kettle whistles off-key' }).waitFor();
      const ticketId = (await agent.tickets.list({ q: 'Kettle whistles' })).items[0]!.id;

      // The receipt: its link proves the address and opens the ticket on the help centre.
      await expect.poll(async () => (await agent.emails.list({ ticketId })).items[0]?.status, { timeout: 15_000 }).toBe('sent');
      await followLink(inbox, demo.shopUrl, /Kettle whistles off-key/, 'View your ticket');
      await inbox.getByRole('heading', { name: /Open your ticket/ }).waitFor();
      await shot(inbox, 'email-link-page');
      await axe(inbox, 'link page');
      await inbox.getByRole('button', { name: 'Open my ticket' }).click();
      await inbox.waitForURL((url) => url.pathname === '/portal');
      await inbox.locator('closeloop-portal').getByRole('heading', { name: 'Kettle whistles off-key' }).waitFor();

      await agent.tickets.resolve({ ticketId, message: 'A new whistle is in the post.' });
      await expect.poll(async () => (await agent.emails.list({ ticketId, status: 'sent' })).items.length, { timeout: 15_000 }).toBe(2);
      await inbox.goto(`${demo.shopUrl}/mail`);
      await shot(inbox, 'email-inbox');
      await followLink(inbox, demo.shopUrl, /Re: Kettle whistles off-key/, "Yes, it's solved");
      // Opening the link changed nothing: mail scanners open links too.
      expect((await agent.tickets.get({ ticketId })).ticket.status).toBe('resolved');
      await inbox.getByRole('button', { name: "Yes, it's solved" }).click();
      await inbox.getByRole('heading', { name: 'Ticket closed. Thank you!' }).waitFor();
      await shot(inbox, 'email-confirmed');
      await axe(inbox, 'link page, done');

      await widget(shop).getByText('This ticket is closed.').waitFor();
      await shot(shop, 'email-widget-closed-live');
      expect((await agent.tickets.get({ ticketId })).ticket).toMatchObject({ status: 'closed', closedBy: 'customer' });

      // The agent sees what the customer was sent, beside the thread.
      const agentView = await newPage(browser, { width: 1200, height: 800 });
      await agentView.goto(`${demo.shopUrl}/console`);
      await agentView.getByRole('button', { name: /Kettle whistles off-key/ }).click();
      await agentView.locator('.emails').getByText(/receipt sent/).waitFor();
      await agentView.locator('.emails').getByText(/resolution sent/).waitFor();
      await shot(agentView, 'email-console-log');

      // Another device: the portal, a fresh browser, sign-in by an emailed link.
      const phone = await newPage(browser, { width: 390, height: 800 });
      await phone.goto(`${demo.shopUrl}/portal`);
      const portal = phone.locator('closeloop-portal');
      await portal.getByLabel('Your email').waitFor();
      await axe(phone, 'portal with the sign-in form');
      await portal.getByLabel('Your email').fill('mia@example.com');
      await portal.getByRole('button', { name: 'Email me a link' }).click();
      await portal.getByText(/a sign-in link is on its way/).waitFor();
      await shot(phone, 'email-portal-link-sent');
      await expect.poll(async () => (await inbox.goto(`${demo.shopUrl}/mail`), await inbox.getByText('Your sign-in link for Acme Shop (demo) support').count()), { timeout: 15_000 }).toBe(1);
      const signIn = (await inbox.locator('article', { hasText: 'Your sign-in link' }).locator('pre').textContent())!.match(/http:\S+/)![0];
      await phone.goto(signIn);
      await phone.getByRole('button', { name: 'Sign in' }).click();
      await phone.waitForURL((url) => url.pathname === '/portal');
      await portal.getByText('Kettle whistles off-key').waitFor();
      await shot(phone, 'email-portal-signed-in');
      expect(errors).toEqual([]);
    } finally {
      await demo.close();
    }
  });
});
