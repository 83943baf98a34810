/** What the loader hands the app through `window.Closeloop._l`: the only global either uses. */
export interface LoaderConfig {
  siteKey?: string | undefined;
  locale?: string | undefined;
  position: 'bottom-right' | 'bottom-left';
  color?: string | undefined;
  nonce?: string | undefined;
  apiUrl: string;
  /** Where the widget's own files are served (the loader's folder). */
  assetBase: string;
}

export interface AppApi {
  run(args: unknown[]): void;
}

export interface Handoff {
  config: LoaderConfig;
  host: HTMLElement;
  root: ShadowRoot;
  emit(event: string, payload: unknown): void;
  /** The app calls this once it runs; the loader then replays queued commands into it. */
  ready(app: AppApi): void;
  warn(message: string): void;
  /** Language files put their messages here as they load. */
  messages: Record<string, unknown>;
}
