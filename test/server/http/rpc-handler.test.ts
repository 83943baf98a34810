import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../../server/api/app-router.js';
import type { Context } from '../../../server/api/context.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

// Our lean handler must be indistinguishable on the wire from tRPC's own adapter:
// the same requests, against the same app and database, give the same answers.
describe('the lean tRPC handler', () => {
  let t: TestServer;
  let reference: http.Server;
  let referenceUrl: string;
  let token: string;
  let ticketId: string;

  beforeAll(async () => {
    t = await startTestServer({ maxBodyBytes: 4096 });
    const trpc = createHTTPHandler({
      router: appRouter,
      basePath: '/trpc/',
      maxBodySize: 4096,
      maxBatchSize: 20,
      createContext: ({ req, info }): Context => ({ app: t.server.app, headers: req.headers, ip: '127.0.0.1', connectionParams: info.connectionParams }),
      responseMeta: () => ({ headers: new Headers([['vary', 'Origin']]) }),
    });
    reference = http.createServer((req, res) => void trpc(req, res));
    await new Promise<void>((resolve) => reference.listen(0, '127.0.0.1', resolve));
    referenceUrl = `http://127.0.0.1:${(reference.address() as AddressInfo).port}`;
    const c = await t.customer();
    token = c.token;
    ticketId = (await c.api.tickets.create.mutate({ subject: 'Printer', message: 'It jams.' })).id;
  });
  afterAll(async () => {
    reference.closeAllConnections();
    await new Promise((resolve) => reference.close(resolve));
    await t.close();
  });

  // Ids differ between two creates; everything else must not.
  const normalise = (text: string) => text.replace(/\b(tk|msg|cus|ses)_[A-Za-z0-9_-]+/g, '$1_*').replace(/"version":\d+/g, '"version":*');

  type Ask = Omit<RequestInit, 'body'> & { body?: string | (() => ReadableStream) };

  /** The same request to our server and to tRPC's adapter (a fresh body each time). */
  async function both(path: string, init: Ask = {}) {
    const ask = async (base: string) => {
      const body = typeof init.body === 'function' ? init.body() : init.body?.replaceAll('TICKET', ticketId);
      const headers = { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) };
      const res = await fetch(`${base}/trpc/${path.replaceAll('TICKET', ticketId)}`, { ...init, body, headers, duplex: 'half' } as RequestInit);
      return { status: res.status, type: res.headers.get('content-type'), vary: res.headers.get('vary'), allow: res.headers.get('allow'), body: normalise(await res.text()) };
    };
    return { ours: await ask(t.url), theirs: await ask(referenceUrl) };
  }
  const json = { 'content-type': 'application/json' };
  const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

  const cases: [string, string, Ask?][] = [
    ['a query without input', 'tickets.list'],
    ['a query with input', `tickets.get?input=${input({ ticketId: 'TICKET' })}`],
    ['a query for a missing ticket (404)', `tickets.get?input=${input({ ticketId: 'tk_missing' })}`],
    ['a query with input that fails validation', `tickets.get?input=${input({ ticketId: 5 })}`],
    ['a query with malformed JSON input', 'tickets.get?input=%7Bnope'],
    ['a mutation', 'tickets.reply', { method: 'POST', headers: json, body: JSON.stringify({ ticketId: 'TICKET', message: 'More detail.' }) }],
    ['a mutation refused by the lifecycle', 'tickets.confirmResolution', { method: 'POST', headers: json, body: JSON.stringify({ ticketId: 'TICKET' }) }],
    ['a mutation with unknown keys', 'tickets.create', { method: 'POST', headers: json, body: JSON.stringify({ subject: 'x', message: 'y', status: 'closed' }) }],
    ['a mutation with a malformed body', 'tickets.create', { method: 'POST', headers: json, body: '{"subject":' }],
    ['a mutation with no body', 'tickets.create', { method: 'POST', headers: json }],
    ['a batch of queries, one failing (207)', `tickets.list,tickets.get?batch=1&input=${input({ 1: { ticketId: 'tk_missing' } })}`],
    ['a batch whose input is not an object', `tickets.list?batch=1&input=5`],
    ['a batch of mutations', 'tickets.reply,tickets.reply?batch=1', { method: 'POST', headers: json, body: JSON.stringify({ 0: { ticketId: 'TICKET', message: 'a' }, 1: { ticketId: 'TICKET', message: 'b' } }) }],
    ['a batch naming an unknown procedure', 'tickets.list,nope?batch=1'],
    ['a GET to a mutation (405)', 'tickets.create'],
    ['a POST to a query', 'tickets.list', { method: 'POST', headers: json, body: '{}' }],
    ['a body that is not JSON', 'tickets.create', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' }],
    ['a body over the limit, sent without a length', 'tickets.create', { method: 'POST', headers: json, body: () => streamOf('x'.repeat(6000)) }],
  ];

  for (const [name, path, init] of cases) {
    it(`answers ${name} exactly as tRPC’s adapter does`, async () => {
      const { ours, theirs } = await both(path, init);
      expect(ours).toEqual(theirs);
    });
  }

  /** Reads a live stream until `enough` says so (or it ends), then hangs up. */
  async function readStream(base: string, path: string, headers: Record<string, string>, enough: (text: string) => boolean) {
    const abort = new AbortController();
    const res = await fetch(`${base}/trpc/${path}`, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!enough(text)) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    abort.abort();
    return { status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control'), text: normalise(text) };
  }
  const streamTicket = async () => {
    const res = await fetch(`${t.url}/trpc/session.streamTicket`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...json } });
    return ((await res.json()) as { result: { data: { ticket: string } } }).result.data.ticket;
  };
  const streamPath = (ticket: string) => `tickets.onChange?input=${input({ lastEventId: null })}&connectionParams=${input({ streamTicket: ticket })}`;
  const frames = (n: number) => (text: string) => text.split('\n\n\n').length > n;

  it('streams a resumed live feed exactly as tRPC’s adapter does', async () => {
    // From event 0: both replay this customer's events from the table, in the same frames.
    const ours = await readStream(t.url, streamPath(await streamTicket()), { 'last-event-id': '0' }, frames(4));
    const theirs = await readStream(referenceUrl, streamPath(await streamTicket()), { 'last-event-id': '0' }, frames(4));
    expect(ours.text).toContain('event: connected');
    expect(ours.text).toMatch(/data: \{"eventId":\d+,"ticketId":"tk_\*","type":"created"/);
    expect(ours).toEqual(theirs);
  });

  it('sends a refused stream the same connected and serialized-error events, then ends it', async () => {
    const ours = await readStream(t.url, streamPath('st_forged'), {}, () => false);
    const theirs = await readStream(referenceUrl, streamPath('st_forged'), {}, () => false);
    expect(ours.text).toContain('event: serialized-error');
    expect(ours.text).toContain('"code":"UNAUTHORIZED"');
    expect(ours).toEqual(theirs);
  });

  it('answers without a token the same way too', async () => {
    const ask = async (base: string) => {
      const res = await fetch(`${base}/trpc/tickets.list`);
      return { status: res.status, body: await res.text() };
    };
    expect(await ask(t.url)).toEqual(await ask(referenceUrl));
  });
});

function streamOf(text: string) {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}
