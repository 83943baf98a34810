import { describe, expect, it } from 'vitest';
import { build, type Rollup } from 'vite';

describe('the SDK in a browser bundle', () => {
  it('pulls in no server code, no Node built-ins and no validator', async () => {
    const result = (await build({
      configFile: false,
      logLevel: 'silent',
      build: {
        write: false,
        minify: false,
        lib: { entry: 'sdk/index.ts', formats: ['es'], fileName: 'sdk' },
      },
    })) as Rollup.RollupOutput[] | Rollup.RollupOutput;
    const chunks = [result].flat().flatMap((r) => r.output).filter((o): o is Rollup.OutputChunk => o.type === 'chunk');
    const modules = chunks.flatMap((c) => c.moduleIds);
    const code = chunks.map((c) => c.code).join('\n');

    expect(modules.some((id) => id.includes('/sdk/customer-client.ts'))).toBe(true);
    expect(modules.filter((id) => /\/server\//.test(id) && !id.includes('node_modules'))).toEqual([]);
    expect(modules.filter((id) => /better-sqlite3|drizzle|zod|\/@trpc\/server\/dist\/adapters/.test(id))).toEqual([]);
    expect(code).not.toMatch(/from ["']node:|require\(["'](node:)?(crypto|fs|http|https|net|dns|path)["']\)/);
    expect(chunks.flatMap((c) => c.imports)).toEqual([]);
  });
});
