// Shared bench plumbing: temp databases with a site and a customer, and servers in child processes.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../dist/server/index.js';

export const tempDir = () => mkdtempSync(join(tmpdir(), 'closeloop-bench-'));

/** A migrated database with one site, an agent and one customer session; returns the keys. */
export async function seedDatabase(path) {
  const store = createStore(path);
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
