// `npm run bench`: every benchmark, one table, and test/bench/results/latest.json.
// Figures, budgets, and ratios to a baseline measured in the same run; no assertions
// beyond the bundle budgets (exit 1 when over). `--quick` runs a small version.
// `--postgres` runs the database sections (throughput, scale, memory) on PostgreSQL
// instead, into results/latest-postgres.json: on CLOSELOOP_BENCH_DATABASE_URL, else
// CLOSELOOP_TEST_DATABASE_URL, else a throwaway server scripts/ci/postgres.sh starts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostPage } from './host-page.js';
import { live } from './live.js';
import { scale } from './scale.js';
import { bundleSizes } from './size.js';
import { throughput } from './throughput.js';
import { webhooks } from './webhooks.js';
import { email } from './email.js';
import { attachments } from './attachments.js';
import { analytics } from './analytics.js';

const quick = process.argv.includes('--quick');
const postgres = process.argv.includes('--postgres');
const engine = postgres ? 'PostgreSQL' : 'SQLite';
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const results = { quick, database: engine, at: new Date().toISOString(), node: process.version };

console.log(`Closeloop benchmarks${quick ? ' (quick)' : ''}, ${results.node}, on ${engine}\n`);

results.bundles = bundleSizes();
console.log('1. Bundle weight');
for (const b of results.bundles) console.log(`   ${b.name.padEnd(20)} gzip ${kb(b.gzip).padEnd(9)} brotli ${kb(b.brotli).padEnd(9)} raw ${kb(b.raw).padEnd(9)} budget ${kb(b.budget)} ${b.ok ? 'ok' : 'OVER'}`);

if (!postgres) {
  console.log('\n2. Host-page cost (difference with the tag, medians)');
  results.hostPage = await hostPage({ quick });
  const h = results.hostPage;
  console.log(`   script ${h.scriptMs.toFixed(1)} ms, long tasks ${h.longTaskMs.toFixed(1)} ms, ${h.requestsBeforeInteraction} request(s) / ${kb(h.bytesBeforeInteraction)} before interaction`);
  console.log(`   launcher visible ${h.launcherVisibleMs} ms after navigation; opening the panel ${h.openPanelMs} ms (app load to first render)`);
}

console.log(`\n3. Server throughput and latency (autocannon; baseline: bare node:http + ${postgres ? 'pg, same SQL, same pool size' : 'better-sqlite3, same SQL'})`);
const t = await throughput({ quick, postgres });
results.throughput = t.rows;
console.log('   call                                 conns    req/s   p50   p99    max  served p99/max  loop p99/max  errors  baseline (p99/max)  ratio');
for (const r of t.rows) {
  const baseTail = r.baselineP99 === undefined ? '' : `(${r.baselineP99}/${r.baselineMax})`;
  console.log(
    `   ${r.name.padEnd(36)} ${String(r.connections).padStart(5)} ${String(r.rps).padStart(8)} ${String(r.p50).padStart(5)} ${String(r.p99).padStart(5)} ${String(r.max).padStart(6)} ${`${r.servedP99}/${r.servedMax}`.padStart(14)} ${`${r.loopP99}/${r.loopMax}`.padStart(13)} ${String(r.errors).padStart(7)} ${String(r.baseline ?? '').padStart(9)} ${baseTail.padStart(10)} ${String(r.ratio ?? '').padStart(6)}`,
  );
}
console.log("   (ms; served: arrival to answer inside the server; loop: the server's event-loop delay during the run)");
if (postgres) console.log("   (two servers: the same load split over two servers on one database; baseline and ratio: one server's req/s)");

console.log(`\n4. Scale (tickets generated straight into ${engine}; sequential requests)`);
results.scale = await scale({ quick, postgres });
for (const r of results.scale) {
  console.log(
    `   ${String(r.tickets).padStart(9)} tickets (generated in ${(r.generateMs / 1000).toFixed(1)} s; their metrics caught up as after an upgrade in ${(r.metricsCatchUp.ms / 1000).toFixed(1)} s, ${Math.round(r.metricsCatchUp.tickets / (r.metricsCatchUp.ms / 1000))}/s): customer list p50 ${r.customerList.p50} / p99 ${r.customerList.p99} ms; agent filtered list ${r.agentFilteredList.p50} / ${r.agentFilteredList.p99} ms; get (200 messages) ${r.get200Messages.p50} / ${r.get200Messages.p99} ms; ${kb(r.bytesPer1k)} per 1k tickets`,
  );
  if (r.sweep) {
    const s = r.sweep;
    console.log(`   sweeper: closed ${s.closed} due tickets in ${s.totalMs} ms; a concurrent reader's requests p50 ${s.readerP50Ms} / p99 ${s.readerP99Ms} / worst ${s.readerWorstMs} ms (${s.reads} reads)`);
  }
}
const [small, large] = results.scale;
if (small && large) {
  const growth = (k) => +(large[k].p50 / small[k].p50).toFixed(2);
  results.scaleGrowth = { customerList: growth('customerList'), agentFilteredList: growth('agentFilteredList'), get200Messages: growth('get200Messages') };
  console.log(`   growth of p50 from ${small.tickets} to ${large.tickets} tickets: ${JSON.stringify(results.scaleGrowth)}`);
}

