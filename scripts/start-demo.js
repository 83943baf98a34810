// `npm start`: checks the demo's ports first (a taken one is named, with what to do),
// builds only when a source is newer than the last build (and says which), then runs the demo.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

const host = process.env.HOST ?? '127.0.0.1';
const ports = { PORT: Number(process.env.PORT ?? 8787), DEMO_PORT: Number(process.env.DEMO_PORT ?? 8788) };
const STAMP = 'dist/.build-stamp';
const SOURCES = ['server', 'sdk', 'widget', 'demo', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'vite.config.ts'];

const free = (port) =>
  new Promise((resolve) => {
    const probe = net.createServer().once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });

/** The newest file under the sources, with its time. */
function newest(paths) {
  let found = { path: null, at: 0 };
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      const inner = newest(readdirSync(path).filter((n) => n !== 'node_modules').map((n) => join(path, n)));
      if (inner.at > found.at) found = inner;
    } else if (stat.mtimeMs > found.at) found = { path, at: stat.mtimeMs };
  }
  return found;
}

for (const [name, port] of Object.entries(ports)) {
  if (!(await free(port))) {
    const other = name === 'PORT' ? 'DEMO_PORT' : 'PORT';
    console.error(`closeloop demo: port ${port} on ${host} (${name}) is already in use.`);
    console.error(`Pick free ports, e.g.: ${name}=${port + 10} ${other}=${ports[other] + 10} npm start`);
    process.exit(1);
  }
}

const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
const changed = newest(SOURCES);
if (!built || changed.at > built) {
  console.log(built ? `Building: ${changed.path} changed since the last build.` : 'Building: no build yet.');
  // The build writes the stamp itself (npm install's build counts too).
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
} else {
  console.log('Build is up to date.');
}

const demo = spawn(process.execPath, ['dist/demo/backend/main.js'], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => demo.kill(signal));
demo.on('exit', (code) => process.exit(code ?? 0));
