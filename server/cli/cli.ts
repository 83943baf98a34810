/**
 * The `closeloop` command. Every failure is one clear line on stderr and exit
 * code 1; `run` returns the exit code instead of exiting, so tests can call it.
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { siteDto } from '../api/dto.js';
import { createServer } from '../http/create-server.js';
import type { Store } from '../store/store.js';
import { openStore, storeLocation } from '../store/open-store.js';
import { copyDatabase } from '../store/copy-database.js';
import { isPostgresUrl } from '../store/postgres/open-postgres.js';
import { sweep } from '../tickets/sweeper.js';
import { attachmentStorages } from '../attachments/attachment-storages.js';
import { idempotencyTtlFromEnv } from '../api/idempotency.js';
import { notifications as notificationSchema } from '../api/schemas.js';
import { mailConfig } from '../mail/mail-config.js';
import { metricsSummary } from '../analytics/metrics-report.js';
import { GROUP_BYS, type GroupBy } from '../analytics/metrics-summary.js';
import { fromWallClock, isTimeZone } from '../analytics/business-hours.js';
import { summaryCsv } from '../analytics/report-csv.js';
import { rebuildMetrics } from '../analytics/rebuild-metrics.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); injectable for tests. */
  stopSignal?: Promise<void>;
  onListening?: (url: string) => void;
}

const USAGE = `Usage: closeloop <command> [options]

Commands:
  serve [--port 8787] [--host 127.0.0.1] [--smtp-port 2525]
                                            apply migrations, then serve the API (and take
                                            customers' replies by email on the SMTP port)
  sites create --name NAME --origin URL [--origin URL ...]
  sites list
  sites update SITE_ID [--name NAME] [--origin URL ...] [--auto-close-after-hours H]
                       [--reopen-window-days D] [--agents-may-close | --no-agents-may-close]
                       [--notifications | --no-notifications] [--sender-name NAME] [--reply-to EMAIL]
                       [--portal-url URL] [--reply-delay-minutes M] [--accent-color #RRGGBB]
  sweep                                     run the due rules (auto-close, wake) once
  migrate                                   apply pending database migrations
  copy --from DB --to DB                    copy a whole database into an empty one (SQLite
                                            file ⇄ postgres:// URL), then verify it
  report --from DATE --to DATE [--site SITE_ID] [--group-by day|week|topic|tag|priority|assignee]
         [--time-zone ZONE] [--csv]         the metrics summary (JSON, or CSV for spreadsheets);
                                            dates are YYYY-MM-DD (local midnight) or ISO times,
                                            --to excluded; --site may be left out with one site
  metrics rebuild                           recompute every ticket's metrics from its events

Every command takes --db PATH (or CLOSELOOP_DB; default ./data/closeloop.db) for
SQLite, or --database-url postgres://… (or CLOSELOOP_DATABASE_URL) for PostgreSQL.
serve also reads PORT and HOST. Email to customers needs CLOSELOOP_SMTP_URL,
CLOSELOOP_MAIL_FROM and CLOSELOOP_PUBLIC_URL (see the README).`;

