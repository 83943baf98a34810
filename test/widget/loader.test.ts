// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://shop.test/", "settings": { "disableJavaScriptFileLoading": true, "handleDisabledFileLoadingAsSuccess": true } }
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Api = ((...args: unknown[]) => void) & { q?: unknown[][] };
const w = window as unknown as { Closeloop?: Api };

/** Puts the script tag on the page, as a site owner pastes it, and runs the loader. */
async function loadLoader(attrs: Record<string, string> = { 'data-site-key': 'pk_test' }) {
  const tag = document.createElement('script');
  tag.src = 'https://api.closeloop.test/widget.js';
  for (const [name, value] of Object.entries(attrs)) tag.setAttribute(name, value);
  document.body.appendChild(tag);
  vi.resetModules();
  await import('../../widget/loader/loader.js');
}

const appScripts = () => [...document.querySelectorAll('script')].filter((s) => s.src.includes('widget-app.js'));
const launcher = () => document.querySelector('closeloop-widget')?.shadowRoot?.querySelector('button') ?? null;

describe('the loader', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    localStorage.clear();
  });
  afterEach(() => {
    warn.mockRestore();
    delete w.Closeloop;
    document.body.innerHTML = '';
    document.head.innerHTML = '';
  });

  it('adds no global but window.Closeloop', async () => {
    const before = new Set(Object.keys(window));
    await loadLoader();
    expect(Object.keys(window).filter((k) => !before.has(k))).toEqual(['Closeloop']);
  });

  it('draws the launcher in a shadow root and makes no request before the visitor shows intent', async () => {
    await loadLoader();
    const host = document.querySelector('closeloop-widget') as HTMLElement;
    expect(host.style.getPropertyPriority('position')).toBe('important');
    expect(launcher()?.getAttribute('aria-label')).toBe('Open support');
    expect(appScripts()).toHaveLength(0);
    launcher()!.dispatchEvent(new Event('pointerenter'));
    expect(appScripts()).toHaveLength(1);
    expect(appScripts()[0]!.src).toBe('https://api.closeloop.test/widget-app.js');
  });

  it('keeps commands called before it loaded, and runs them: open loads the app', async () => {
    const queued: Api = (...args) => (queued.q = queued.q ?? []).push(args);
    w.Closeloop = queued;
    w.Closeloop('open');
    await loadLoader();
    expect(typeof w.Closeloop).toBe('function');
    expect(w.Closeloop).not.toBe(queued);
    expect(appScripts()).toHaveLength(1);
  });

  it('loads the app when idle for a returning visitor, for the unread badge', async () => {
    localStorage.setItem('closeloop:pk_test', JSON.stringify({ token: 'cls_x' }));
    await loadLoader();
    await vi.waitFor(() => expect(appScripts()).toHaveLength(1));
  });

  it('passes the page’s nonce on to the app script', async () => {
    await loadLoader({ 'data-site-key': 'pk_test', 'data-nonce': 'r4nd0m' });
    w.Closeloop!('open');
    expect(appScripts()[0]!.nonce).toBe('r4nd0m');
  });

  it('never throws into the host page; it warns once, prefixed', async () => {
    await loadLoader();
    w.Closeloop!('on', 'unread', () => {
      throw new Error('site bug');
    });
    expect(() => w.Closeloop!()).not.toThrow();
    expect(() => w.Closeloop!('on', 42, 'not a function')).not.toThrow();
    const l = (w.Closeloop as unknown as { _l: { emit: (e: string, p: unknown) => void } })._l;
    expect(() => l.emit('unread', 1)).not.toThrow();
    expect(() => l.emit('unread', 2)).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/^\[Closeloop\] /);
  });
});
