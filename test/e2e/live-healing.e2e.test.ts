import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createAgentClient } from '../../sdk/index.js';
import { createServer } from '../../server/http/create-server.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import { freshTestDatabase } from '../helpers/test-server.js';
import { E2E_TIMEOUT, launch, newPage, shot, SKIP_E2E, widget } from './harness.js';

/**
 * The widget on a shop page reaches the API through a proxy that can cut every
 * connection, as a flaky network, a proxy timeout or a phone waking up does; and
 * the API itself is restarted, as in a deploy. The open thread must stay live.
 */
describe.skipIf(SKIP_E2E)('the widget’s live updates heal themselves', { timeout: E2E_TIMEOUT }, () => {
  let fresh: Awaited<ReturnType<typeof freshTestDatabase>>;
  let serverOptions: Parameters<typeof createServer>[0];
  let api: ReturnType<typeof createServer>;
  let apiPort = 0;
  let proxy: Awaited<ReturnType<typeof startCuttingProxy>>;
  let shop: http.Server;
  let shopUrl = '';
  let browser: Browser;
  let agent: ReturnType<typeof createAgentClient>;

  beforeAll(async () => {
    fresh = await freshTestDatabase();
    serverOptions = { ...fresh.database, sweepIntervalMs: 0, webhookIntervalMs: 0, logError: () => {} };
    api = createServer(serverOptions);
    const listening = await api.listen(0, '127.0.0.1');
    apiPort = listening.port;
    proxy = await startCuttingProxy(listening.url);
    shop = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flaky Shop</title></head>` +
          `<body><h1>Flaky Shop</h1><script src="${proxy.url}/widget.js" data-site-key="${site.siteKey}" async></script></body></html>`,
      );
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
    const site = await api.store.createSite({ name: 'Flaky shop', origins: [shopUrl] }, Date.now());
    agent = createAgentClient({ url: listening.url, secretKey: site.secretKey });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    shop?.closeAllConnections();
    shop?.close();
    await proxy?.close();
    await api.close();
    await fresh?.cleanup();
  });

  it('shows an answer sent while the connection was cut, and one sent after the server restarted', async () => {
    const page = await newPage(browser);
    await page.goto(shopUrl);
    await widget(page).getByRole('button', { name: 'Open support' }).click();
    await widget(page).getByRole('button', { name: 'New ticket' }).click();
    await widget(page).getByLabel('Subject').fill('Parcel stuck in customs');
    await widget(page).getByLabel('Message').fill('It has been a week.');
    await widget(page).getByRole('button', { name: 'Send' }).click();
    await widget(page).getByRole('heading', { name: 'Parcel stuck in customs' }).waitFor();
    const ticketId = (await agent.tickets.list({ q: 'Parcel stuck' })).items[0]!.id;
    await agent.tickets.reply({ ticketId, message: 'Looking into it now.' });
    await widget(page).getByText('Looking into it now.').waitFor();

    proxy.cut();
    await agent.tickets.reply({ ticketId, message: 'Sent while you were cut off.' });
    await widget(page).getByText('Sent while you were cut off.').waitFor();

    await api.close();
    api = createServer(serverOptions);
    await api.listen(apiPort, '127.0.0.1');
    await agent.tickets.resolve({ ticketId, message: 'Cleared customs after the deploy.' });
    await widget(page).getByText('Cleared customs after the deploy.').waitFor();
    await widget(page).getByRole('button', { name: 'Yes, close the ticket' }).waitFor();
    await shot(page, 'live-healed-after-cut-and-restart');
    await page.context().close();
  });
});
