// Email through the outbox: N tickets opened by the site's backend for N verified
// customers, each receipt written in the ticket's transaction and sent by the mail
// worker to a local SMTP server. Baseline: the same N emails handed straight to
// nodemailer with the same connection pool, no database. Lag is from the create's
// acknowledgement to the SMTP server accepting the email.
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { createServer } from '../../dist/server/index.js';
import { cleanup, seedDatabase, tempDir } from './fixtures.js';

const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const CONCURRENCY = 4;

async function sink() {
  const accepted = new Map();
  const server = new SMTPServer({
    authOptional: true,
    hideSTARTTLS: true,
    logger: false,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) accepted.set(r.address, Date.now());
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${server.server.address().port}`, accepted, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function until(condition, ms) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A server with mail on, its SMTP sink, and a way to open tickets for fresh verified customers. */
async function stack(intervalMs) {
  const smtp = await sink();
  const dir = tempDir();
  const file = join(dir, 'email.db');
  const keys = await seedDatabase(file);
  const server = createServer({
    db: file,
    sweepIntervalMs: 0,
    webhookIntervalMs: 0,
    logError: () => {},
    mail: { smtpUrl: smtp.url, from: 'support@bench.test', publicUrl: 'http://bench.test', intervalMs, concurrency: CONCURRENCY },
  });
  const { url } = await server.listen(0, '127.0.0.1');
  const agent = { authorization: `Bearer ${keys.site.secretKey}`, 'content-type': 'application/json' };
  const acked = new Map();
  let next = 0;
  /** Opens `n` tickets in one batched request; records when each was acknowledged. */
  async function open(n) {
    const calls = Array.from({ length: n }, () => next++).map((i) => ({ customer: { id: `u${i}`, email: `u${i}@bench.test` }, subject: `Order ${i}`, message: 'Where is it?' }));
    const paths = calls.map(() => 'agent.tickets.create').join(',');
    await fetch(`${url}/trpc/${paths}?batch=1`, { method: 'POST', headers: agent, body: JSON.stringify(Object.fromEntries(calls.map((c, k) => [k, c]))) });
    const at = Date.now();
    for (const c of calls) acked.set(c.customer.email, at);
  }
  return {
    smtp,
    server,
    open,
    lags: () => [...smtp.accepted].map(([address, at]) => at - acked.get(address)),
    async close() {
      await server.close();
      await smtp.close();
      cleanup(dir);
    },
  };
}

/** Throughput: `count` emails already queued (the tickets opened first), then the outbox drained. */
async function drain(count) {
  const s = await stack(0);
  for (let i = 0; i < count; i += 20) await s.open(Math.min(20, count - i));
  const started = Date.now();
  while (s.smtp.accepted.size < count) await s.server.deliverEmails();
  const perSecond = Math.round((count / (Date.now() - started)) * 1000);
  await s.close();
  return perSecond;
}

/** Lag: tickets opened at a steady rate the worker keeps up with; time from acknowledgement to SMTP accept. */
async function lag(count, perSecond) {
  const s = await stack(20);
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    await s.open(1);
    const due = started + ((i + 1) * 1000) / perSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
  }
  await until(() => s.smtp.accepted.size >= count, 60_000);
  const lags = s.lags();
  await s.close();
  return { rate: perSecond, lagP50: percentile(lags, 50), lagP99: percentile(lags, 99) };
}

// About the size of a receipt's two bodies, so the baseline moves as many bytes.
const TEXT = 'We received your request and will answer as soon as we can. '.repeat(15);
const HTML = `<!doctype html><html><body><table><tr><td><p>${TEXT}</p></td></tr></table></body></html>`.padEnd(3000, ' ');

async function direct(count) {
  const smtp = await sink();
  const transport = nodemailer.createTransport(`${smtp.url}?pool=true&maxConnections=${CONCURRENCY}`);
  const started = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await transport.sendMail({ from: 'support@bench.test', to: `u${i}@bench.test`, subject: `Order ${i}`, text: TEXT, html: HTML });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const elapsed = Date.now() - started;
  transport.close();
  await smtp.close();
  return { sent: count, perSecond: Math.round((count / elapsed) * 1000) };
}

export async function email({ quick = false } = {}) {
  const count = quick ? 1_000 : 10_000;
  const baseline = await direct(count);
  const perSecond = await drain(count);
  const steady = await lag(quick ? 200 : 1_000, 100);
  return { count, concurrency: CONCURRENCY, perSecond, baselinePerSecond: baseline.perSecond, ratio: +(perSecond / baseline.perSecond).toFixed(2), ...steady };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await email({ quick: process.argv.includes('--quick') }));