class UsageError extends Error {}
/** `--help` (or `-h`) as an option of any command: the one usage text, which covers every command. */
class HelpRequested extends Error {}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const COMMON_OPTIONS = { db: { type: 'string' }, 'database-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: positionals > 0, allowNegative: true, strict: true });
    if ((parsed.values as { help?: boolean }).help) throw new HelpRequested();
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument '${parsed.positionals[positionals]}'`);
    return parsed;
  } catch (error) {
    if (error instanceof UsageError || error instanceof HelpRequested) throw error;
    const message = (error as Error).message;
    // `--name -h`: node's three lines say it; one is enough.
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) throw new UsageError(`${ambiguous[1]} needs a value; one that starts with a dash is written ${ambiguous[1]}=-…`);
    throw new UsageError(message.split('\n')[0]!);
  }
}

/** The database the flags or the environment name (a SQLite file by default); both kinds at once is a usage error. */
function where(values: { db?: string | undefined; 'database-url'?: string | undefined }) {
  try {
    return storeLocation({ db: values.db, databaseUrl: values['database-url'] });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

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

async function withStore<T>(location: ReturnType<typeof where>, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(location);
  try {
    await store.ready();
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function serve(args: string[], io: Io) {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' }, 'smtp-port': { type: 'string' } });
  const port = number(values.port ?? process.env.PORT, 'port') ?? 8787;
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const smtpPort = number(values['smtp-port'], 'smtp-port');
  const location = where(values);
  const mail = mailConfig();
  if (smtpPort !== undefined && !mail) throw new UsageError('--smtp-port needs outgoing mail configured: set CLOSELOOP_SMTP_URL, CLOSELOOP_MAIL_FROM and CLOSELOOP_PUBLIC_URL');
  const server = createServer({ ...location, mail: { inboundPort: smtpPort } });
  let url: string;
  try {
    ({ url } = await server.listen(port, host));
  } catch (error) {
    await server.close();
    throw error;
  }
  io.out(`Closeloop is listening on ${url} (database ${server.store.location})`);
  if (!mail) io.out('Email is off: no notifications are sent. Set CLOSELOOP_SMTP_URL, CLOSELOOP_MAIL_FROM and CLOSELOOP_PUBLIC_URL to turn it on.');
  else {
    const smtp = new URL(mail.smtpUrl);
    io.out(`Email: sending through ${smtp.protocol}//${smtp.host} as ${mail.from}; links start with ${mail.publicUrl}`);
    if (server.inboundSmtpPort !== null) io.out(`Email replies: listening for reply+…@${mail.replyDomain} on SMTP port ${server.inboundSmtpPort}`);
  }
  if ((await server.store.listSites()).length === 0) {
    io.out('No site yet. Create one (it prints the keys your page and backend need):');
    io.out(`  npx closeloop sites create --name "My shop" --origin https://shop.example ${'db' in location ? `--db ${location.db}` : '--database-url …'}`);
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
    const site = await withStore(where(values), (store) => store.createSite({ name: values.name!.trim(), origins: list }, Date.now()));
    io.out(JSON.stringify({ siteId: site.id, siteKey: site.siteKey, secretKey: site.secretKey }));
    return;
  }
  if (sub === 'list') {
    const { values } = parse(rest, {});
    const all = await withStore(where(values), (store) => store.listSites());
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
        notifications: { type: 'boolean' },
        'sender-name': { type: 'string' },
        'reply-to': { type: 'string' },
        'portal-url': { type: 'string' },
        'reply-delay-minutes': { type: 'string' },
        'accent-color': { type: 'string' },
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
    const notifications = notificationsPatch(values);
    const site = await withStore(where(values), async (store) => {
      const current = await store.getSite(siteId);
      if (!current) return null;
      return store.updateSite(siteId, notifications ? { ...patch, notifications: { ...(current.notifications ?? {}), ...notifications } } : patch);
    });
    if (!site) throw new UsageError(`no site with id '${siteId}'`);
    io.out(JSON.stringify(siteDto(site), null, 2));
    return;
  }
  throw new UsageError(sub ? `unknown sites command '${sub}'` : 'sites needs a command: create, list or update');
}

/** The email settings `sites update` was given, checked by the API's own rules; null when none. */
function notificationsPatch(values: Record<string, string | boolean | (string | boolean)[] | undefined>) {
  const given = {
    ...(values.notifications !== undefined ? { enabled: values.notifications } : {}),
    ...(values['sender-name'] !== undefined ? { senderName: values['sender-name'] } : {}),
    ...(values['reply-to'] !== undefined ? { replyTo: values['reply-to'] } : {}),
    ...(values['portal-url'] !== undefined ? { portalUrl: values['portal-url'] } : {}),
    ...(values['reply-delay-minutes'] !== undefined ? { replyDelayMinutes: Number(values['reply-delay-minutes']) } : {}),
    ...(values['accent-color'] !== undefined ? { accentColor: values['accent-color'] } : {}),
  };
  if (Object.keys(given).length === 0) return null;
  const checked = notificationSchema.safeParse(given);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const flag = { enabled: 'notifications', senderName: 'sender-name', replyTo: 'reply-to', portalUrl: 'portal-url', replyDelayMinutes: 'reply-delay-minutes', accentColor: 'accent-color' }[String(issue.path[0])];
    throw new UsageError(`--${flag}: ${issue.message}`);
  }
  return checked.data;
}

async function sweepOnce(args: string[], io: Io) {
  const { values } = parse(args, {});
  const changes = await withStore(where(values), (store) => {
    // Auto-closes swept from cron email their customers too, when mail is configured.
    store.emails.setLimits(mailConfig()?.limits ?? null);
    return sweep(
      { store, now: Date.now, hub: { changed: () => {} }, files: attachmentStorages(store, { storage: process.env.CLOSELOOP_ATTACHMENTS_STORAGE as 'folder' | 'database' | undefined, dir: process.env.CLOSELOOP_ATTACHMENTS_DIR }) },
      { idempotencyTtlMs: idempotencyTtlFromEnv() },
    );
  });
  for (const c of changes) io.out(`${c.ticketId}: ${c.action} ${c.from} -> ${c.to}`);
  io.out(`sweep: ${changes.length} ticket${changes.length === 1 ? '' : 's'} changed`);
}

