/**
 * End-to-end harness: the real server (API + built widget) on one port, a shop
 * page of another origin with the real script tag on a second, and the system
 * Chromium driven by playwright-core. No browser download, ever.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { createAgentClient, signIdentity } from '../../sdk/index.js';
import { createServer } from '../../server/http/create-server.js';
import { freshTestDatabase } from '../helpers/test-server.js';

export const ARTIFACTS = join(import.meta.dirname, 'artifacts');

/** The browser to drive, or why there is none. */
export function findBrowser(): { path: string } | { missing: string } {
  const path = process.env.CHROME_PATH || '/usr/bin/chromium';
  if (existsSync(path)) return { path };
  return {
    missing:
      `No Chromium at ${path}. Install Debian's: apt-get install -y chromium (or point CHROME_PATH at a Chrome/Chromium), ` +
      'or set CLOSELOOP_SKIP_E2E=1 to skip the browser tests.',
  };
}

const found = findBrowser();
export const SKIP_E2E = process.env.CLOSELOOP_SKIP_E2E === '1';
if (SKIP_E2E) console.warn('\n!!! CLOSELOOP_SKIP_E2E=1: the end-to-end browser tests are SKIPPED !!!\n');
else if ('missing' in found) throw new Error(found.missing);

export function launch(): Promise<Browser> {
  if (!('path' in found)) throw new Error(found.missing);
  return chromium.launch({
    executablePath: found.path,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface ShopPageOptions {
  /** Extra markup in <head> (hostile CSS…). */
  head?: string;
  /** A script run before the widget's tag (the command queue…). */
  before?: string;
  /** Attributes on the widget's script tag. */
  attrs?: Record<string, string>;
  /** Serve with a strict CSP using this nonce. */
  cspNonce?: string;
  /** Markup inside <main>, after the heading. */
  body?: string;
  /** Boot as this user of the shop: the page carries an identity token signed by the shop's backend. */
  user?: string;
  /** Spoil the identity token's signature (a tampered token). */
  tamper?: boolean;
}

export async function startStack() {
  // Real time, plus an offset a test can move forward (the reopen window) without sleeping.
  let offset = 0;
  const now = () => Date.now() + offset;
  const fresh = await freshTestDatabase();
  const api = createServer({ ...fresh.database, now, sweepIntervalMs: 0, webhookIntervalMs: 0, logError: () => {} });
  const { url: apiUrl } = await api.listen(0, '127.0.0.1');

  let page: ShopPageOptions = {};
  const shop = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path?.startsWith('/identity/')) {
      const user = decodeURIComponent(path.slice('/identity/'.length));
      res.writeHead(200, { 'content-type': 'text/plain' }).end(await signIdentity(site.secretKey, { id: user, name: user }, { now: now() }));
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
    if (page.cspNonce) {
      headers['content-security-policy'] =
        `default-src 'none'; script-src 'nonce-${page.cspNonce}'; style-src 'nonce-${page.cspNonce}'; ` +
        `connect-src ${apiUrl}; img-src 'self'; base-uri 'none'`;
    }
    let identity = page.user ? await signIdentity(site.secretKey, { id: page.user, name: page.user }, { now: now() }) : null;
    if (identity && page.tamper) identity = identity.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    res.writeHead(200, headers).end(shopHtml(page, apiUrl, identity));
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  const shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  const site = await api.store.createSite({ name: 'E2E shop', origins: [shopUrl] }, now());
  const agent = createAgentClient({ url: apiUrl, secretKey: site.secretKey });
  const ada = agent.as((await agent.agents.upsert({ email: 'ada@shop.test', name: 'Ada' })).id);

  return {
    api,
    apiUrl,
    shopUrl,
    site,
    agent: ada,
    advanceClock: (ms: number) => {
      offset += ms;
    },
    /** What the shop serves next. */
    setPage(options: ShopPageOptions) {
      page = options;
    },
    async close() {
      shop.closeAllConnections();
      await new Promise((resolve) => shop.close(resolve));
      await api.close();
      await fresh.cleanup();
    },
  };

  function shopHtml(p: ShopPageOptions, api: string, identity: string | null) {
    const nonce = p.cspNonce ? ` nonce="${p.cspNonce}"` : '';
    const attrs = Object.entries({ 'data-site-key': site.siteKey, ...(p.cspNonce ? { 'data-nonce': p.cspNonce } : {}), ...p.attrs })
      .map(([k, v]) => ` ${k}="${v}"`)
      .join('');
    const tag = `<script src="${api}/widget.js"${attrs}${nonce} async></script>`;
    const queue = 'window.Closeloop = window.Closeloop || function () { (Closeloop.q = Closeloop.q || []).push(arguments); };';
    const boot = identity ? `${queue} Closeloop('boot', { identity: ${JSON.stringify(identity)} });` : '';
    const before = [boot, p.before ?? ''].filter(Boolean).join('\n');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Shop</title>${p.head ?? ''}</head>
<body><main><h1>Acme Shop</h1><p>Fine things, shipped fast.</p>${p.body ?? ''}</main>
${before ? `<script${nonce}>${before}</script>` : ''}${tag}</body></html>`;
  }
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** One stack and one browser for a test file, handed over through `use` once started. */
export function useStack(use: (stack: Stack, browser: Browser) => void) {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    stack = await startStack();
    browser = await launch();
    use(stack, browser);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
}

/** Per test: generous, as CI shares two cores with every other test file; a pass is not slowed by it. */
export const E2E_TIMEOUT = 90_000;

/** A fresh page; a stuck wait fails with its own message, well inside the test's timeout. */
/** A page in its own context; `bypassCSP` lets axe-core into pages whose CSP allows no script (email link pages). */
export async function newPage(browser: Browser, viewport = { width: 1100, height: 800 }, options: { bypassCSP?: boolean } = {}) {
  const context = await browser.newContext({ viewport, ...options });
  context.setDefaultTimeout(20_000);
  return context.newPage();
}

/** Saves a screenshot under test/e2e/artifacts (ignored by git). */
export async function shot(page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** The widget's shadow-DOM contents, through Playwright's shadow-piercing locators. */
export const widget = (page: Page) => page.locator('closeloop-widget');

/** Opens a ticket through the widget on the page, as a visitor does, and waits for its thread. */
export async function openTicketIn(page: Page, subject: string, message: string) {
  await widget(page).getByRole('button', { name: 'Open support' }).click();
  await widget(page).getByRole('button', { name: 'New ticket' }).click();
  await widget(page).getByLabel('Subject').fill(subject);
  await widget(page).getByLabel('Message').fill(message);
  await widget(page).getByRole('button', { name: 'Send' }).click();
  await widget(page).getByRole('heading', { name: subject }).waitFor();
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core over the whole page, shadow roots included: no violations. */
export async function axe(page: Page, view: string) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (c: unknown) => Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> } }).axe.run(document);
    return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
  expect(violations, view).toEqual([]);
}
