// Builds the widget as separate IIFE bundles (Vite cannot split an IIFE): the
// tiny loader the script tag fetches, the app it loads on intent, and one small
// file per language other than English (which the app has built in).
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, loadConfigFromFile } from 'vite';

const loaded = await loadConfigFromFile({ command: 'build', mode: 'production' }, 'vite.config.ts');
const WIDGET_LOCALES = JSON.parse(loaded.config.define.__CLOSELOOP_LOCALES__);

/**
 * tRPC's client build turns a static class field of its (unused here) WebSocket
 * client into a top-level `_defineProperty(WsConnection, …)` call, which a bundler
 * must keep. Marking such calls pure lets the unused client drop out (−0.6 KB gzip).
 */
const trpcPureStatics = {
  name: 'closeloop-trpc-pure-statics',
  transform(code, id) {
    if (!/\/@trpc\/client\/dist\/.*\.mjs$/.test(id)) return null;
    return { code: code.replace(/^_defineProperty\(/gm, '/* @__PURE__ */ _defineProperty('), map: null };
  },
};

/**
 * tRPC ships object spread and class fields down-levelled through Babel-style helpers
 * (`_objectSpread2`, `_defineProperty`, with `_typeof`, `toPrimitive`, `toPropertyKey`).
 * The widget targets ES2022, which has both: the helpers are swapped for the same
 * semantics in a few lines (own enumerable keys, symbols included, defined as plain data
 * properties). A file whose other code uses a helper's internals is left as it is.
 */
const HELPERS = /\/\/#region \\0@oxc-project\+runtime@[^/]+\/helpers\/esm\/(typeof|toPrimitive|toPropertyKey|defineProperty|objectSpread2)\.js\n[\s\S]*?\/\/#endregion\n?/g;
const NATIVE_HELPERS = `const data = (value) => ({ value, enumerable: true, configurable: true, writable: true });
function _defineProperty(target, key, value) { return Object.defineProperty(target, key, data(value)); }
function _objectSpread2(target, ...sources) {
  for (const source of sources) {
    if (source == null) continue;
    for (const key of Reflect.ownKeys(source)) if (Object.prototype.propertyIsEnumerable.call(source, key)) Object.defineProperty(target, key, data(source[key]));
  }
  return target;
}
`;
const nativeSpread = {
  name: 'closeloop-native-spread',
  transform(code, id) {
    if (!/\/@trpc\/(client|server)\/dist\/[^/]*\.mjs$/.test(id) || code.search(HELPERS) === -1) return null;
    const rest = code.replace(HELPERS, '');
    if (/\b(_typeof|toPrimitive|toPropertyKey|ownKeys)\b/.test(rest)) return null;
    return { code: NATIVE_HELPERS + rest, map: null };
  },
};

const bundle = (entry, file, plugins = []) =>
  build({
    configFile: 'vite.config.ts',
    logLevel: 'warn',
    plugins: [trpcPureStatics, nativeSpread, ...plugins],
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      outDir: 'dist/widget',
      emptyOutDir: false,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      lib: { entry, formats: ['iife'], name: 'closeloop', fileName: () => file },
    },
  });

/** A language file's bundle: its messages, handed to the app through window.Closeloop. */
const localeEntry = (code) => ({
  name: 'closeloop-locale-entry',
  resolveId: (id) => (id.endsWith('closeloop-locale') ? '\0closeloop-locale' : null),
  load(id) {
    if (id !== '\0closeloop-locale') return null;
    const file = fileURLToPath(new URL(`../widget/app/locales/${code}.ts`, import.meta.url));
    return `import { ${code} as m } from ${JSON.stringify(file)};
const l = window.Closeloop && window.Closeloop._l;
if (l) l.messages[${JSON.stringify(code)}] = m;`;
  },
});

/** In the app's bundle the SDK's upload code is a stand-in that loads widget-attach.js when first used. */
const lazyUpload = {
  name: 'closeloop-lazy-upload',
  enforce: 'pre',
  resolveId(source, importer) {
    if (source === './attachments.js' && importer && /[\\/]sdk[\\/]customer-client\.ts$/.test(importer)) {
      return fileURLToPath(new URL('../widget/app/lazy-upload.ts', import.meta.url));
    }
    return null;
  },
};

rmSync('dist/widget', { recursive: true, force: true });
await bundle('widget/loader/loader.ts', 'widget.js');
await bundle('widget/app/main.ts', 'widget-app.js', [lazyUpload]);
await bundle('widget/app/attach-entry.ts', 'widget-attach.js');
for (const code of WIDGET_LOCALES) {
  await bundle('closeloop-locale', `widget-locale-${code}.js`, [localeEntry(code)]);
}
