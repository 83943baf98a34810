/**
 * `npm start`: the whole product on one machine. The API and widget on one
 * port; a demo shop, its help-centre portal and an agent console on another
 * (a different origin, as on a real site). Data persists in ./data.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { extname, join, normalize } from 'node:path';
import { EventSource } from 'eventsource';
import { createAgentClient, signIdentity } from '../../sdk/index.js';
import { createServer } from '../../server/http/create-server.js';
import { createServer as createNetServer } from 'node:net';
import nodemailer from 'nodemailer';
import { createConsoleApi } from './console-api.js';
import { mailPage } from './mail-page.js';
import { startSmtpCatcher } from './smtp-catcher.js';
import { portalPage, shopPage } from './pages.js';
import { writeSampleHistory } from './sample-history.js';

interface DemoKeys {
  siteId: string;
  siteKey: string;
  secretKey: string;
  agentId: string;
}

export interface DemoOptions {
  dataDir?: string;
  host?: string;
  apiPort?: number;
  shopPort?: number;
  log?: (line: string) => void;
  /** A month of made-up tickets for the dashboard, written once when the demo site is new. */
  sampleHistory?: boolean;
}

/** What a shop would set up: topics customers choose from, and reply targets. */
const DEMO_SETTINGS = {
  topics: [
    { id: 'orders', labels: { en: 'Orders and delivery', et: 'Tellimused ja tarne', it: 'Ordini e consegne' } },
    { id: 'billing', labels: { en: 'Billing and refunds', et: 'Arved ja tagasimaksed', it: 'Fatture e rimborsi' } },
    { id: 'account', labels: { en: 'My account', et: 'Minu konto', it: 'Il mio account' } },
  ],
  sla: {
    targets: [
      { priority: 'urgent' as const, firstReplyMinutes: 30, nextReplyMinutes: 60, resolutionMinutes: 8 * 60 },
      { priority: 'high' as const, firstReplyMinutes: 60, nextReplyMinutes: 120, resolutionMinutes: 24 * 60 },
      { priority: 'normal' as const, firstReplyMinutes: 240, nextReplyMinutes: 480, resolutionMinutes: 48 * 60 },
      { priority: 'low' as const, firstReplyMinutes: 480, nextReplyMinutes: 960, resolutionMinutes: 96 * 60 },
    ],
  },
};

// The built console: beside this file's compiled folder, or under dist/ when running from source.
const CONSOLE_DIR = [join(import.meta.dirname, '../../dist/demo/console'), join(import.meta.dirname, '../console')].find((dir) =>
  existsSync(join(dir, 'assets')),
) ?? join(import.meta.dirname, '../console');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

