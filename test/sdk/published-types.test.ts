/**
 * The SDK's published declarations stand alone: a consumer with a strict
 * compiler and `skipLibCheck: false` compiles against dist/sdk (as installed,
 * through the package's exports) with zero errors, under both `bundler` and
 * `nodenext` resolution, without the server, drizzle, tRPC's server or Node's types.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SDK = join(ROOT, 'dist/sdk');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('the SDK’s published types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-consumer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('import nothing outside dist/sdk: no server files, drizzle, tRPC or node: modules', () => {
    const outside: string[] = [];
    for (const file of readdirSync(SDK).filter((f) => f.endsWith('.d.ts'))) {
      const text = readFileSync(join(SDK, file), 'utf8');
      for (const [, spec] of text.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)) {
        if (!/^\.\/[\w-]+\.js$/.test(spec!)) outside.push(`${file}: ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });

  for (const resolution of ['bundler', 'nodenext'] as const) {
    it(`compile in a strict consumer with skipLibCheck off (moduleResolution ${resolution})`, () => {
      const project = join(dir, resolution);
      mkdirSync(join(project, 'node_modules'), { recursive: true });
      symlinkSync(ROOT, join(project, 'node_modules', 'closeloop'), 'dir');
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
      // The repository's own consumer file, importing the package the way a user does.
      const consumer = readFileSync(join(ROOT, 'test/sdk/consumer.typecheck.ts'), 'utf8').replace("'../../sdk/index.js'", "'closeloop/sdk'");
      expect(consumer).toContain("from 'closeloop/sdk'");
      writeFileSync(join(project, 'consumer.ts'), consumer);
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: resolution === 'bundler' ? 'ESNext' : 'NodeNext',
            moduleResolution: resolution,
            lib: ['ES2022', 'DOM'],
            types: [],
            strict: true,
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            skipLibCheck: false,
            noEmit: true,
          },
          files: ['consumer.ts'],
        }),
      );
      let output = '';
      try {
        output = execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
      } catch (error) {
        output = (error as { stdout: string }).stdout;
      }
      expect(output).toBe('');
    });
  }
});