console.log('\n5. Memory (RSS of each server process)');
results.memory = t.memory;
console.log(`   idle: Closeloop ${mb(t.memory.idle.closeloop)}, baseline ${mb(t.memory.idle.baseline)}; peak during the runs: Closeloop ${mb(t.memory.peak.closeloop)}, baseline ${mb(t.memory.peak.baseline)}`);

if (!postgres) {
  console.log('\n6. Live updates (open customer subscriptions)');
  results.live = await live({ quick });
  for (const r of results.live) {
    console.log(`   ${String(r.connections).padStart(6)} streams: ${r.perConnectionKB} KB per connection (budget 30 KB; ${r.overallPerConnectionKB} KB counting warm-up), server RSS ${r.serverRssMB} MB; agent reply -> customer event p50 ${r.replyToEventP50} ms, p99 ${r.replyToEventP99} ms`);
  }

  console.log('\n7. Webhook delivery (three endpoints; figures at the two healthy ones)');
  results.webhooks = await webhooks({ quick });
  for (const r of results.webhooks.rows) {
    console.log(
      `   ${results.webhooks.events} events, ${r.stalling ? 'third endpoint stalling' : 'all three healthy (baseline)'}: ${r.delivered}/${r.expected} delivered, ${r.perSecond} deliveries/s; lag p50 ${r.lagP50} ms, p99 ${r.lagP99} ms`,
    );
  }

  console.log('\n8. Email through the outbox (receipts to a local SMTP server; baseline: the same emails straight to nodemailer, same pool)');
  results.email = await email({ quick });
  const e = results.email;
  console.log(`   ${e.count} queued emails drained at ${e.perSecond}/s with ${e.concurrency} connections; baseline ${e.baselinePerSecond}/s; ratio ${e.ratio}`);
  console.log(`   at a steady ${e.rate} tickets/s: commit -> SMTP accept p50 ${e.lagP50} ms, p99 ${e.lagP99} ms`);

  console.log('\n9. Attachments (a 5 MB file; baseline: bare node:http streaming the same bytes to and from a file)');
  results.attachments = await attachments({ quick });
  for (const r of results.attachments.rows) {
    console.log(
      `   ${r.server.padEnd(21)} ${r.concurrency} at a time: upload ${String(r.upload.mbPerSecond).padStart(4)} MB/s (p50 ${r.upload.p50} ms, ratio ${r.uploadRatio}); download ${String(r.download.mbPerSecond).padStart(4)} MB/s (p50 ${r.download.p50} ms, ratio ${r.downloadRatio})`,
    );
  }
}

console.log(`\n10. Analytics (${engine}: two years of 10 sites, with their facts; one site's summaries; sequential requests)`);
results.analytics = await analytics({ quick, postgres });
{
  const a = results.analytics;
  console.log(`   ${a.tickets} tickets (generated in ${(a.generateMs / 1000).toFixed(1)} s); the measured site: ${a.factsInRange} created in the last 30 days, ${a.yearCreated} in the last year`);
  console.log(`   30-day summary by day: p50 ${a.summaryByDay.p50} / p99 ${a.summaryByDay.p99} ms; by topic ${a.summaryByTopic.p50} / ${a.summaryByTopic.p99} ms; totals only ${a.summaryTotals.p50} / ${a.summaryTotals.p99} ms (target well under 200 ms)`);
  console.log(`   a whole year by day: p50 ${a.yearByDay.p50} / p99 ${a.yearByDay.p99} ms`);
  console.log(`   bookkeeping: ${a.trackMicrosPerEvent} µs of CPU per change (business hours in a time zone), plus the fact rows written with it`);
  console.log(`   next() with ${a.next.agents} agents at once: ${a.next.handedOut} handed out, ${a.next.handedTwice} twice; p50 ${a.next.p50} / p99 ${a.next.p99} ms; ${a.next.perSecond} tickets/s (each then resolved)`);
}

mkdirSync('test/bench/results', { recursive: true });
const written = `test/bench/results/latest${postgres ? '-postgres' : ''}.json`;
writeFileSync(written, JSON.stringify(results, null, 2));
console.log(`\nWritten to ${written}`);
if (results.bundles.some((b) => !b.ok)) {
  console.error('Over the bundle budget.');
  process.exitCode = 1;
}
