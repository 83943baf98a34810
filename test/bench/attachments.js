// Attachments: a 5 MB file uploaded and downloaded through Closeloop (auth, type read
// from the bytes, hashing, limits, signed links, and the bytes in a folder or in the
// database), against a bare node:http server that streams the same bytes to and from a
// file in the same run. Sequential and 4 at a time.
import { createWriteStream, createReadStream, mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createServer } from '../../dist/server/index.js';
import { cleanup, seedDatabase, tempDir } from './fixtures.js';

const FILE_BYTES = 5 * 1024 * 1024;
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/** A 5 MB PNG: the signature and a header, then filler. */
function samplePng() {
  const head = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  return Buffer.concat([head, Buffer.alloc(FILE_BYTES - head.length, 7)]);
}

/** The baseline: stream the body to a file, and a file back. */
async function bareServer(dir) {
  let n = 0;
  const server = http.createServer(async (req, res) => {
    if (req.method === 'POST') {
      const name = join(dir, `f${++n}`);
      await pipeline(req, createWriteStream(name));
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ url: `/${n}` }));
    } else {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(FILE_BYTES) });
      await pipeline(createReadStream(join(dir, `f${req.url.slice(1)}`)), res);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Runs `total` calls, `concurrency` at a time; returns MB/s and the per-call p50/p99 (ms). */
async function measure(total, concurrency, call) {
  const times = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await call(i);
        times.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { mbPerSecond: +((total * FILE_BYTES) / 1024 / 1024 / seconds).toFixed(0), p50: +percentile(times, 50).toFixed(1), p99: +percentile(times, 99).toFixed(1) };
}

async function closeloop(dir, storage) {
  const file = join(dir, `${storage}.db`);
  const keys = await seedDatabase(file);
  const server = createServer({ db: file, attachments: { storage }, sweepIntervalMs: 0, webhookIntervalMs: 0, rateLimits: { uploads: { limit: 1e9, windowMs: 60_000 } }, logError: () => {} });
  const { url } = await server.listen(0, '127.0.0.1');
  const agent = { authorization: `Bearer ${keys.site.secretKey}`, 'x-closeloop-agent': keys.agentId };
  const call = (path, body) => fetch(`${url}/trpc/${path}`, { method: 'POST', headers: { ...agent, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
  await call('agent.site.update', { attachments: { maxBytes: 10 * FILE_BYTES, maxBytesPerTicket: 10 * 1024 * FILE_BYTES } });
  const ticket = (await call('agent.tickets.create', { customer: { id: 'bench-user' }, subject: 'Files', message: 'x' })).result.data;
  return { url, agent, call, ticketId: ticket.id, close: () => server.close() };
}

export async function attachments({ quick }) {
  const dir = tempDir();
  const bytes = samplePng();
  const total = quick ? 8 : 40;
  const rows = [];
  try {
    mkdirSync(join(dir, 'bare'));
    const bare = await bareServer(join(dir, 'bare'));
    const bareUrls = [];
    for (const concurrency of [1, 4]) {
      const up = await measure(total, concurrency, async () => {
        const res = await fetch(`${bare.url}/`, { method: 'POST', body: bytes });
        bareUrls.push((await res.json()).url);
      });
      const down = await measure(total, concurrency, async (i) => {
        const res = await fetch(`${bare.url}${bareUrls[i % bareUrls.length]}`);
        await res.arrayBuffer();
      });
      rows.push({ server: 'baseline', concurrency, upload: up, download: down });
    }
    await bare.close();

    for (const storage of ['folder', 'database']) {
      const s = await closeloop(dir, storage);
      for (const concurrency of [1, 4]) {
        const ids = [];
        const up = await measure(total, concurrency, async () => {
          const res = await fetch(`${s.url}/attachments?name=photo.png`, { method: 'POST', headers: s.agent, body: bytes });
          ids.push((await res.json()).id);
        });
        for (let i = 0; i < ids.length; i += 10) await s.call('agent.tickets.reply', { ticketId: s.ticketId, message: 'files', attachmentIds: ids.slice(i, i + 10) });
        const got = (await fetch(`${s.url}/trpc/agent.tickets.get?input=${encodeURIComponent(JSON.stringify({ ticketId: s.ticketId }))}`, { headers: s.agent }).then((r) => r.json())).result.data;
        const urls = got.timeline.flatMap((item) => (item.kind === 'message' ? item.attachments.map((a) => a.url) : []));
        const down = await measure(total, concurrency, async (i) => {
          const res = await fetch(urls[i % urls.length]);
          if ((await res.arrayBuffer()).byteLength !== FILE_BYTES) throw new Error('short download');
        });
        rows.push({ server: `closeloop (${storage})`, concurrency, upload: up, download: down });
      }
      await s.close();
    }
  } finally {
    cleanup(dir);
  }
  const base = Object.fromEntries(rows.filter((r) => r.server === 'baseline').map((r) => [r.concurrency, r]));
  for (const r of rows) {
    r.uploadRatio = +(r.upload.mbPerSecond / base[r.concurrency].upload.mbPerSecond).toFixed(2);
    r.downloadRatio = +(r.download.mbPerSecond / base[r.concurrency].download.mbPerSecond).toFixed(2);
  }
  return { fileBytes: FILE_BYTES, files: total, rows };
}
