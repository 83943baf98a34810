/** Every text in the locale files is used by the widget, and every language has exactly English's keys. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../../widget/app/locales/en.js';

const APP = join(import.meta.dirname, '../../widget/app');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'locales' ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('the locale files', () => {
  it('hold no text the widget never shows', () => {
    const code = sources(APP).join('\n');
    // Status texts are looked up by name (`status${Status}`), so their names appear only in part.
    const used = (key: string) => new RegExp(`['"\`]${key}['"\`]`).test(code) || (key.startsWith('status') && code.includes('`status${'));
    expect(Object.keys(en).filter((key) => !used(key))).toEqual([]);
  });

  it('give every language exactly the keys English has', async () => {
    for (const file of readdirSync(join(APP, 'locales')).filter((f) => f !== 'en.ts')) {
      const code = file.replace(/\.ts$/, '');
      const messages = ((await import(join(APP, 'locales', file))) as Record<string, Record<string, string>>)[code]!;
      expect(Object.keys(messages).sort(), code).toEqual(Object.keys(en).sort());
    }
  });
});
