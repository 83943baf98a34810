/**
 * The script tag's whole cost to the host page: reads its attributes, installs
 * `window.Closeloop` (keeping calls queued before it loaded), and draws the
 * launcher. The app loads on intent (hover, focus, click), on open/mount, or
 * when idle for a returning visitor. It never throws into the page: problems
 * are one console warning, prefixed.
 */
import { adoptStyles } from '../shared/adopt-styles.js';
import type { AppApi, Handoff, LoaderConfig } from '../shared/handoff.js';

type Listener = (payload: unknown) => void;
type Api = ((...args: unknown[]) => void) & { q?: unknown[][]; _l?: Handoff };

const CSS =
  ':host{all:initial}.b{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;border:0;padding:0;' +
  'display:flex;align-items:center;justify-content:center;cursor:pointer;background:var(--closeloop-accent,#1d4ed8);' +
  'color:var(--closeloop-accent-text,#fff);box-shadow:0 6px 20px rgba(0,0,0,.25)}.l{right:auto;left:20px}' +
  '.b:focus-visible{outline:3px solid var(--closeloop-accent,#1d4ed8);outline-offset:2px}';
const ICON = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
const HOST_STYLE: [string, string][] = [
  ['display', 'block'],
  ['position', 'fixed'],
  ['z-index', '2147483000'],
  ['width', '0'],
  ['height', '0'],
  ['inset', 'auto 0 0 auto'],
  ['margin', '0'],
  ['padding', '0'],
  ['border', '0'],
  ['transform', 'none'],
  ['filter', 'none'],
  ['visibility', 'visible'],
  ['opacity', '1'],
];

((w: Window & { Closeloop?: Api }) => {
  let warned = false;
  const warn = (message: string) => {
    if (warned) return;
    warned = true;
    try {
      console.warn(`[Closeloop] ${message}`);
    } catch {
      // no console
    }
  };

  try {
    if (w.Closeloop?._l) return;
    const d = document;
    const script = (d.currentScript ?? d.querySelector('script[data-site-key]')) as HTMLScriptElement | null;
    const data = script?.dataset ?? {};
    const src = script?.src || location.href;
    const config: LoaderConfig = {
      siteKey: data.siteKey,
      locale: data.locale,
      position: data.position === 'bottom-left' ? 'bottom-left' : 'bottom-right',
      color: data.color,
      nonce: script?.nonce || data.nonce,
      apiUrl: new URL(src).origin,
      assetBase: new URL('.', src).href,
    };
    const early = w.Closeloop?.q ?? [];
    const queue: unknown[][] = [];
    const listeners: Record<string, Listener[]> = {};
    let app: AppApi | null = null;
    let loading = false;

    const host = d.createElement('closeloop-widget');
    for (const [property, value] of HOST_STYLE) host.style.setProperty(property, value, 'important');
    const root = host.attachShadow({ mode: 'open' });

    const load = () => {
      if (loading) return;
      loading = true;
      const tag = d.createElement('script');
      tag.src = `${config.assetBase}widget-app.js`;
      tag.async = true;
      if (config.nonce) tag.nonce = config.nonce;
      tag.onerror = () => {
        loading = false;
        warn('the support widget could not be loaded');
      };
      d.head.appendChild(tag);
    };

    const siteKeyOf = (args: unknown[]) => ((args[1] as { siteKey?: string } | undefined)?.siteKey ?? config.siteKey) || '';
    const hasSession = (siteKey: string) => {
      try {
        return Boolean(localStorage.getItem(`closeloop:${siteKey}`));
      } catch {
        return false;
      }
    };

    const command = (args: unknown[]) => {
      const [name, arg, callback] = args;
      if (name === 'on') {
        if (typeof callback === 'function') (listeners[arg as string] ??= []).push(callback as Listener);
        return;
      }
      if (app) return app.run(args);
      queue.push(args);
      if (name === 'open' || name === 'newTicket' || name === 'showTicket' || name === 'mount') load();
      // A returning visitor has tickets to watch: load when the page is idle, for the unread badge.
      if (name === 'boot' && hasSession(siteKeyOf(args))) (w.requestIdleCallback ?? setTimeout)(load);
    };

    const api: Api = (...args) => {
      try {
        command(args);
      } catch (error) {
        warn(String(error));
      }
    };
    api._l = {
      messages: {},
      config,
      host,
      root,
      warn,
      emit(event, payload) {
        for (const listener of listeners[event] ?? []) {
          try {
            listener(payload);
          } catch (error) {
            warn(`a Closeloop('on', '${event}') callback threw: ${String(error)}`);
          }
        }
      },
      ready(started) {
        app = started;
        if (!queue.some((args) => args[0] === 'boot')) queue.unshift(['boot', {}]);
        for (const args of queue.splice(0)) api(...args);
      },
    };
    w.Closeloop = api;

    adoptStyles(root, CSS, config.nonce);
    const button = d.createElement('button');
    button.setAttribute('data-closeloop-loader', '');
    button.setAttribute('aria-label', 'Open support');
    // Scoped to its own class: the app shares this shadow root once it starts.
    button.className = config.position === 'bottom-left' ? 'b l' : 'b';
    if (config.color) host.style.setProperty('--closeloop-accent', config.color);
    const svg = d.createElementNS('http://www.w3.org/2000/svg', 'svg');
    const path = d.createElementNS('http://www.w3.org/2000/svg', 'path');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '26');
    svg.setAttribute('height', '26');
    svg.setAttribute('aria-hidden', 'true');
    path.setAttribute('fill', 'currentColor');
    path.setAttribute('d', ICON);
    svg.appendChild(path);
    button.appendChild(svg);
    button.onpointerenter = button.onfocus = load;
    button.onclick = () => api('open');
    root.appendChild(button);

    const attach = () => d.body.appendChild(host);
    if (d.body) attach();
    else d.addEventListener('DOMContentLoaded', attach);
    // Calls made before this script loaded run now, in order, as if made just now.
    for (const args of early) api(...args);
    if (config.siteKey && !queue.some((args) => args[0] === 'boot')) command(['boot', {}]);
  } catch (error) {
    warn(`the support widget could not start: ${String(error)}`);
  }
})(window);