export async function startDemo(options: DemoOptions = {}) {
  const dataDir = options.dataDir ?? process.env.CLOSELOOP_DATA ?? './data';
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => console.log(line));
  mkdirSync(dataDir, { recursive: true });
  // Email stays on this machine: a local SMTP server catches it for the /mail page.
  const catcher = await startSmtpCatcher(0, host);
  // Links in emails start with the API's address, so its port is settled before it starts.
  const apiPort = options.apiPort || (await freePort(host));
  const api = createServer({
    db: join(dataDir, 'closeloop.db'),
    allowPrivateWebhooks: true,
    mail: { smtpUrl: catcher.url, from: 'Acme Shop <support@acme.example>', publicUrl: `http://${host}:${apiPort}`, inboundPort: 0, inboundHost: host },
  });

  const shop = http.createServer();
  await new Promise<void>((resolve, reject) => {
    shop.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${options.shopPort ?? 8788} is already in use`) : e),
    );
    shop.listen(options.shopPort ?? 8788, host, resolve);
  });
  const shopPortBound = (shop.address() as { port: number }).port;
  const shopUrl = `http://${host}:${shopPortBound}`;

  const keysFile = join(dataDir, 'demo-keys.json');
  let keys: DemoKeys;
  let created = false;
  if (existsSync(keysFile)) {
    keys = JSON.parse(readFileSync(keysFile, 'utf8')) as DemoKeys;
    await api.store.updateSite(keys.siteId, { origins: [shopUrl, shopUrl.replace('127.0.0.1', 'localhost')] });
    // A demo site from before topics and service levels gets them (its history stays as it was).
    const earlier = await api.store.getSite(keys.siteId);
    if (earlier && earlier.topics.length === 0 && !earlier.sla) await api.store.updateSite(keys.siteId, DEMO_SETTINGS);
  } else {
    const site = await api.store.createSite({ name: 'Acme Shop (demo)', origins: [shopUrl, shopUrl.replace('127.0.0.1', 'localhost')] }, Date.now());
    const agentId = (await api.store.upsertAgent(site.id, { email: 'ada@acme.example', name: 'Ada' }, Date.now())).id;
    keys = { siteId: site.id, siteKey: site.siteKey, secretKey: site.secretKey, agentId };
    const configured = await api.store.updateSite(site.id, DEMO_SETTINGS);
    if (options.sampleHistory && configured) {
      const count = await writeSampleHistory(api.store, configured, agentId, Date.now());
      log(`Wrote a month of sample history (${count} tickets) for the dashboard.`);
    }
    writeFileSync(keysFile, JSON.stringify(keys, null, 2), { mode: 0o600 });
    created = true;
  }

  // Links land on the shop's own help centre; a reply shows in the inbox a minute later unless read in the widget.
  const site = await api.store.getSite(keys.siteId);
  if (!site?.notifications) await api.store.updateSite(keys.siteId, { notifications: { portalUrl: `${shopUrl}/portal`, replyDelayMinutes: 1 } });

  // Listening (and sweeping) starts once the site and any sample history are written.
  const { url: apiUrl } = await api.listen(apiPort, host);
  const replies = nodemailer.createTransport({ host, port: api.inboundSmtpPort!, secure: false, ignoreTLS: true });

  const agent = createAgentClient({ url: apiUrl, secretKey: keys.secretKey, agentId: keys.agentId, EventSource });
  const consoleApi = createConsoleApi(agent);

  /** The inbox's reply form: the customer's answer, sent by email to the server's reply address. */
  async function replyByEmail(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const mail = catcher.mails[Number(form.get('index'))];
    const to = mail?.parsed.replyTo?.value[0]?.address;
    const text = form.get('text')?.trim();
    if (!mail || !to || !text) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('Nothing to send');
    await replies.sendMail({
      from: mail.rcptTo[0],
      to,
      subject: `Re: ${mail.parsed.subject ?? ''}`,
      inReplyTo: mail.parsed.messageId,
      text: `${text}\n\nOn ${new Date(mail.receivedAt).toUTCString()}, ${mail.parsed.from?.text ?? ''} wrote:\n${(mail.parsed.text ?? '').split('\n').map((l) => `> ${l}`).join('\n')}`,
    });
    res.writeHead(303, { location: '/mail?sent=1' }).end();
  }

  shop.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', shopUrl);
      const path = url.pathname;
      if (path === '/') return void res.writeHead(200, { 'content-type': TYPES['.html']! }).end(shopPage(apiUrl, keys.siteKey));
      if (path === '/portal') return void res.writeHead(200, { 'content-type': TYPES['.html']! }).end(portalPage(apiUrl, keys.siteKey));
      if (path === '/identity') {
        // The shop's backend vouches for its logged-in user (here: whoever the demo says).
        const user = (url.searchParams.get('user') ?? '').slice(0, 40) || 'guest';
        const token = await signIdentity(keys.secretKey, { id: `demo-${user.toLowerCase()}`, name: user, email: `${user.toLowerCase()}@example.com` });
        return void res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
      }
      if (path === '/mail' && req.method === 'GET') {
        return void res.writeHead(200, { 'content-type': TYPES['.html']! }).end(mailPage(catcher.mails, url.searchParams.get('sent') ? 'Reply sent: it is on the ticket now.' : null));
      }
      if (path === '/mail/reply' && req.method === 'POST') return replyByEmail(req, res);
      if (await consoleApi.handle(req, res, path, url.searchParams)) return;
      if (path === '/console' || path.startsWith('/console/')) return serveConsole(path, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  if (created) {
    log('Created the demo site and agent (kept in ' + keysFile + '):');
    log(`  site key   ${keys.siteKey}   (public: it goes in the page)`);
    log(`  secret key ${keys.secretKey}   (server only)`);
  }
  log('');
  log('Closeloop demo is running:');
  log(`  API and widget   ${apiUrl}`);
  log(`  Demo shop        ${shopUrl}/           (the widget, as a site owner pastes it)`);
  log(`  Help centre      ${shopUrl}/portal     (the full-page customer portal)`);
  log(`  Agent console    ${shopUrl}/console    (answer, resolve, postpone… as Ada)`);
  log(`  Dashboard        ${shopUrl}/console/dashboard.html   (the support lead's Monday figures)`);
  log(`  Demo inbox       ${shopUrl}/mail       (the emails customers got; their links work)`);
  log('Open the shop and the console side by side. Ctrl+C stops; data stays in ' + dataDir + '.');

  return {
    apiUrl,
    shopUrl,
    keys,
    async close() {
      consoleApi.stop();
      replies.close();
      shop.closeAllConnections();
      await new Promise((resolve) => shop.close(resolve));
      await api.close();
      await catcher.close();
    },
  };
}

function serveConsole(path: string, res: http.ServerResponse) {
  const relative = path === '/console' || path === '/console/' ? 'index.html' : path.slice('/console/'.length);
  const file = normalize(join(CONSOLE_DIR, relative));
  if (!file.startsWith(CONSOLE_DIR) || !existsSync(file)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found (did you run npm run build?)');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
}

/** A port nothing listens on now, for a server whose address must be known before it starts. */
function freePort(host: string) {
  return new Promise<number>((resolve, reject) => {
    const probe = createNetServer().listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}
