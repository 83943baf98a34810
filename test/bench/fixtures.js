// Shared bench plumbing: temp databases with a site and a customer, and servers in child processes.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../dist/server/index.js';

export const tempDir = () => mkdtempSync(join(tmpdir(), 'closeloop-bench-'));

const isUrl = (target) => /^postgres(ql)?:\/\//.test(target);

/** A migrated database (a SQLite file or a PostgreSQL URL) with one site, an agent and one customer session; returns the keys. */
export async function seedDatabase(target) {
  const store = openStore(isUrl(target) ? { databaseUrl: target } : { db: target });
  await store.ready();
  const site = await store.createSite({ name: 'Bench', origins: ['http://bench.test'] }, Date.now());
  const agent = await store.upsertAgent(site.id, { email: 'bench@bench.test', name: 'Bench' }, Date.now());
  const { token, customer } = await store.startSession({ siteId: site.id, identity: { externalId: 'bench-user' } }, Date.now());
  await store.close();
  return { site, agentId: agent.id, token, customerId: customer.id };
}

/** Starts a server script as a child process; resolves once it listens. */
export function startChild(script, args) {
  // --expose-gc: memory per connection is measured after a full collection, so it counts what
  // the connections hold, not garbage the setup requests left behind.
  const child = fork(new URL(`./servers/${script}`, import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
  const ask = (cmd) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (!m.ready) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send({ cmd });
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m) => {
      if (!m.ready) return reject(new Error(`unexpected message ${JSON.stringify(m)}`));
      resolve({
        url: `http://127.0.0.1:${m.port}`,
        pid: child.pid,
        ask,
        /** Resident memory now, and the peak so far (VmHWM), in bytes, read from /proc. */
        memory() {
          const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
          const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
          return { rss: kb('VmRSS'), peak: kb('VmHWM') };
        },
        stop: () => new Promise((done) => {
          child.once('exit', done);
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

export const cleanup = (dir) => rmSync(dir, { recursive: true, force: true });

/**
 * The PostgreSQL server for `npm run bench -- --postgres`: CLOSELOOP_BENCH_DATABASE_URL,
 * else CLOSELOOP_TEST_DATABASE_URL, else a throwaway one started by scripts/ci/postgres.sh.
 */
let server;
export function benchPostgres() {
  server ??= process.env.CLOSELOOP_BENCH_DATABASE_URL || process.env.CLOSELOOP_TEST_DATABASE_URL || execFileSync('bash', ['scripts/ci/postgres.sh'], { encoding: 'utf8' }).trim();
  return server;
}

/** An empty database on the bench's PostgreSQL; resolves with its URL and a function that drops it. */
export async function freshPostgres(name) {
  const admin = new pg.Client({ connectionString: benchPostgres() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(benchPostgres());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = new pg.Client({ connectionString: benchPostgres() });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}
