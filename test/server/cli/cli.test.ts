import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase, SKIP_POSTGRES } from '../../helpers/postgres.js';
import { rawRows } from '../../helpers/raw-database.js';
import { attachmentStorages } from '../../../server/attachments/attachment-storages.js';
import { openStore } from '../../../server/store/open-store.js';
import { created } from '../../../server/lifecycle/lifecycle.js';
import { decider } from '../../../server/tickets/act.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/closeloop.js');

/** Runs the real, built `closeloop` command. */
async function closeloop(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Each case starts the real command, a Node process of its own: on a busy two-core CI machine
// a test that starts a dozen of them needs more than the default 20 s.
describe('the closeloop command', { timeout: 90_000 }, () => {
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'closeloop-cli-'));
    db = join(dir, 'nested', 'folder', 'closeloop.db');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a site, creating the database folder, and prints its keys as JSON', async () => {
    const { code, stdout } = await closeloop(['sites', 'create', '--name', 'Shop', '--origin', 'https://shop.example/', '--origin', 'http://localhost:5173', '--db', db]);
    expect(code).toBe(0);
    const keys = JSON.parse(stdout) as Record<string, string>;
    expect(Object.keys(keys)).toEqual(['siteId', 'siteKey', 'secretKey']);
    expect(keys.siteKey).toMatch(/^pk_/);
    expect(keys.secretKey).toMatch(/^sk_/);

    const list = await closeloop(['sites', 'list'], { CLOSELOOP_DB: db });
    const sites = JSON.parse(list.stdout) as { id: string; origins: string[] }[];
    expect(sites).toEqual([expect.objectContaining({ id: keys.siteId, origins: ['https://shop.example', 'http://localhost:5173'] })]);
    expect(list.stdout).not.toContain(keys.secretKey!);
  });

  it('updates a site’s rules', async () => {
    const { stdout } = await closeloop(['sites', 'list', '--db', db]);
    const [site] = JSON.parse(stdout) as { id: string }[];
    const updated = await closeloop(['sites', 'update', site!.id, '--auto-close-after-hours', '1.5', '--reopen-window-days', '7', '--agents-may-close', '--db', db]);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ autoCloseAfterHours: 1.5, reopenWindowDays: 7, agentsMayClose: true });
    const missing = await closeloop(['sites', 'update', 'site_nope', '--agents-may-close', '--db', db]);
    expect(missing).toMatchObject({ code: 1, stderr: "closeloop: no site with id 'site_nope'\n" });
  });

  it('sets a site’s email settings, refusing bad ones with the flag named', async () => {
    const { stdout } = await closeloop(['sites', 'list', '--db', db]);
    const [site] = JSON.parse(stdout) as { id: string }[];
    const updated = await closeloop(['sites', 'update', site!.id, '--sender-name', 'Shop help', '--reply-delay-minutes', '0', '--portal-url', 'https://shop.example/help', '--db', db]);
    expect(JSON.parse(updated.stdout).notifications).toEqual({ enabled: true, senderName: 'Shop help', replyTo: null, portalUrl: 'https://shop.example/help', replyDelayMinutes: 0, accentColor: null });
    const off = await closeloop(['sites', 'update', site!.id, '--no-notifications', '--db', db]);
    expect(JSON.parse(off.stdout).notifications).toMatchObject({ enabled: false, senderName: 'Shop help' });
    const bad = await closeloop(['sites', 'update', site!.id, '--accent-color', 'red', '--db', db]);
    expect(bad).toMatchObject({ code: 1, stderr: 'closeloop: --accent-color: must be a colour like #1d4ed8\n' });
  });

  it('says once at start that email is off without SMTP, and refuses --smtp-port then', async () => {
    const refused = await closeloop(['serve', '--port', '0', '--smtp-port', '0', '--db', db], { CLOSELOOP_SMTP_URL: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--smtp-port needs outgoing mail configured');
    const half = await closeloop(['serve', '--port', '0', '--db', db], { CLOSELOOP_SMTP_URL: 'smtp://127.0.0.1:1', CLOSELOOP_MAIL_FROM: '' });
    expect(half.stderr).toBe('closeloop: CLOSELOOP_MAIL_FROM is required with CLOSELOOP_SMTP_URL: the address emails come from\n');
  });

  it('migrates and sweeps, saying what it did', async () => {
    expect((await closeloop(['migrate', '--db', db])).stdout).toContain('up to date');
    expect((await closeloop(['sweep', '--db', db])).stdout).toBe('sweep: 0 tickets changed\n');
  });

  it('sweeps the uploads nobody used, bytes and all, from the folder beside the database', async () => {
    const store = openStore({ db });
    await store.ready();
    const [site] = await store.listSites();
    const files = attachmentStorages(store);
    const dayAgo = Date.now() - 25 * 3_600_000;
    await store.attachments.begin({ id: 'att_forgotten', siteId: site!.id, uploader: 'customer:c1', name: 'a.png', storage: 'folder', createdAt: dayAgo });
    await files.current.write('att_forgotten', (async function* () {
      yield Buffer.from('bytes nobody sent');
    })());
    await store.attachments.finish('att_forgotten', { size: 17, contentType: 'image/png', sha256: null });
    await store.close();
    expect(existsSync(join(dirname(db), 'attachments', 'att_forgotten'))).toBe(true);
    expect((await closeloop(['sweep', '--db', db])).code).toBe(0);
    expect(existsSync(join(dirname(db), 'attachments', 'att_forgotten'))).toBe(false);
    expect(await rawRows({ database: { db } }, "select id from attachments where id = 'att_forgotten'")).toEqual([]);
  });

  it('prints the metrics report as CSV for spreadsheets, per day or in total, and rebuilds the metrics', async () => {
    const file = join(dir, 'report.db');
    const store = openStore({ db: file });
    const at = Date.parse('2026-01-05T10:00:00Z');
    const site = await store.createSite({ name: 'Shop', origins: ['https://shop.example'] }, at);
    const { customer } = await store.startSession({ siteId: site.id, identity: null }, at);
    const customerActor = { kind: 'customer' as const, id: customer.id };
    const agent = { kind: 'agent' as const, id: null };
    for (const [i, replyAfterMinutes] of [10, 30].entries()) {
      const start = at + i * 86_400_000;
      const { ticket } = await store.createTicket({ siteId: site.id, customerId: customer.id, subject: 'Help', body: 'Please', actor: customerActor, messageAuthor: customerActor, event: created(start) });
      await store.applyToTicket({ siteId: site.id, ticketId: ticket.id }, agent, decider({ action: 'reply', body: 'Sure' }, agent, start + replyAfterMinutes * 60_000));
    }
    await store.close();

    const total = await closeloop(['report', '--from', '2026-01-05', '--to', '2026-01-07', '--csv', '--db', file]);
    expect(total.code).toBe(0);
    const [header, row, extra] = total.stdout.trim().split('\n');
    const cells = Object.fromEntries(header!.split(',').map((name, i) => [name, row!.split(',')[i]]));
    expect(cells).toMatchObject({ created: '2', 'firstReplyMs.p50': String(10 * 60_000), 'firstReplyMs.p90': String(30 * 60_000), confirmationRate: '', backlogAnswered: '2' });
    expect(extra).toBeUndefined();

    const daily = await closeloop(['report', '--from', '2026-01-05', '--to', '2026-01-08', '--group-by', 'day', '--csv', '--db', file]);
    const lines = daily.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^group,created,/);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['2026-01-05,1', '2026-01-06,1', '2026-01-07,0']);

    const json = JSON.parse((await closeloop(['report', '--from', '2026-01-05T00:00:00Z', '--to', '2026-01-06T00:00:00Z', '--db', file])).stdout) as { totals: { created: number } };
    expect(json.totals.created).toBe(1);

    const rebuilt = await closeloop(['metrics', 'rebuild', '--db', file]);
    expect(rebuilt.stdout).toMatch(/^metrics rebuild: 2 tickets recomputed from their events in \d+\.\d s\n$/);
    expect((await closeloop(['report', '--from', '2026-01-05', '--to', '2026-01-07', '--csv', '--db', file])).stdout).toBe(total.stdout);

    expect(await closeloop(['report', '--from', '2026-01-05', '--to', '2026-01-07', '--group-by', 'month', '--db', file])).toMatchObject({
      code: 1,
      stderr: "closeloop: --group-by must be one of day, week, topic, tag, priority, assignee, got 'month'\n",
    });
    expect(await closeloop(['report', '--to', '2026-01-07', '--db', file])).toMatchObject({ code: 1, stderr: 'closeloop: report needs --from DATE (YYYY-MM-DD or an ISO time)\n' });
    expect(await closeloop(['report', '--from', '5 Jan', '--to', '2026-01-07', '--db', file])).toMatchObject({ code: 1, stderr: "closeloop: --from must be YYYY-MM-DD or an ISO time with its offset, got '5 Jan'\n" });
  });

  it('prints its usage for --help after any command, and exits 0', async () => {
    for (const args of [['--help'], ['help'], ['report', '--help'], ['sites', 'update', '-h'], ['sites', '-h'], ['metrics', '--help'], ['serve', '--port', '1', '-h']]) {
      const { code, stdout } = await closeloop(args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout, args.join(' ')).toMatch(/^Usage: closeloop <command> \[options\]\n[^]*report --from DATE --to DATE/);
    }
    // Where a flag wants a value, -h is not a call for help.
    expect(await closeloop(['sites', 'update', 'site_nope', '--name', '-h', '--db', db])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'closeloop: --name needs a value; one that starts with a dash is written --name=-…\n',
    });
    expect(await closeloop(['sites', 'update', 'site_nope', '--name=-h', '--db', db])).toMatchObject({ code: 1, stderr: "closeloop: no site with id 'site_nope'\n" });
  });

  it('refuses unknown flags, bad values and an unopenable database with one clear line and exit 1', async () => {
    const cases = [
      ['sites', 'create', '--name', 'x', '--origin', 'http://a.test', '--colour', 'red', '--db', db],
      ['sites', 'create', '--name', 'x', '--origin', 'ftp://a.test', '--db', db],
      ['sites', 'update', 'site_x', '--auto-close-after-hours', 'soon', '--db', db],
      ['frobnicate'],
      ['sweep', '--db', join(dir, 'a-file', 'x.db')],
      ['sweep', '--db', db, '--database-url', 'postgres://127.0.0.1:1/x'],
      ['sweep', '--database-url', 'mysql://127.0.0.1/x'],
      ['migrate', '--database-url', 'postgres://nobody:secret@127.0.0.1:1/x'],
    ];
    writeFileSync(join(dir, 'a-file'), 'not a folder');
    for (const args of cases) {
      const { code, stderr } = await closeloop(args);
      expect(code, args.join(' ')).toBe(1);
      expect(stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(stderr).toMatch(/^closeloop: /);
      expect(stderr, 'a password is never printed').not.toContain('secret');
    }
    const both = await closeloop(['sites', 'list', '--db', db], { CLOSELOOP_DATABASE_URL: 'postgres://127.0.0.1:1/x' });
    expect(both.stderr).toBe('closeloop: choose one database: --db (SQLite) and CLOSELOOP_DATABASE_URL (PostgreSQL) are both set\n');
  });

  it('serves until stopped, then stops cleanly; a port in use is one clear line', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('listening')) resolve();
      });
      child.once('exit', () => reject(new Error(`serve exited early: ${out}`)));
    });
    expect(out).toContain(`http://127.0.0.1:${port}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    const second = await closeloop(['serve', '--port', String(port), '--db', db]);
    expect(second).toMatchObject({ code: 1, stderr: `closeloop: port ${port} on 127.0.0.1 is already in use\n` });

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped');
  });
});

function freePort() {
  return new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe.skipIf(SKIP_POSTGRES)('the closeloop command on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
  });
  afterAll(() => database?.drop());

  it('migrates, creates and lists sites, and sweeps on the database CLOSELOOP_DATABASE_URL or --database-url names', async () => {
    // First in a schema of its own, when the URL asks for one, on a database with nothing in public:
    // its tables and every foreign key stay in that schema.
    const inSchema = `${database.url}?schema=support`;
    const created = await closeloop(['sites', 'create', '--name', 'Big shop', '--origin', 'https://big.example'], { CLOSELOOP_DATABASE_URL: inSchema });
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const { siteId } = JSON.parse(created.stdout) as { siteId: string };
    const listed = JSON.parse((await closeloop(['sites', 'list', '--database-url', inSchema])).stdout) as { id: string }[];
    expect(listed.map((s) => s.id)).toEqual([siteId]);
    expect((await closeloop(['migrate', '--database-url', inSchema])).stdout).toBe(`migrate: ${inSchema} is up to date\n`);
    const schemas = await rawRows({ database: { databaseUrl: database.url } }, 'select distinct n.nspname s from pg_constraint c join pg_class t on t.oid = c.confrelid join pg_namespace n on n.oid = t.relnamespace where c.contype = ?', ['f']);
    expect(schemas).toEqual([{ s: 'support' }]);
    const migrated = await closeloop(['migrate', '--database-url', database.url]);
    expect(migrated).toMatchObject({ code: 0, stdout: `migrate: ${database.url} is up to date\n` });
    expect(JSON.parse((await closeloop(['sites', 'list', '--database-url', database.url])).stdout)).toEqual([]);
    expect((await closeloop(['sweep'], { CLOSELOOP_DATABASE_URL: inSchema })).stdout).toBe('sweep: 0 tickets changed\n');
  });
});
