import { render } from 'preact';
import { createController, type ControllerOptions } from './controller.js';
import { createStorage } from './storage.js';
import css from './styles.css?inline';
import { Portal, Widget } from './components/widget.js';
import { adoptStyles } from '../shared/adopt-styles.js';
import type { AppApi, LoaderConfig } from '../shared/handoff.js';

export interface StartOptions {
  config: LoaderConfig;
  host: HTMLElement;
  root: ShadowRoot;
  emit: (event: string, payload: unknown) => void;
  warn: (message: string) => void;
  /** Fetches a language file; by default the browser loads widget-locale-<code>.js. */
  loadLocale?: ControllerOptions['loadLocale'];
  messages?: Record<string, unknown>;
  storage?: Storage | null;
  fetch?: ControllerOptions['fetch'];
  EventSource?: ControllerOptions['EventSource'];
  now?: () => number;
}

type BootOptions = { siteKey?: string; identity?: string; locale?: string; context?: Record<string, unknown> };

/** Loads widget-locale-<code>.js beside the app; the file puts its messages into the handoff. */
function scriptLocaleLoader(config: LoaderConfig, messages: Record<string, unknown>): ControllerOptions['loadLocale'] {
  return (code) =>
    new Promise((resolve, reject) => {
      const tag = document.createElement('script');
      tag.src = `${config.assetBase}widget-locale-${code}.js`;
      if (config.nonce) tag.nonce = config.nonce;
      tag.onload = () => (messages[code] ? resolve(messages[code] as Parameters<typeof resolve>[0]) : reject(new Error(code)));
      tag.onerror = () => reject(new Error(code));
      document.head.appendChild(tag);
    });
}

function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Starts the app in the loader's shadow root and returns what runs the `Closeloop(...)` commands. */
export function startApp(
  options: StartOptions,
): AppApi & { controller: () => ReturnType<typeof createController> | null; stop: () => void } {
  const { config, host, root } = options;
  let controller: ReturnType<typeof createController> | null = null;
  let booted = false;
  let portal: HTMLElement | null = null;

  adoptStyles(root, css, config.nonce);
  if (config.color) host.style.setProperty('--closeloop-accent', config.color);
  const container = document.createElement('div');
  container.setAttribute('data-closeloop-app', '');
  root.appendChild(container);

  function ensure(siteKey = config.siteKey) {
    if (controller) return controller;
    if (!siteKey) {
      options.warn('no site key: add data-site-key to the script tag or call Closeloop("boot", { siteKey })');
      return null;
    }
    controller = createController({
      siteKey,
      apiUrl: config.apiUrl,
      storage: createStorage(siteKey, options.storage === undefined ? localStorageOrNull() : options.storage),
      locale: config.locale,
      browserLocales: typeof navigator === 'undefined' ? [] : navigator.languages,
      emit: options.emit,
      loadLocale: options.loadLocale ?? scriptLocaleLoader(config, options.messages ?? {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.EventSource ? { EventSource: options.EventSource } : {}),
    });
    const c = controller;
    window.addEventListener('online', () => c.setOnline(true));
    window.addEventListener('offline', () => c.setOnline(false));
    document.addEventListener('visibilitychange', () => c.visibilityChanged());
    // Once the language file is in, the loader's launcher steps aside for the app's own; a keyboard user on it stays on the launcher.
    void c.ready.then(() => {
      if (controller !== c || portal) return;
      const loaderButton = root.querySelector<HTMLElement>('[data-closeloop-loader]');
      const hadFocus = loaderButton !== null && root.activeElement === loaderButton;
      loaderButton?.remove();
      render(<Widget c={c} position={config.position} />, container);
      if (hadFocus) root.querySelector<HTMLElement>('.launcher')?.focus();
    });
    return c;
  }

  function boot(opts: BootOptions = {}) {
    const c = ensure(opts.siteKey);
    if (!c) return null;
    booted = true;
    void c.boot({ identity: opts.identity, locale: opts.locale, context: opts.context });
    return c;
  }

  const booting = () => (booted ? controller : boot());

  function mount(target: unknown) {
    const el = typeof target === 'string' ? document.querySelector(target) : target;
    if (!(el instanceof HTMLElement)) return options.warn('mount needs an element or a selector that finds one');
    const c = booting();
    if (!c) return;
    portal?.remove();
    portal = document.createElement('closeloop-portal');
    el.appendChild(portal);
    const portalRoot = portal.attachShadow({ mode: 'open' });
    adoptStyles(portalRoot, css, config.nonce);
    if (config.color) portal.style.setProperty('--closeloop-accent', config.color);
    const inner = document.createElement('div');
    portalRoot.appendChild(inner);
    render(null, container);
    host.style.setProperty('display', 'none', 'important');
    c.openPanel();
    void c.ready.then(() => render(<Portal c={c} />, inner));
    // Back from an email link: its one-time code (in the fragment, never sent to a server) signs this browser in.
    const back = new URLSearchParams(location.hash.slice(1));
    const code = back.get('closeloop_code');
    if (code) {
      history.replaceState(null, '', location.pathname + location.search);
      void c.signInWithCode(code, back.get('closeloop_ticket') ?? undefined);
    }
  }

  return {
    controller: () => controller,
    stop() {
      controller?.stop();
      render(null, container);
    },
    run(args) {
      const [name, arg] = args as [string, unknown];
      switch (name) {
        case 'boot':
          boot((arg ?? {}) as BootOptions);
          return;
        case 'identify':
          booting() && controller?.boot({ identity: arg as string | undefined });
          return;
        case 'open':
          booting()?.openPanel();
          return;
        case 'close':
          controller?.closePanel();
          return;
        case 'newTicket': {
          const c = booting();
          c?.openPanel();
          c?.newTicket((arg ?? {}) as { subject?: string; message?: string });
          return;
        }
        case 'showTicket': {
          const c = booting();
          c?.openPanel();
          if (typeof arg === 'string') c?.showTicket(arg);
          return;
        }
        case 'shutdown':
          void controller?.shutdown();
          return;
        case 'mount':
          mount(arg);
          return;
        default:
          options.warn(`unknown command "${String(name)}"`);
      }
    },
  };
}
