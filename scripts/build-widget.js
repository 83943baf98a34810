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

const bundle = (entry, file, plugins = []) =>
  build({
    configFile: 'vite.config.ts',
    logLevel: 'warn',
    plugins: [trpcPureStatics, ...plugins],
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
