import { en, type Messages } from './locales/en.js';

/** English ships in the app; every other language is its own small file, loaded when chosen. */
export const AVAILABLE_LOCALES: readonly string[] = __CLOSELOOP_LOCALES__;

/** The first available language among the candidates (data-locale, boot, the browser's), else English. */
export function pickLocale(candidates: (string | undefined | null)[]): string {
  for (const candidate of candidates) {
    const base = candidate?.toLowerCase().split(/[-_]/)[0];
    if (base && AVAILABLE_LOCALES.includes(base)) return base;
  }
  return 'en';
}

export type Translate = (key: keyof Messages, vars?: Record<string, string | number>) => string;

/** A translator over one language's messages; the site's own texts (greeting, intro) win where set. */
export function translator(messages: Messages, siteTexts: Record<string, string> = {}): Translate {
  return (key, vars) => {
    const text = siteTexts[key] ?? messages[key] ?? en[key];
    return vars ? text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? '')) : text;
  };
}

export { en };
export type { Messages };
