// Bundle weight against the budgets: the loader alone, and loader + app + the language's
// file for each language (the app carries no words of its own). Prints a table; exits 1 when anything is over budget (CI can run it cheaply).
import { readdirSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const DIR = 'dist/widget/';
const LOADER_BUDGET = 2 * 1024;
const TOTAL_BUDGET = 30 * 1024;

export function measure(file) {
  const raw = readFileSync(DIR + file);
  return {
    raw: raw.length,
    gzip: gzipSync(raw, { level: 9 }).length,
    brotli: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

const add = (...sizes) => sizes.reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }));

export function bundleSizes() {
  const loader = measure('widget.js');
  const app = measure('widget-app.js');
  const locales = readdirSync(DIR)
    .filter((f) => /^widget-locale-.+\.js$/.test(f))
    .map((f) => [f.slice('widget-locale-'.length, -3), measure(f)]);
  const rows = [
    { name: 'loader', ...loader, budget: LOADER_BUDGET },
    ...locales.map(([code, size]) => ({ name: `loader + app (${code})`, ...add(loader, app, size), budget: TOTAL_BUDGET })),
  ];
  return rows.map((r) => ({ ...r, ok: r.gzip <= r.budget }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = bundleSizes();
  const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
  console.log('bundle                 raw         gzip        brotli      budget (gzip)');
  for (const r of rows) {
    console.log(`${r.name.padEnd(22)} ${kb(r.raw).padEnd(11)} ${kb(r.gzip).padEnd(11)} ${kb(r.brotli).padEnd(11)} ${kb(r.budget)} ${r.ok ? 'ok' : 'OVER'}`);
  }
  if (rows.some((r) => !r.ok)) {
    console.error('bench:size: over budget');
    process.exit(1);
  }
}
