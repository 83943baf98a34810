import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PDF } from '../helpers/sample-files.js';
import { axe, E2E_TIMEOUT, newPage, shot, SKIP_E2E, useStack, widget, type Stack } from './harness.js';

/** Puts files on a paste or a drop event, as a browser does when a person pastes or drops them. */
const DISPATCH = `(target, { kind, files }) => {
  const data = new DataTransfer();
  for (const f of files) data.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
  const event = kind === 'paste' ? new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }) : new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true });
  target.dispatchEvent(event);
}`;

describe.skipIf(SKIP_E2E)('files in the widget, in Chromium', { timeout: E2E_TIMEOUT }, () => {
  let stack: Stack;
  let browser: Browser;
  useStack((s, b) => {
    stack = s;
    browser = b;
  });

  it('a pasted screenshot and a dropped PDF go with a new ticket, the screenshot shows in the thread, and the agent’s file arrives live', async () => {
    stack.setPage({});
    const page = await newPage(browser, { width: 1100, height: 800 });
    await page.goto(stack.shopUrl);
    const screenshot = await page.screenshot();
    await widget(page).getByRole('button', { name: 'Open support' }).click();
    await widget(page).getByRole('button', { name: 'New ticket' }).click();
    await widget(page).getByLabel('Subject').fill('The basket is empty');
    const message = widget(page).getByLabel('Message');
    await message.fill('Here is what I see, and my invoice.');

    await message.evaluate(new Function(`return ${DISPATCH}`)(), { kind: 'paste', files: [{ name: 'image.png', type: 'image/png', base64: screenshot.toString('base64') }] });
    await widget(page).locator('form').evaluate(new Function(`return ${DISPATCH}`)(), { kind: 'drop', files: [{ name: 'invoice.pdf', type: 'application/pdf', base64: PDF.toString('base64') }] });
    await widget(page).getByText('image.png').waitFor();
    await widget(page).getByText('invoice.pdf').waitFor();
    const send = widget(page).getByRole('button', { name: 'Send' });
    await expect.poll(() => send.isEnabled()).toBe(true);
    await shot(page, 'attachments-before-send');
    await axe(page, 'the new-ticket form with two files');
    await send.click();

    await widget(page).getByRole('heading', { name: 'The basket is empty' }).waitFor();
    const preview = widget(page).getByRole('img', { name: 'image.png' });
    await preview.waitFor();
    // The thread shows a thumbnail the widget made (fitting 640×360); the link opens the whole screenshot.
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && `${img.naturalWidth}×${img.naturalHeight}`)).toBe('495×360');
    const full = await page.request.get((await widget(page).getByRole('link', { name: 'image.png' }).getAttribute('href'))!);
    expect(Buffer.from(await full.body()).equals(screenshot)).toBe(true);
    await widget(page).getByRole('link', { name: /invoice\.pdf/ }).waitFor();

    const ticketId = (await stack.agent.tickets.list({ q: 'The basket is empty' })).items[0]!.id;
    const receipt = await stack.agent.attachments.upload(PDF, 'refund-receipt.pdf');
    await stack.agent.tickets.reply({ ticketId, message: 'Refunded: the receipt is attached.', attachmentIds: [receipt.id] });
    const arrived = widget(page).getByRole('link', { name: /refund-receipt\.pdf/ });
    await arrived.waitFor();
    const answer = await page.request.get((await arrived.getAttribute('href'))!);
    expect(answer.status()).toBe(200);
    expect(answer.headers()['content-disposition']).toMatch(/^attachment;/);
    await shot(page, 'attachments-in-thread');

    // The agent sees the customer's files, each with a link of their own.
    const seen = await stack.agent.tickets.get({ ticketId });
    expect(seen.timeline.flatMap((i) => (i.kind === 'message' ? i.attachments.map((a) => a.name) : []))).toEqual(['image.png', 'invoice.pdf', 'refund-receipt.pdf']);
    await page.context().close();
  });

  it('a file past the site’s limit is called too large at once, not a failed upload', async () => {
    await stack.agent.site.update({ attachments: { maxBytes: 1024 } });
    try {
      stack.setPage({});
      const page = await newPage(browser, { width: 1100, height: 800 });
      await page.goto(stack.shopUrl);
      await widget(page).getByRole('button', { name: 'Open support' }).click();
      await widget(page).getByRole('button', { name: 'New ticket' }).click();
      // A browser still sending a body cannot read the server's early 413: the widget must know the limit itself.
      await widget(page).getByLabel('Attach files').setInputFiles({ name: 'holiday.png', mimeType: 'image/png', buffer: Buffer.alloc(3 * 1024 * 1024, 1) });
      await widget(page).getByText('This file is too large to send.').waitFor();
      await shot(page, 'attachments-too-large');
      await axe(page, 'a refused file');
      await page.context().close();
    } finally {
      await stack.agent.site.update({ attachments: { maxBytes: 10 * 1024 * 1024 } });
    }
  });
});
