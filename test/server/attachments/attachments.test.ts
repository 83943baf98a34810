/**
 * Attachments over real HTTP: a customer and an agent upload files, send them with
 * messages, and read them back by signed links; everyone else is refused in one shape.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { gradientPng, PDF, PNG } from '../../helpers/sample-files.js';
import { rawCount } from '../../helpers/raw-database.js';
import { DAY, errorCode, useTestServer, type TestServer } from '../../helpers/test-server.js';


describe('attachments', () => {
  let t: TestServer;
  useTestServer((server) => (t = server));

  async function upload(headers: Record<string, string>, body: Buffer, name: string) {
    const res = await fetch(`${t.url}/attachments?${new URLSearchParams({ name })}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  }
  const download = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  it('takes a customer’s screenshot, sends it with a new ticket, and serves it back by a signed link to both sides', async () => {
    const ann = await t.customer();
    const up = await upload(ann.headers(), PNG, 'screen shot.png');
    expect(up.status).toBe(201);
    expect(up.body).toEqual({ id: expect.stringMatching(/^att_/), name: 'screen shot.png', size: PNG.length, contentType: 'image/png' });
    const ticket = await ann.api.tickets.create.mutate({ subject: 'Broken checkout', message: 'See the screenshot', attachmentIds: [up.body.id as string] });

    const mine = await ann.api.tickets.get.query({ ticketId: ticket.id });
    const [file] = mine.timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []));
    expect(file).toMatchObject({ id: up.body.id, name: 'screen shot.png', size: PNG.length, contentType: 'image/png', url: expect.stringMatching(new RegExp(`^${t.url}/attachments/att_`)) });
    const got = await download(file!.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(PNG)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-security-policy')).toMatch(/^sandbox/);
    expect(got.headers.get('content-disposition')).toBe(`inline; filename="screen shot.png"; filename*=UTF-8''screen%20shot.png`);

    const ada = await t.agent();
    const seen = await ada.api.agent.tickets.get.query({ ticketId: ticket.id });
    const agentFile = seen.timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []))[0]!;
    expect(agentFile.url).not.toBe(file!.url);
    expect((await download(agentFile.url)).bytes.equals(PNG)).toBe(true);

    // Used once: the same upload cannot go with another message.
    expect(await errorCode(ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: 'again', attachmentIds: [up.body.id as string] }))).toBe('NOT_FOUND');
  });

  it('refuses another customer and another site the same way, and a link dies after 30 minutes', async () => {
    const ann = await t.customer();
    const bob = await t.customer();
    const up = await upload(ann.headers(), PDF, 'invoice.pdf');
    expect(up.body.contentType).toBe('application/pdf');
    // Bob cannot use Ann's upload: the same answer as an id that does not exist.
    expect(await errorCode(bob.api.tickets.create.mutate({ subject: 'Mine now', message: 'x', attachmentIds: [up.body.id as string] }))).toBe('NOT_FOUND');
    expect(await errorCode(bob.api.tickets.create.mutate({ subject: 'Mine now', message: 'x', attachmentIds: ['att_doesnotexist'] }))).toBe('NOT_FOUND');

    const ticket = await ann.api.tickets.create.mutate({ subject: 'Invoice', message: 'Wrong total', attachmentIds: [up.body.id as string] });
    const file = (await ann.api.tickets.get.query({ ticketId: ticket.id })).timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []))[0]!;
    const pdf = await download(file.url);
    expect(pdf.headers.get('content-disposition')).toMatch(/^attachment; /);

    // A link is for whom it was signed: rewritten for Bob, or signed by another site, it is refused.
    const forBob = file.url.replace(/a=c%3A[^&]+/, `a=c%3A${bob.customer.id}`);
    const other = await t.otherSite();
    const forged = file.url.replace(/s=[^&]+/, 's=' + 'A'.repeat(43));
    for (const url of [forBob, forged]) {
      const refused = await download(url);
      expect(refused.status).toBe(404);
      expect(JSON.parse(refused.bytes.toString()).error.code).toBe('NOT_FOUND');
    }
    const stranger = await t.customer({ siteKey: other.siteKey });
    expect(await errorCode(stranger.api.tickets.get.query({ ticketId: ticket.id }))).toBe('NOT_FOUND');
    const elsewhere = await upload(ann.headers(), PNG, 'mine.png');
    expect(await errorCode(stranger.api.tickets.create.mutate({ subject: 'Taken', message: 'x', attachmentIds: [elsewhere.body.id as string] }))).toBe('NOT_FOUND');

    t.clock.advance(31 * 60_000);
    expect((await download(file.url)).status).toBe(404);
    const fresh = (await ann.api.tickets.get.query({ ticketId: ticket.id })).timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []))[0]!;
    expect((await download(fresh.url)).status).toBe(200);
  });

  it('never shows a customer the files of an internal note, in any form', async () => {
    const ann = await t.customer();
    const ada = await t.agent();
    const ticket = await ann.api.tickets.create.mutate({ subject: 'Refund', message: 'Please' });
    const note = await upload(ada.headers(), PDF, 'fraud-check.pdf');
    const shared = await upload(ada.headers(), PNG, 'how-to.png');
    await ada.api.agent.tickets.note.mutate({ ticketId: ticket.id, message: 'Checked', attachmentIds: [note.body.id as string] });
    await ada.api.agent.tickets.reply.mutate({ ticketId: ticket.id, message: 'Here is how', attachmentIds: [shared.body.id as string] });

    const customerView = await ann.api.tickets.get.query({ ticketId: ticket.id });
    expect(JSON.stringify(customerView)).not.toContain(note.body.id as string);
    expect(customerView.timeline.flatMap((i) => (i.kind === 'message' ? i.attachments.map((a) => a.name) : []))).toEqual(['how-to.png']);
    const agentView = await ada.api.agent.tickets.get.query({ ticketId: ticket.id });
    const noteFile = agentView.timeline.flatMap((i) => (i.kind === 'message' && i.internal ? i.attachments : []))[0]!;
    expect((await download(noteFile.url)).status).toBe(200);
    // The agent's link rewritten for the customer is refused.
    expect((await download(noteFile.url.replace('a=a', `a=c%3A${ann.customer.id}`))).status).toBe(404);
  });

  it('reads the type from the bytes: a renamed program is refused, an SVG is only ever a download', async () => {
    const ann = await t.customer();
    const program = readFileSync(process.execPath).subarray(0, 256 * 1024);
    const renamed = await upload(ann.headers(), program, 'holiday.png');
    expect(renamed.status).toBe(415);
    expect(renamed.body.error).toMatchObject({ code: 'ATTACHMENT_TYPE', message: expect.stringContaining('do not match its name') });
    const plain = await upload(ann.headers(), program, 'tool');
    expect(plain.status).toBe(415);
    expect(plain.body.error!.code).toBe('ATTACHMENT_TYPE');
    // Plain text inside, a program by name: a double-click runs it.
    for (const name of ['run.bat', 'update.ps1', 'invoice\u202Efdp.exe', 'setup.js']) {
      const script = await upload(ann.headers(), Buffer.from('del /q C:\\*\r\n'), name);
      expect([name, script.status, script.body.error?.code]).toEqual([name, 415, 'ATTACHMENT_TYPE']);
    }
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>');
    expect((await upload(ann.headers(), svg, 'logo.svg')).status).toBe(415);

    const ada = await t.agent();
    await ada.api.agent.site.update.mutate({ attachments: { allowedTypes: ['image/png', 'image/svg+xml'] } });
    const site = await ada.api.agent.site.get.query();
    expect(site.attachments).toMatchObject({ allowedTypes: ['image/png', 'image/svg+xml'], maxBytes: 10 * 1024 * 1024, maxFiles: 10 });
    const stored = await upload(ann.headers(), svg, 'logo.svg');
    expect(stored.body.contentType).toBe('image/svg+xml');
    const ticket = await ann.api.tickets.create.mutate({ subject: 'Logo', message: 'Our logo', attachmentIds: [stored.body.id as string] });
    const file = (await ann.api.tickets.get.query({ ticketId: ticket.id })).timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []))[0]!;
    const got = await download(file.url);
    expect(got.headers.get('content-type')).toBe('image/svg+xml');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="logo.svg"/);
    expect(got.headers.get('content-security-policy')).toMatch(/^sandbox/);
    await ada.api.agent.site.update.mutate({ attachments: { allowedTypes: undefined } });
  });

  it('refuses a file past the limit before reading it: the answer comes while the body is still being sent', async () => {
    const ann = await t.customer();
    const ada = await t.agent();
    await ada.api.agent.site.update.mutate({ attachments: { maxBytes: 1024 * 1024 } });
    for (const declare of [true, false]) {
      const { status, body, sent } = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
        const total = 200 * 1024 * 1024;
        const req = http.request(`${t.url}/attachments?name=huge.png`, {
          method: 'POST',
          headers: { ...ann.headers(), 'content-type': 'application/octet-stream', ...(declare ? { 'content-length': String(total) } : {}) },
        });
        let sent = 0;
        let answered = false;
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (!answered && sent < total) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
        };
        req.on('response', (res) => {
          answered = true;
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, sent }));
        });
        req.on('error', (error) => (answered ? undefined : reject(error)));
        pump();
      });
      expect(status).toBe(413);
      expect(JSON.parse(body).error).toMatchObject({ code: 'ATTACHMENT_TOO_LARGE', maxBytes: 1024 * 1024 });
      // A few socket buffers past the limit at most, never the 200 MB.
      expect(sent).toBeLessThan(32 * 1024 * 1024);
    }
    await ada.api.agent.site.update.mutate({ attachments: { maxBytes: 10 * 1024 * 1024 } });
  });

  it('stops serving a spam ticket’s files at once, deletes a purged ticket’s bytes, and sweeps uploads nobody used', async () => {
    const ann = await t.customer();
    const ada = await t.agent();
    const up = await upload(ann.headers(), PNG, 'a.png');
    const ticket = await ann.api.tickets.create.mutate({ subject: 'Spammy', message: 'Buy now', attachmentIds: [up.body.id as string] });
    const file = (await ada.api.agent.tickets.get.query({ ticketId: ticket.id })).timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []))[0]!;
    expect((await download(file.url)).status).toBe(200);
    await ada.api.agent.tickets.markSpam.mutate({ ticketId: ticket.id });
    expect((await download(file.url)).status).toBe(404);

    const files = t.server.app.files;
    expect(await files.current.read(up.body.id as string)).not.toBeNull();
    await ada.api.agent.tickets.purge.mutate({ ticketId: ticket.id });
    expect(await files.current.read(up.body.id as string)).toBeNull();
    expect(await t.store.attachments.get(up.body.id as string)).toBeNull();

    const unused = await upload(ann.headers(), PNG, 'never-sent.png');
    await t.server.sweep();
    expect(await t.store.attachments.get(unused.body.id as string)).not.toBeNull();
    t.clock.advance(DAY + 1);
    await t.server.sweep();
    expect(await t.store.attachments.get(unused.body.id as string)).toBeNull();
    expect(await files.current.read(unused.body.id as string)).toBeNull();
  });

  it('gives an upload to one message only, even when two race for it, and keeps to the site’s limits', async () => {
    const ann = await t.customer();
    const ticket = await ann.api.tickets.create.mutate({ subject: 'Race', message: 'Go' });
    const up = await upload(ann.headers(), PNG, 'once.png');
    const sends = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: `try ${i}`, attachmentIds: [up.body.id as string] })),
    );
    expect(sends.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const shown = (await ann.api.tickets.get.query({ ticketId: ticket.id })).timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []));
    expect(shown.map((f) => f.id)).toEqual([up.body.id]);

    const ada = await t.agent();
    await ada.api.agent.site.update.mutate({ attachments: { maxFiles: 2, maxBytesPerTicket: PNG.length * 4 } });
    const three = await Promise.all([1, 2, 3].map((i) => upload(ann.headers(), PNG, `${i}.png`)));
    const ids = three.map((u) => u.body.id as string);
    expect(await errorCode(ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: 'three', attachmentIds: ids }))).toBe('ATTACHMENT_LIMIT');
    await ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: 'two', attachmentIds: ids.slice(0, 2) });
    // Three files are on the ticket now, room for one more: two would pass its total.
    const more = await upload(ann.headers(), PNG, '4.png');
    expect(await errorCode(ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: 'more', attachmentIds: [ids[2]!, more.body.id as string] }))).toBe('ATTACHMENT_TOO_LARGE');
    // Refused writes change nothing: the files are still the customer's to send.
    await ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: 'last', attachmentIds: [ids[2]!] });
    await ada.api.agent.site.update.mutate({ attachments: { maxFiles: 10, maxBytesPerTicket: 100 * 1024 * 1024 } });
  });

  it('keeps a thumbnail with its image: shown to whoever sees the image, only for one’s own unsent image', async () => {
    const ann = await t.customer();
    const bob = await t.customer();
    const photo = await upload(ann.headers(), gradientPng(1200, 800), 'photo.png');
    const path = (of: string) => `${new URLSearchParams({ name: 'preview.png', thumbnailOf: of })}`;
    const thumb = async (headers: Record<string, string>, of: string, body: Buffer) => {
      const res = await fetch(`${t.url}/attachments?${path(of)}`, { method: 'POST', headers, body });
      return { status: res.status, body: (await res.json()) as { id?: string; error?: { code: string } } };
    };
    expect((await thumb(bob.headers(), photo.body.id as string, gradientPng(60, 40))).body.error?.code).toBe('NOT_FOUND');
    expect((await thumb(ann.headers(), photo.body.id as string, PDF)).body.error?.code).toBe('ATTACHMENT_TYPE');
    const small = await thumb(ann.headers(), photo.body.id as string, gradientPng(60, 40));
    expect(small.status).toBe(201);

    const ticket = await ann.api.tickets.create.mutate({ subject: 'Photo', message: 'Look', attachmentIds: [photo.body.id as string] });
    const [file, ...rest] = (await ann.api.tickets.get.query({ ticketId: ticket.id })).timeline.flatMap((i) => (i.kind === 'message' ? i.attachments : []));
    expect(rest).toEqual([]);
    expect(file!.thumbnailUrl).toContain(small.body.id);
    const preview = await download(file!.thumbnailUrl!);
    expect(preview.bytes.equals(gradientPng(60, 40))).toBe(true);
    // Sent with its image: it cannot be a thumbnail of another, nor be sent on its own.
    expect(await errorCode(ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: 'again', attachmentIds: [small.body.id!] }))).toBe('NOT_FOUND');
    expect((await thumb(ann.headers(), photo.body.id as string, gradientPng(60, 40))).body.error?.code).toBe('NOT_FOUND');
  });

  it('never deletes a file a message has taken, and no message takes one being deleted', async () => {
    const ann = await t.customer();
    const ticket = await ann.api.tickets.create.mutate({ subject: 'At the wire', message: 'x' });
    const [late, sent] = await Promise.all([upload(ann.headers(), PNG, 'late.png'), upload(ann.headers(), PNG, 'sent.png')]);
    t.clock.advance(DAY + 1);
    await ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: 'just in time', attachmentIds: [sent.body.id as string] });
    // A sweep picks the day-old upload nobody sent; the one just sent is not its to take.
    const due = await t.store.attachments.dueForDeletion({ staleBefore: t.clock.now(), unusedBefore: t.clock.now() - DAY }, 100);
    expect(due.map((r) => r.id)).toContain(late.body.id);
    expect(due.map((r) => r.id)).not.toContain(sent.body.id);
    // Once picked, it can no longer go with a message, however the two interleave.
    expect(await errorCode(ann.api.tickets.reply.mutate({ ticketId: ticket.id, message: 'too late', attachmentIds: [late.body.id as string] }))).toBe('NOT_FOUND');
    await t.store.attachments.remove([late.body.id as string, sent.body.id as string]);
    expect(await t.store.attachments.get(sent.body.id as string)).toMatchObject({ state: 'used' });
    expect(await t.store.attachments.get(late.body.id as string)).toBeNull();
  });

  it('answers bad uploads in words: no session, no name, an empty file, a secret key from a browser', async () => {
    const ann = await t.customer();
    const cases: { headers: Record<string, string>; name: string; body: Buffer; status: number; code: string }[] = [
      { headers: {}, name: 'a.png', body: PNG, status: 401, code: 'UNAUTHORIZED' },
      { headers: ann.headers(), name: '', body: PNG, status: 400, code: 'VALIDATION' },
      { headers: ann.headers(), name: 'empty.txt', body: Buffer.alloc(0), status: 400, code: 'VALIDATION' },
      { headers: { authorization: `Bearer ${t.site.secretKey}`, origin: 'http://shop.test' }, name: 'a.png', body: PNG, status: 403, code: 'FORBIDDEN' },
    ];
    for (const c of cases) {
      const res = await upload(c.headers, c.body, c.name);
      expect([res.status, res.body.error?.code]).toEqual([c.status, c.code]);
    }
  });
});

describe('attachments behind a virus check', () => {
  // A real command in the place of `clamdscan -`: the file on stdin, 1 for the EICAR test signature.
  const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
  const scanners = {
    checks: `grep -q 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' && exit 1 || exit 0`,
    broken: 'cat > /dev/null; exit 2',
  };
  let t: TestServer;
  let broken: TestServer;
  useTestServer((server) => (t = server), { attachments: { scan: scanners.checks } });
  useTestServer((server) => (broken = server), { attachments: { scan: scanners.broken } });

  const post = async (server: TestServer, headers: Record<string, string>, body: Buffer, name: string) => {
    const res = await fetch(`${server.url}/attachments?name=${name}`, { method: 'POST', headers, body });
    return { status: res.status, error: ((await res.json()) as { error?: { code: string } }).error };
  };

  it('releases what the scanner passes, refuses what it flags, and keeps nothing it could not check', async () => {
    const ann = await t.customer();
    expect((await post(t, ann.headers(), PNG, 'fine.png')).status).toBe(201);
    expect(await post(t, ann.headers(), Buffer.from(EICAR), 'eicar.txt')).toEqual({ status: 422, error: expect.objectContaining({ code: 'ATTACHMENT_REJECTED' }) });
    const bob = await broken.customer();
    expect(await post(broken, bob.headers(), PNG, 'fine.png')).toEqual({ status: 503, error: expect.objectContaining({ code: 'ATTACHMENT_UNCHECKED' }) });
    for (const server of [t, broken]) {
      expect(await rawCount(server, "select count(*) n from attachments where state <> 'pending'")).toBe(0);
    }
  });
});
