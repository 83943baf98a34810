import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** Every file in widget/app/locales is a language: adding one is adding a file. */
export const WIDGET_LOCALES = readdirSync(new URL('./widget/app/locales/', import.meta.url))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3));

export default defineConfig({
  // Preact's JSX runtime for the widget.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  define: { __CLOSELOOP_LOCALES__: JSON.stringify(WIDGET_LOCALES) },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 20_000,
  },
});
