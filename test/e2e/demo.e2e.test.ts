import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { gradientPng } from '../helpers/sample-files.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../demo/backend/start.js';
import { axe, E2E_TIMEOUT, launch, newPage, shot, SKIP_E2E, widget } from './harness.js';

describe.skipIf(SKIP_E2E)('the demo anyone can run', { timeout: E2E_TIMEOUT }, () => {
  let browser: Browser;
  const dataDir = mkdtempSync(join(tmpdir(), 'closeloop-demo-'));
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('walks the whole lifecycle with the shop and the agent console side by side, and keeps the data across a restart', async () => {
    const lines: string[] = [];
    const demo = await startDemo({ dataDir, apiPort: 0, shopPort: 0, log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toMatch(/site key\s+pk_/);
      expect(lines.join('\n')).toContain(`${demo.shopUrl}/console`);
      const shop = await newPage(browser);
      const agentView = await newPage(browser, { width: 1200, height: 800 });
      // No demo page may log an error (a missing favicon included).
      const consoleErrors: string[] = [];
      for (const page of [shop, agentView]) page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${page.url()}: ${m.text()}`));
      await shop.goto(demo.shopUrl);
      await agentView.goto(`${demo.shopUrl}/console`);
      await agentView.getByText('● Live').waitFor();

      await widget(shop).getByRole('button', { name: 'Open support' }).click();
      await widget(shop).getByRole('button', { name: 'New ticket' }).click();
      await widget(shop).getByLabel('Subject').fill('Teapot arrived cracked');
      await widget(shop).getByLabel('Message').fill('The lid is cracked. Can you send a new one?');
      await widget(shop).getByRole('button', { name: 'Send' }).click();
      await widget(shop).getByRole('heading', { name: 'Teapot arrived cracked' }).waitFor();

      await agentView.getByRole('button', { name: /Teapot arrived cracked/ }).click();
      await agentView.getByLabel('Reply', { exact: true }).fill('Sorry about that! A new lid is on its way: https://shop.example/track/42');
      // The agent attaches a picture of the new lid; the customer sees it in the thread.
      await agentView.getByLabel('Attach files').setInputFiles({ name: 'new-lid.png', mimeType: 'image/png', buffer: gradientPng(320, 180) });
      await agentView.getByText('new-lid.png — ready').waitFor();
      await agentView.getByRole('button', { name: 'Send reply' }).click();
      await widget(shop).getByRole('img', { name: 'new-lid.png' }).waitFor();
      await agentView.getByRole('img', { name: 'new-lid.png' }).waitFor();
      await agentView.getByText('Internal note').first().click();
      await agentView.getByLabel('Note (only agents see it)').fill('Courier broke two this week');
      await agentView.getByRole('button', { name: 'Add note' }).click();
      await widget(shop).getByText('A new lid is on its way', { exact: false }).waitFor();
      expect(await widget(shop).getByText('Courier broke two').count()).toBe(0);

      await agentView.getByRole('button', { name: 'Resolve', exact: true }).click();
      await widget(shop).getByRole('button', { name: 'Yes, close the ticket' }).click();
      await widget(shop).getByText('This ticket is closed.').waitFor();
      await agentView.locator('main .status', { hasText: 'closed' }).waitFor();
      await shot(agentView, 'demo-console-closed');
      await widget(shop).getByRole('button', { name: 'Reopen' }).click();
      await widget(shop).getByLabel('Why reopen it? (optional)').fill('The new lid does not fit');
      await widget(shop).getByRole('button', { name: 'Reopen' }).last().click();
      await agentView.locator('main .status', { hasText: 'open' }).waitFor();
      // The agent reads why.
      await agentView.locator('.event', { hasText: 'reopened' }).getByText('The new lid does not fit').waitFor();
      await shot(shop, 'demo-shop-reopened');
      await shot(agentView, 'demo-console-reopened');
      const events = await agentView.locator('.event').allTextContents();
      expect(events.map((e) => e.split(' ')[0])).toEqual(['created', 'resolved', 'resolution', 'reopened']);
      // Links in the thread are links, in the console as in the widget.
      await expect(agentView.getByRole('link', { name: 'https://shop.example/track/42' }).count()).resolves.toBe(1);

      // Reply and resolve in one step; then, on the closed ticket, an internal note still works.
      await agentView.getByText('Reply to customer').click();
      await agentView.getByLabel('Reply', { exact: true }).fill('The new lid shipped today.');
      await agentView.getByRole('button', { name: 'Send and resolve' }).click();
      await agentView.locator('main .status', { hasText: 'resolved' }).waitFor();
      await widget(shop).getByRole('button', { name: 'Yes, close the ticket' }).click();
      await agentView.locator('main .status', { hasText: 'closed' }).waitFor();
      await agentView.getByLabel('Note (only agents see it)').fill('Closed happy; refund the courier claim');
      await agentView.getByRole('button', { name: 'Add note' }).click();
      await agentView.getByText('Closed happy; refund the courier claim').waitFor();
      await expect(agentView.locator('.error').count()).resolves.toBe(0);

      // Search and a narrow window.
      await agentView.getByLabel('Search subjects').fill('teapot');
      await agentView.getByRole('button', { name: /Teapot arrived cracked/ }).waitFor();
      await agentView.getByLabel('Search subjects').fill('no such thing');
      await agentView.getByText('No ticket matches.').waitFor();
      await agentView.getByLabel('Search subjects').fill('');
      await agentView.setViewportSize({ width: 800, height: 800 });
      await shot(agentView, 'demo-console-800');
      await agentView.setViewportSize({ width: 390, height: 800 });
      // On a phone the list stacks above the ticket, and nothing runs off the side.
      expect(await agentView.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot(agentView, 'demo-console-phone');
      expect(consoleErrors).toEqual([]);
    } finally {
      await demo.close();
    }

    const again = await startDemo({ dataDir, apiPort: 0, shopPort: 0, log: () => undefined });
    try {
      const page = await newPage(browser, { width: 1200, height: 800 });
      await page.goto(`${again.shopUrl}/console`);
      await page.getByRole('button', { name: /Teapot arrived cracked/ }).waitFor();
      const portal = await newPage(browser);
      await portal.goto(`${again.shopUrl}/portal`);
      await portal.locator('closeloop-portal').getByRole('region', { name: 'Support' }).waitFor();
      await shot(portal, 'demo-portal');
    } finally {
      await again.close();
    }
  });

  it('gives a support lead the month at a glance, and agents the next ticket to solve', async () => {
    const samplesDir = mkdtempSync(join(tmpdir(), 'closeloop-demo-samples-'));
    const lines: string[] = [];
    const demo = await startDemo({ dataDir: samplesDir, apiPort: 0, shopPort: 0, sampleHistory: true, log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toMatch(/Wrote a month of sample history \(\d+ tickets\)/);
      const page = await newPage(browser, { width: 1360, height: 1400 });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${demo.shopUrl}/console/dashboard.html`);
      await page.locator('.tiles').waitFor();
      // The tiles say what the API says for the same range.
      const end = new Date();
      end.setHours(24, 0, 0, 0);
      const api = (await (
        await fetch(`${demo.shopUrl}/console/api/metrics`, { method: 'POST', body: JSON.stringify({ from: new Date(end.getTime() - 30 * 86_400_000).toISOString(), to: end.toISOString() }) })
      ).json()) as { totals: { created: number; slaBreaches: number } };
      expect(api.totals.created).toBeGreaterThan(150);
      await expect(page.locator('.tile', { hasText: 'Created' }).locator('.tile-value').textContent()).resolves.toBe(String(api.totals.created));
      await expect(page.locator('.tile', { hasText: 'Missed targets' }).locator('.tile-value').textContent()).resolves.toBe(String(api.totals.slaBreaches));
      await expect(page.locator('svg.chart').count()).resolves.toBe(4);
      await expect(page.locator('svg.chart rect').count()).resolves.toBeGreaterThan(60);
      await expect(page.locator('table.topics tbody tr').allTextContents()).resolves.toEqual([
        expect.stringMatching(/^Orders and delivery\d+/),
        expect.stringMatching(/^Billing and refunds\d+/),
        expect.stringMatching(/^My account\d+/),
      ]);
      await axe(page, 'the dashboard');
      await shot(page, 'demo-dashboard');
      await page.getByRole('button', { name: 'Last 7 days' }).click();
      await page.getByRole('button', { name: 'Last 7 days', pressed: true }).waitFor();
      await expect(page.locator('svg.chart').first().locator('text').filter({ hasText: /\w/ }).count()).resolves.toBeGreaterThan(3);

      // "To solve" hands Ada the most urgent ticket, now hers.
      await page.goto(`${demo.shopUrl}/console`);
      await page.getByRole('button', { name: /To solve/ }).click();
      await page.locator('.sorting').waitFor();
      await page.getByText(/assigned · Ada/).last().waitFor();

      // The shop's widget offers the topics and says how soon support replies.
      const shop = await newPage(browser);
      await shop.goto(demo.shopUrl);
      await widget(shop).getByRole('button', { name: 'Open support' }).click();
      await widget(shop).getByText('We usually reply in 4 hours.').waitFor();
      await widget(shop).getByRole('button', { name: 'New ticket' }).click();
      await widget(shop).getByLabel('Topic (optional)').selectOption({ label: 'Billing and refunds' });
      await widget(shop).getByLabel('Subject').fill('Invoice needed');
      await widget(shop).getByLabel('Message').fill('Please send an invoice for order 77.');
      await axe(shop, 'the new-ticket form with topics');
      await shot(shop, 'demo-widget-topics');
      await widget(shop).getByRole('button', { name: 'Send' }).click();
      await widget(shop).getByRole('heading', { name: 'Invoice needed' }).waitFor();
      await page.getByRole('button', { name: /Invoice needed/ }).click();
      await page.getByRole('heading', { name: /Invoice needed/ }).waitFor();
      await expect(page.getByLabel('Topic').inputValue()).resolves.toBe('billing');
      expect(errors).toEqual([]);
    } finally {
      await demo.close();
      rmSync(samplesDir, { recursive: true, force: true });
    }
  });
});
