import { describe, expect, it } from 'vitest';
import { build, type Rollup } from 'vite';

async function browserBuild(entry: string) {
  const result = (await build({
    configFile: 'vite.config.ts',
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry, formats: ['es'], fileName: 'bundle' } },
  })) as Rollup.RollupOutput[] | Rollup.RollupOutput;
  const chunks = [result].flat().flatMap((r) => r.output).filter((o): o is Rollup.OutputChunk => o.type === 'chunk');
  return { modules: chunks.flatMap((c) => c.moduleIds), code: chunks.map((c) => c.code).join('\n'), imports: chunks.flatMap((c) => c.imports) };
}

describe('what reaches a browser', () => {
  for (const [name, entry, mustHave] of [
    ['the SDK', 'sdk/index.ts', '/sdk/customer-client.ts'],
    ['the widget app', 'widget/app/main.ts', '/widget/app/controller.ts'],
    ['the widget loader', 'widget/loader/loader.ts', '/widget/loader/loader.ts'],
  ] as const) {
    it(`${name}: no server code, no Node built-ins, no validator, no tRPC request handling`, async () => {
      const { modules, code, imports } = await browserBuild(entry);
      expect(modules.some((id) => id.endsWith(mustHave))).toBe(true);
      expect(modules.filter((id) => /\/server\//.test(id) && !id.includes('node_modules'))).toEqual([]);
      expect(modules.filter((id) => /better-sqlite3|drizzle|\/zod\/|\/@trpc\/server\/dist\/adapters/.test(id))).toEqual([]);
      expect(code).not.toMatch(/from ["']node:|require\(["'](node:)?(crypto|fs|http|https|net|dns|path)["']\)/);
      // tRPC's server side: resolving requests, building contexts, routers, procedures.
      expect(code).not.toMatch(/function (resolveResponse|getRequestInfo|createRouterFactory|createBuilder)\b/);
      expect(imports).toEqual([]);
    });
  }

  it('the loader pulls in nothing but itself', async () => {
    const { modules } = await browserBuild('widget/loader/loader.ts');
    expect(modules.filter((id) => id.includes('node_modules'))).toEqual([]);
  });
});
