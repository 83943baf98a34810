import type { Messages } from './locales/en.js';

/** Every language, English too, is its own small file, loaded when chosen: the app carries none. */
export const AVAILABLE_LOCALES: readonly string[] = __CLOSELOOP_LOCALES__;

/** The first available language among the candidates (data-locale, boot, the browser's), else English. */
export function pickLocale(candidates: (string | undefined | null)[]): string {
  for (const candidate of candidates) {
    const base = candidate?.toLowerCase().split(/[-_]/)[0];
    if (base && AVAILABLE_LOCALES.includes(base)) return base;
  }
  return 'en';
}

/**
 * Texts only a site writes (`texts` in the site's settings), per language; empty unless set:
 * `intro` above the new-ticket form, `responseTime` instead of the reply promise made from its targets.
 */
type SiteOnlyText = 'intro' | 'responseTime';

export type Translate = (key: keyof Messages | SiteOnlyText, vars?: Record<string, string | number>) => string;

/**
 * The form of a plural text for this count: `one: {count} reply|other: {count} replies`
 * holds one form per plural category of the language (Intl.PluralRules); `other` is the fallback.
 */
function pluralForm(text: string, category: string): string {
  const forms = new Map(text.split('|').map((form) => [form.slice(0, form.indexOf(':')).trim(), form.slice(form.indexOf(':') + 1).trim()]));
  return forms.get(category) ?? forms.get('other') ?? text;
}

/** A translator over one language's messages; the site's own texts (greeting, intro) win where set. */
export function translator(messages: Messages, siteTexts: Record<string, string> = {}, locale = 'en'): Translate {
  const plurals = new Intl.PluralRules(locale);
  return (key, vars) => {
    let text = siteTexts[key] ?? (messages as Partial<Record<string, string>>)[key] ?? '';
    if (typeof vars?.count === 'number' && text.includes('|')) text = pluralForm(text, plurals.select(vars.count));
    return vars ? text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? '')) : text;
  };
}

export type { Messages };
