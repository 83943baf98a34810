/**
 * The portal this server hosts at `/portal/<siteKey>`, where email links land
 * when the site has not named a help-centre page of its own: the site's name
 * and the widget mounted full page, under a CSP that lets only this server's
 * scripts (and the one nonce-carrying line that mounts it) run.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Store } from '../store/store.js';
import { escapeHtml } from './escape-html.js';

const PATH = /^\/portal\/([\w-]{1,100})$/;


export function createPortalPage(store: Store) {
  return async function serve(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
    const siteKey = PATH.exec(path)?.[1];
    if (!siteKey || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const site = await store.siteByKey(siteKey);
    if (!site) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('No such support page');
      return true;
    }
    const nonce = randomBytes(16).toString('base64');
    const name = escapeHtml(site.name);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'nonce-${nonce}'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><title>Support — ${name}</title><link rel="icon" href="data:,">
<style nonce="${nonce}">body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}header{padding:16px 24px;font-weight:700;border-bottom:1px solid #e5e7eb}main{max-width:760px;margin:0 auto;padding:16px}</style></head>
<body><header>${name}</header><main id="support"></main>
<script nonce="${nonce}">window.Closeloop=window.Closeloop||function(){(Closeloop.q=Closeloop.q||[]).push(arguments)};Closeloop('mount','#support');</script>
<script src="/widget.js" data-site-key="${escapeHtml(site.siteKey)}" nonce="${nonce}" async></script></body></html>`);
    return true;
  };
}
