// Builds the demo's agent console (a small Preact page) into dist/demo/console.
import { build } from 'vite';

await build({
  configFile: 'vite.config.ts',
  logLevel: 'warn',
  root: 'demo/console',
  base: '/console/',
  build: {
    outDir: '../../dist/demo/console',
    emptyOutDir: true,
    // Two pages: the console, and the dashboard with its charts (loaded only there).
    rollupOptions: { input: { index: 'demo/console/index.html', dashboard: 'demo/console/dashboard.html' } },
  },
});