async function copy(args: string[], io: Io) {
  const { values } = parse(args, { from: { type: 'string' }, to: { type: 'string' } });
  if (!values.from || !values.to) throw new UsageError('copy needs --from DB and --to DB (each a SQLite file or a postgres:// URL)');
  if (values.from === values.to) throw new UsageError('copy needs two different databases');
  const location = (value: string) => (isPostgresUrl(value) ? { databaseUrl: value } : { db: value });
  if (!isPostgresUrl(values.from) && !existsSync(values.from)) throw new UsageError(`--from: no database file at ${values.from}`);
  const started = performance.now();
  const copied = await withStore(location(values.from), (from) =>
    withStore(location(values.to!), (to) => copyDatabase(from, to, (t) => io.out(`${t.table}: ${t.rows} rows, checksum ${t.checksum.slice(0, 16)}… verified`))),
  );
  const rows = copied.reduce((n, t) => n + t.rows, 0);
  io.out(`copy: ${rows} rows in ${copied.length} tables copied and verified in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** A date as given: YYYY-MM-DD is local midnight in the report's zone; otherwise an ISO time with its offset. */
function instant(value: string | undefined, flag: string, timeZone: string): number {
  if (!value) throw new UsageError(`report needs --${flag} DATE (YYYY-MM-DD or an ISO time)`);
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  const at = Number.isNaN(day) ? Date.parse(value) : fromWallClock(timeZone, day);
  if (Number.isNaN(at) || (Number.isNaN(day) && !/T.*(Z|[+-]\d{2}:?\d{2})$/.test(value))) {
    throw new UsageError(`--${flag} must be YYYY-MM-DD or an ISO time with its offset, got '${value}'`);
  }
  return at;
}

async function report(args: string[], io: Io) {
  const { values } = parse(args, { site: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, 'group-by': { type: 'string' }, 'time-zone': { type: 'string' }, csv: { type: 'boolean' } });
  const groupBy = values['group-by'] as GroupBy | undefined;
  if (groupBy !== undefined && !GROUP_BYS.includes(groupBy)) throw new UsageError(`--group-by must be one of ${GROUP_BYS.join(', ')}, got '${groupBy}'`);
  if (values['time-zone'] !== undefined && !isTimeZone(values['time-zone'])) throw new UsageError(`--time-zone must be a time zone such as Europe/Tallinn, got '${values['time-zone']}'`);
  const summary = await withStore(where(values), async (store) => {
    const all = await store.listSites();
    const site = values.site ? all.find((s) => s.id === values.site) : all.length === 1 ? all[0] : undefined;
    if (!site) throw new UsageError(values.site ? `no site with id '${values.site}'` : `report needs --site SITE_ID (this database has ${all.length} sites)`);
    const timeZone = values['time-zone'] ?? site.sla?.schedule?.timeZone ?? 'UTC';
    const from = instant(values.from, 'from', timeZone);
    const to = instant(values.to, 'to', timeZone);
    if (from >= to) throw new UsageError('--from must be before --to');
    return metricsSummary(store, site, { from, to, groupBy, timeZone }, Date.now());
  });
  io.out(values.csv ? summaryCsv(summary) : JSON.stringify(summary, null, 2));
}

async function metrics(args: string[], io: Io) {
  const [sub, ...rest] = args;
  if (sub !== 'rebuild') throw new UsageError(sub ? `unknown metrics command '${sub}'` : 'metrics needs a command: rebuild');
  const { values } = parse(rest, {});
  const started = performance.now();
  const tickets = await withStore(where(values), (store) => rebuildMetrics(store));
  io.out(`metrics rebuild: ${tickets} ticket${tickets === 1 ? '' : 's'} recomputed from their events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function migrate(args: string[], io: Io) {
  const { values } = parse(args, {});
  const shown = await withStore(where(values), async (store) => store.location);
  io.out(`migrate: ${shown} is up to date`);
}

export async function run(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    // `closeloop sites --help`: before the command reads its sub-command.
    if (args[0] === '--help' || args[0] === '-h') throw new HelpRequested();
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
      case 'copy':
        await copy(args, io);
        return 0;
      case 'report':
        await report(args, io);
        return 0;
      case 'metrics':
        await metrics(args, io);
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
    if (error instanceof HelpRequested) {
      io.out(USAGE);
      return 0;
    }
    io.err(`closeloop: ${(error as Error).message}`);
    return 1;
  }
}
