/**
 * What `npm pack` puts in the tarball, checked from npm's own list (the build
 * has run: `npm test` builds first). A consumer gets the server, the SDK, the
 * widget bundles and the CLI; never the demo, drizzle-kit's snapshots, tests or
 * source maps that point at files they do not have.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Packed {
  files: { path: string }[];
}

const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Packed[];
const paths = packed[0]!.files.map((f) => f.path);

describe('the published package', () => {
  it('ships the licence, the server, the SDK with its types, the widget, the migrations and the CLI', () => {
    for (const path of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/closeloop.js',
      'dist/server/index.js',
      'dist/server/index.d.ts',
      'dist/sdk/index.js',
      'dist/sdk/index.d.ts',
      'dist/widget/widget.js',
      'dist/widget/widget-app.js',
      'dist/server/store/sqlite/migrations/0000_init.sql',
      'dist/server/store/sqlite/migrations/meta/_journal.json',
      'dist/server/store/sqlite/checkpoint-worker.js',
      'dist/server/store/postgres/migrations/0000_init.sql',
      'dist/server/store/postgres/migrations/meta/_journal.json',
    ]) {
      expect(paths, path).toContain(path);
    }
  });

  it('leaves out the demo, drizzle-kit snapshots, tests and TypeScript sources', () => {
    const unwanted = paths.filter(
      (p) => p.startsWith('dist/demo/') || p.endsWith('_snapshot.json') || p.startsWith('test/') || p.includes('node_modules/') || (p.endsWith('.ts') && !p.endsWith('.d.ts')),
    );
    expect(unwanted).toEqual([]);
  });

  it('has no source map that points at a source the package does not carry', () => {
    const maps = paths.filter((p) => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const dangling = maps.filter((p) => {
      const map = JSON.parse(readFileSync(p, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      return map.sources.some((_, i) => typeof map.sourcesContent?.[i] !== 'string');
    });
    expect(dangling).toEqual([]);
  });
});
