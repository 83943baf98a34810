/**
 * The `closeloop` command. Every failure is one clear line on stderr and exit
 * code 1; `run` returns the exit code instead of exiting, so tests can call it.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { siteDto } from '../api/dto.js';
import { createServer } from '../http/create-server.js';
import { createStore, type Store } from '../store/store.js';
import { sweep } from '../tickets/sweeper.js';
import { idempotencyTtlFromEnv } from '../api/idempotency.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); injectable for tests. */
  stopSignal?: Promise<void>;
  onListening?: (url: string) => void;
}

const USAGE = `Usage: closeloop <command> [options]

Commands:
  serve [--port 8787] [--host 127.0.0.1]   apply migrations, then serve the API
  sites create --name NAME --origin URL [--origin URL ...]
  sites list
  sites update SITE_ID [--name NAME] [--origin URL ...] [--auto-close-after-hours H]
                       [--reopen-window-days D] [--agents-may-close | --no-agents-may-close]
  sweep                                     run the due rules (auto-close, wake) once
  migrate                                   apply pending database migrations

Every command takes --db PATH (or CLOSELOOP_DB; default ./data/closeloop.db).
serve also reads PORT and HOST.`;

class UsageError extends Error {}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const DB_OPTION = { db: { type: 'string' } } as const;

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args, options: { ...DB_OPTION, ...options }, allowPositionals: positionals > 0, allowNegative: true, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument '${parsed.positionals[positionals]}'`);
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''));
  }
}

const dbPath = (value: unknown) => (typeof value === 'string' && value) || process.env.CLOSELOOP_DB || './data/closeloop.db';

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} must be a non-negative number, got '${value}'`);
  return n;
}

function origins(values: string[] | undefined): string[] | undefined {
  return values?.map((value) => {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    } catch {
      // reported below
    }
    throw new UsageError(`--origin must be an http(s) origin such as https://shop.example, got '${value}'`);
  });
}

async function withStore<T>(path: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = createStore(path);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function serve(args: string[], io: Io) {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' } });
  const port = number(values.port ?? process.env.PORT, 'port') ?? 8787;
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const path = dbPath(values.db);
  const server = createServer({ db: path });
  let url: string;
  try {
    ({ url } = await server.listen(port, host));
  } catch (error) {
    await server.close();
    throw error;
  }
  io.out(`Closeloop is listening on ${url} (database ${path})`);
  if ((await server.store.listSites()).length === 0) {
    io.out('No site yet. Create one (it prints the keys your page and backend need):');
    io.out(`  npx closeloop sites create --name "My shop" --origin https://shop.example --db ${path}`);
  }
  io.onListening?.(url);
  await (io.stopSignal ?? processStop());
  await server.close();
  io.out('Closeloop stopped.');
}

function processStop() {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function sites(args: string[], io: Io) {
  const [sub, ...rest] = args;
  if (sub === 'create') {
    const { values } = parse(rest, { name: { type: 'string' }, origin: { type: 'string', multiple: true } });
    if (!values.name?.trim()) throw new UsageError('sites create needs --name NAME');
    const list = origins(values.origin);
    if (!list?.length) throw new UsageError('sites create needs at least one --origin URL');
    const site = await withStore(dbPath(values.db), (store) => store.createSite({ name: values.name!.trim(), origins: list }, Date.now()));
    io.out(JSON.stringify({ siteId: site.id, siteKey: site.siteKey, secretKey: site.secretKey }));
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, {});
    const all = await withStore(dbPath(values.db), (store) => store.listSites());
    io.out(JSON.stringify(all.map(siteDto), null, 2));
    return;
  }
  if (sub === 'update') {
    const { values, positionals } = parse(
      rest,
      {
        name: { type: 'string' },
        origin: { type: 'string', multiple: true },
        'auto-close-after-hours': { type: 'string' },
        'reopen-window-days': { type: 'string' },
        'agents-may-close': { type: 'boolean' },
      },
      1,
    );
    const siteId = positionals[0];
    if (!siteId) throw new UsageError('sites update needs SITE_ID');
    const patch = {
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.origin !== undefined ? { origins: origins(values.origin)! } : {}),
      ...(values['auto-close-after-hours'] !== undefined
        ? { autoCloseAfterHours: number(values['auto-close-after-hours'], 'auto-close-after-hours')! }
        : {}),
      ...(values['reopen-window-days'] !== undefined
        ? { reopenWindowDays: number(values['reopen-window-days'], 'reopen-window-days')! }
        : {}),
      ...(values['agents-may-close'] !== undefined ? { agentsMayClose: values['agents-may-close'] } : {}),
    };
    if (patch.autoCloseAfterHours === 0) throw new UsageError('--auto-close-after-hours must be more than 0');
    const site = await withStore(dbPath(values.db), (store) => store.updateSite(siteId, patch));
    if (!site) throw new UsageError(`no site with id '${siteId}'`);
    io.out(JSON.stringify(siteDto(site), null, 2));
    return;
  }
  throw new UsageError(sub ? `unknown sites command '${sub}'` : 'sites needs a command: create, list or update');
}

async function sweepOnce(args: string[], io: Io) {
  const { values } = parse(args, {});
  const changes = await withStore(dbPath(values.db), (store) => sweep({ store, now: Date.now, hub: { changed: () => {} } }, { idempotencyTtlMs: idempotencyTtlFromEnv() }));
  for (const c of changes) io.out(`${c.ticketId}: ${c.action} ${c.from} -> ${c.to}`);
  io.out(`sweep: ${changes.length} ticket${changes.length === 1 ? '' : 's'} changed`);
}

async function migrate(args: string[], io: Io) {
  const { values } = parse(args, {});
  const path = dbPath(values.db);
  await withStore(path, async () => undefined);
  io.out(`migrate: ${path} is up to date`);
}

export async function run(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve':
        await serve(args, io);
        return 0;
      case 'sites':
        await sites(args, io);
        return 0;
      case 'sweep':
        await sweepOnce(args, io);
        return 0;
      case 'migrate':
        await migrate(args, io);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command '${command}' (try: closeloop help)`);
    }
  } catch (error) {
    io.err(`closeloop: ${(error as Error).message}`);
    return 1;
  }
}
