/** Mounts the widget app in a shadow root, as the loader would, against a real test server. */
import { configure, fireEvent, waitFor, within } from '@testing-library/preact';
import { EventSource } from 'eventsource';
import { startApp } from '../../widget/app/start.js';
import type { Messages } from '../../widget/app/i18n.js';
import { afterEach, expect } from 'vitest';
import { useTestServer, type TestServer } from '../helpers/test-server.js';

// Every step here is a real round trip to a real server, and CI runs both databases' suites at
// once on two cores: a second, testing-library's default wait, is sometimes not enough.
configure({ asyncUtilTimeout: 5000 });

export interface Mounted {
  host: HTMLElement;
  root: ShadowRoot;
  ui: ReturnType<typeof within>;
  run: (...args: unknown[]) => void;
  events: { name: string; payload: unknown }[];
  warnings: string[];
  unmount: () => void;
}

export function mountWidget(
  t: TestServer,
  opts: {
    locale?: string;
    boot?: Record<string, unknown>;
    fetch?: typeof fetch;
    siteKey?: string;
    position?: 'bottom-left' | 'bottom-right';
    /** The loader's own launcher is there, focused, when the app arrives (a keyboard user tabbed to it). */
    loaderFocused?: boolean;
  } = {},
): Mounted {
  const host = document.createElement('closeloop-widget');
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: 'open' });
  if (opts.loaderFocused) {
    const button = document.createElement('button');
    button.setAttribute('data-closeloop-loader', '');
    button.setAttribute('aria-label', 'Open support');
    root.appendChild(button);
    button.focus();
  }
  const events: Mounted['events'] = [];
  const warnings: string[] = [];
  const app = startApp({
    config: {
      siteKey: opts.siteKey ?? t.site.siteKey,
      apiUrl: t.url,
      assetBase: `${t.url}/`,
      position: opts.position ?? 'bottom-right',
      locale: opts.locale,
    },
    host,
    root,
    emit: (name: string, payload: unknown) => events.push({ name, payload }),
    warn: (message: string) => warnings.push(message),
    storage: window.localStorage,
    EventSource,
    now: t.clock.now,
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    loadLocale: (code) => import(`../../widget/app/locales/${code}.ts`).then((m: Record<string, Messages>) => m[code]!),
  });
  app.run(['boot', opts.boot ?? {}]);
  return {
    host,
    root,
    // testing-library takes an element, not a ShadowRoot: the app's container inside it.
    ui: within(root.querySelector<HTMLElement>('[data-closeloop-app]')!),
    run: (...args) => app.run(args),
    events,
    warnings,
    unmount: () => {
      app.stop();
      host.remove();
    },
  };
}

/** A test server for the file, and a clean page after each test: the widget unmounted, storage cleared. */
export function useWidgetServer(use: (t: TestServer) => void, mounted: () => Mounted | undefined, options: Parameters<typeof useTestServer>[1] = {}) {
  useTestServer(use, options);
  afterEach(() => {
    mounted()?.unmount();
    localStorage.clear();
  });
}

/**
 * The portal as a page mounts it (`Closeloop('mount', target)`), for a test file: `open()` mounts
 * it and returns queries inside its shadow root; the page is cleaned after each test.
 */
export function usePortal(options: Parameters<typeof useTestServer>[1] = {}) {
  let t: TestServer;
  let w: Mounted | undefined;
  let target: HTMLElement | undefined;
  useWidgetServer((server) => (t = server), () => w, options);
  afterEach(() => target?.remove());
  return {
    server: () => t,
    unmount() {
      w?.unmount();
      target?.remove();
    },
    open() {
      w = mountWidget(t);
      target = document.createElement('section');
      document.body.appendChild(target);
      w.run('mount', target);
      return within(target.querySelector('closeloop-portal')!.shadowRoot!.firstElementChild as HTMLElement);
    },
  };
}

/**
 * Presses a button as a person can: once it is enabled. The live stream may show an action's
 * result before the action itself has finished, and until then the widget's buttons are disabled.
 */
export async function press(button: HTMLElement) {
  await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false), { timeout: 5000 });
  fireEvent.click(button);
}
