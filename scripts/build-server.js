// Compiles the server (and SDK) to dist/, source maps carrying their sources, and ships its SQL migrations and checkpoint worker beside the compiled store.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync('dist/server', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// drizzle-kit's snapshots only serve `npm run db:generate`: the migrator needs the SQL and the journal.
for (const dialect of ['sqlite', 'postgres']) {
  cpSync(`server/store/${dialect}/migrations`, `dist/server/store/${dialect}/migrations`, { recursive: true, filter: (path) => !path.endsWith('_snapshot.json') });
}
cpSync('server/store/sqlite/checkpoint-worker.js', 'dist/server/store/sqlite/checkpoint-worker.js');
// The SDK's API types, written out in full so its declarations need no server code.
execFileSync(process.execPath, ['scripts/build-sdk-types.js'], { stdio: 'inherit' });
