import { readdirSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** Every file in widget/app/locales is a language: adding one is adding a file. */
export const WIDGET_LOCALES = readdirSync(new URL('./widget/app/locales/', import.meta.url))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3));

const TESTS = ['test/**/*.test.ts', 'test/**/*.test.tsx'];

/**
 * The tests that start a Closeloop server on a fresh database (test/helpers/test-server.ts,
 * the browser harness, the widget's mount helper): with a PostgreSQL to run on, they run a
 * second time on it.
 */
function serverTests() {
  return readdirSync('test', { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.test\.tsx?$/.test(file) && !file.startsWith('server/store/'))
    .map((file) => `test/${file}`)
    .filter((file) => /startTestServer|useTestServer|freshTestDatabase|useStack|startStack|\.\/mount-widget\.js/.test(readFileSync(file, 'utf8')));
}

const onPostgres = Boolean(process.env.CLOSELOOP_TEST_DATABASE_URL);

export default defineConfig({
  // Preact's JSX runtime for the widget.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  define: { __CLOSELOOP_LOCALES__: JSON.stringify(WIDGET_LOCALES) },
  test: {
    pool: 'forks',
    testTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'sqlite', include: TESTS } },
      ...(onPostgres ? [{ extends: true as const, test: { name: 'postgres', include: serverTests(), env: { CLOSELOOP_TEST_STORE: 'postgres' } } }] : []),
    ],
  },
});
