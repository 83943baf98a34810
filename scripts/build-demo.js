// Builds the demo's agent console (a small Preact page) into dist/demo/console.
import { build } from 'vite';

await build({
  configFile: 'vite.config.ts',
  logLevel: 'warn',
  root: 'demo/console',
  base: '/console/',
  build: { outDir: '../../dist/demo/console', emptyOutDir: true },
});
