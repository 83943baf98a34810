/**
 * Nothing lost, nothing doubled: the real `closeloop serve` is killed with
 * SIGKILL while its SMTP server refuses everything, then started again on the
 * same file once SMTP is back. Every acknowledged ticket's receipt arrives, once.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { startSmtpCatcher } from '../../../demo/backend/smtp-catcher.js';
import { waiter } from '../../helpers/waiting.js';

const BIN = join(import.meta.dirname, '../../../bin/closeloop.js');
const dir = mkdtempSync(join(tmpdir(), 'closeloop-outbox-'));
const db = join(dir, 'closeloop.db');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
}

async function call(url: string, path: string, input: unknown, token?: string) {
  const res = await fetch(`${url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://shop.test', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: Record<string, string> } };
  if (!body.result) throw new Error(`${path} failed: ${JSON.stringify(body)}`);
  return body.result.data;
}

it('loses no email and sends each once across a kill -9 while SMTP is down', async () => {
  const smtp = await startSmtpCatcher();
  const seen = waiter();
  smtp.onMail(seen.poke);
  smtp.setMode('temporary-failure');
  const keys = JSON.parse(
    (await promisify(execFile)(process.execPath, [BIN, 'sites', 'create', '--name', 'Shop', '--origin', 'http://shop.test', '--db', db])).stdout,
  ) as { siteKey: string };
  const env = { CLOSELOOP_SMTP_URL: smtp.url, CLOSELOOP_MAIL_FROM: 'support@shop.test', CLOSELOOP_PUBLIC_URL: 'http://support.test', CLOSELOOP_MAIL_INTERVAL_MS: '50', CLOSELOOP_MAIL_LEASE_MS: '1000', CLOSELOOP_RATE_TICKET_CREATES: '1000', CLOSELOOP_RATE_ANON_SESSIONS: '1000' };

  const first = await serve(env);
  const addresses = Array.from({ length: 25 }, (_, i) => `customer${i}@example.test`);
  for (const email of addresses) {
    const { token } = await call(first.url, 'session.start', { siteKey: keys.siteKey });
    await call(first.url, 'tickets.create', { subject: 'Help', message: 'Please', email }, token);
  }
  await seen.until(() => smtp.refused > 0, 'a refused attempt');
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));

  smtp.setMode('accept');
  const second = await serve(env);

  await seen.until(() => new Set(smtp.mails.flatMap((m) => m.rcptTo)).size === addresses.length, 'every receipt', 30_000);
  // Once each: a duplicate would arrive from a row still queued, and none is.
  const { stdout } = await promisify(execFile)('node', ['-e', `const D=require('better-sqlite3');const d=new D(${JSON.stringify(db)},{readonly:true});console.log(JSON.stringify(d.prepare("select status, count(*) n from emails group by status").all()))`], { cwd: join(import.meta.dirname, '../../..') });
  expect(JSON.parse(stdout)).toEqual([{ status: 'sent', n: addresses.length }]);
  expect(smtp.mails.map((m) => m.rcptTo[0]).sort()).toEqual([...addresses].sort());
  second.child.kill('SIGKILL');
  await smtp.close();
}, 60_000);
