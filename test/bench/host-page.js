// Host-page cost in headless Chromium: a plain page with and without the script
// tag (medians), then the cost of opening the panel (app load to first render).
import http from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from '../../dist/server/index.js';
import { cleanup, tempDir } from './fixtures.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function hostPage({ quick }) {
  const runs = quick ? 3 : 11;
  const dir = tempDir();
  const api = createServer({ db: join(dir, 'bench.db'), sweepIntervalMs: 0, webhookIntervalMs: 0 });
  const { url } = await api.listen(0, '127.0.0.1');
  let withTag = false;
  let siteKey = '';
  const page = http.createServer((_, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(
      `<!doctype html><html><body><h1>Shop</h1><p>Products.</p>${withTag ? `<script src="${url}/widget.js" data-site-key="${siteKey}" async></script>` : ''}</body></html>`,
    ),
  );
  await new Promise((resolve) => page.listen(0, '127.0.0.1', resolve));
  const pageUrl = `http://127.0.0.1:${page.address().port}`;
  siteKey = (await api.store.createSite({ name: 'Bench', origins: [pageUrl] }, Date.now())).siteKey;
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

  async function visit() {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);
    await cdp.send('Performance.enable');
    await cdp.send('Network.enable');
    let bytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (e) => {
      bytes += e.encodedDataLength;
      requests += 1;
    });
    await tab.addInitScript(() => {
      window.__longTasks = 0;
      new PerformanceObserver((list) => list.getEntries().forEach((e) => (window.__longTasks += e.duration))).observe({ type: 'longtask', buffered: true });
    });
    const started = Date.now();
    await tab.goto(pageUrl, { waitUntil: 'load' });
    let launcherMs = null;
    if (withTag) {
      await tab.locator('closeloop-widget').getByRole('button').waitFor();
      launcherMs = Date.now() - started;
    }
    await tab.waitForTimeout(200);
    const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const result = {
      scriptMs: metrics.ScriptDuration * 1000,
      longTaskMs: await tab.evaluate(() => window.__longTasks),
      bytes,
      requests,
      launcherMs,
    };
    if (withTag) {
      const clicked = Date.now();
      await tab.locator('closeloop-widget').getByRole('button').click();
      await tab.locator('closeloop-widget').getByText('No tickets yet').waitFor();
      result.openMs = Date.now() - clicked;
    }
    await context.close();
    return result;
  }

  const summarise = async () => {
    const all = [];
    for (let i = 0; i < runs; i++) all.push(await visit());
    return Object.fromEntries(Object.keys(all[0]).map((k) => [k, all[0][k] === null ? null : median(all.map((r) => r[k]))]));
  };
  try {
    withTag = false;
    const without = await summarise();
    withTag = true;
    const withWidget = await summarise();
    return {
      scriptMs: withWidget.scriptMs - without.scriptMs,
      longTaskMs: withWidget.longTaskMs - without.longTaskMs,
      bytesBeforeInteraction: withWidget.bytes - without.bytes,
      requestsBeforeInteraction: withWidget.requests - without.requests,
      launcherVisibleMs: withWidget.launcherMs,
      openPanelMs: withWidget.openMs,
    };
  } finally {
    await browser.close();
    page.close();
    await api.close();
    cleanup(dir);
  }
}
