import { createHash } from 'node:crypto';
import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../api/context.js';
import { httpCaller } from '../api/auth.js';
import { TRPC_CODE } from '../api/error-codes.js';
import { attachmentSettings, INLINE_TYPES } from '../attachments/attachment-settings.js';
import type { AttachmentStorages } from '../attachments/attachment-storages.js';
import { uploaderOf } from '../attachments/attachment-claims.js';
import { detectType } from '../attachments/file-types.js';
import type { ScanVerdict } from '../attachments/scan-command.js';
import { verifyLink } from '../attachments/signed-links.js';
import { DomainError, type ErrorCode } from '../lifecycle/errors.js';
import { newId } from '../store/ids.js';

/** Enough of a file's start for its type to show (file-type reads at most this much for the formats allowed here). */
const HEAD_BYTES = 64 * 1024;
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { ATTACHMENT_TOO_LARGE: 413, ATTACHMENT_TYPE: 415, ATTACHMENT_REJECTED: 422, ATTACHMENT_UNCHECKED: 503, NOT_FOUND: 404, UNAUTHORIZED: 401, FORBIDDEN: 403, RATE_LIMITED: 429, VALIDATION: 400 };
const HIDDEN = new Set(['spam', 'deleted']);
/** A thumbnail is a preview: small, whatever the site allows for files. */
const THUMBNAIL_MAX_BYTES = 1024 * 1024;

class TooLarge extends Error {}

/**
 * A JSON refusal. With `unread`, the body was not read (or not all of it): reading stops,
 * the answer is sent whole, then the connection closes, so the client reads the refusal
 * instead of a reset, and the server never takes in the rest of a body it refused.
 */
function refuse(res: http.ServerResponse, code: ErrorCode, message: string, details: Record<string, unknown> = {}, unread?: http.IncomingMessage) {
  const status = HTTP_STATUS[code] ?? 400;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };
  if (unread) {
    unread.pause();
    headers.connection = 'close';
  }
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: { code, message, ...details, data: { code, httpStatus: status, trpcCode: TRPC_CODE[code] } } }), () => unread?.destroy());
}

/** A file name fit to keep and to show: no folders, no control characters, at most 200 characters. */
export function cleanFileName(raw: string | null) {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const name = base.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim().slice(0, 200);
  return name === '' || name === '.' || name === '..' ? null : name;
}

/** RFC 6266: an ASCII fallback for old clients, and the exact name in UTF-8 for the rest. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string) {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

/**
 * POST /attachments?name=… takes a file's bytes as the body; GET /attachments/:id?… serves
 * one by a signed link. Nothing about a file is taken from the client but its name: its type
 * comes from its bytes, and it is refused (before reading on) past the site's size limit.
 */
export function createAttachmentRoutes(deps: {
  files: AttachmentStorages;
  now: () => number;
  contextOf: (req: http.IncomingMessage) => Context;
  /** Checks a file before it is released (a virus scanner); none: every file is released. */
  scan?: ((bytes: AsyncIterable<Uint8Array>) => Promise<ScanVerdict>) | undefined;
  takeUpload: (ip: string) => Promise<boolean>;
}) {
  const { files, now } = deps;

  async function upload(req: http.IncomingMessage, res: http.ServerResponse, search: URLSearchParams) {
    const ctx = deps.contextOf(req);
    const { store } = ctx.app;
    let caller;
    try {
      caller = await httpCaller(ctx);
    } catch (error) {
      if (error instanceof DomainError) return refuse(res, error.code, error.message, {}, req);
      throw error;
    }
    if (!(await deps.takeUpload(ctx.ip))) return refuse(res, 'RATE_LIMITED', 'Too many uploads from this address; try again in a minute', {}, req);
    const name = cleanFileName(search.get('name'));
    if (!name) return refuse(res, 'VALIDATION', 'Give the file a name: POST /attachments?name=<file name>', { field: 'name' }, req);
    const settings = attachmentSettings(caller.site);
    const { allowedTypes } = settings;
    let maxBytes = settings.maxBytes;
    // ?thumbnailOf=<id>: a smaller copy of one of the caller's own images, not yet sent; it goes wherever that image goes.
    const thumbnailOf = search.get('thumbnailOf');
    if (thumbnailOf !== null) {
      const parent = /^att_[A-Za-z0-9_-]{1,64}$/.test(thumbnailOf) ? await store.attachments.get(thumbnailOf) : null;
      if (!parent || parent.siteId !== caller.site.id || parent.uploader !== uploaderOf(caller.actor) || parent.state !== 'pending') {
        return refuse(res, 'NOT_FOUND', 'The image this is a thumbnail of was not found, or was already sent', { field: 'thumbnailOf' }, req);
      }
      if (!INLINE_TYPES.has(parent.contentType)) return refuse(res, 'VALIDATION', 'Only images have thumbnails', { field: 'thumbnailOf' }, req);
      maxBytes = Math.min(maxBytes, THUMBNAIL_MAX_BYTES);
    }
    const tooLarge = () => refuse(res, 'ATTACHMENT_TOO_LARGE', `Files can be at most ${maxBytes} bytes here`, { maxBytes }, req);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) return tooLarge();

    const storage = files.current;
    const id = newId('att');
    await store.attachments.begin({ id, siteId: caller.site.id, uploader: uploaderOf(caller.actor), name, storage: storage.kind, createdAt: now(), thumbnailOf });
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let size = 0;
    async function* counted() {
      // Leaving the loop early must not destroy the request: the 413 still has to be sent on its socket.
      for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw new TooLarge();
        hash.update(chunk);
        const held = head.reduce((n, b) => n + b.length, 0);
        if (held < HEAD_BYTES) head.push(chunk.subarray(0, HEAD_BYTES - held));
        yield chunk;
      }
    }
    const discard = async () => {
      await storage.delete(id);
      await store.attachments.remove([id]);
    };
    try {
      await storage.write(id, counted());
    } catch (error) {
      await discard();
      if (error instanceof TooLarge) return tooLarge();
      if (req.destroyed || req.readableAborted) return void res.destroy();
      throw error;
    }
    if (size === 0) {
      await discard();
      return refuse(res, 'VALIDATION', 'The file is empty', { field: 'body' });
    }
    const type = await detectType(Buffer.concat(head), name);
    if ('program' in type) {
      await discard();
      return refuse(res, 'ATTACHMENT_TYPE', `Files named .${type.program} can run as programs, and are not accepted`, { extension: type.program });
    }
    const accepted = (t: string) => (thumbnailOf === null ? allowedTypes.includes(t) : INLINE_TYPES.has(t));
    if ('mismatch' in type || !accepted(type.contentType)) {
      await discard();
      return 'mismatch' in type
        ? refuse(res, 'ATTACHMENT_TYPE', `The file’s contents (${type.mismatch}) do not match its name`, { contentType: type.mismatch })
        : refuse(res, 'ATTACHMENT_TYPE', `Files of type ${type.contentType} are not accepted here`, { contentType: type.contentType, allowedTypes });
    }
    if (deps.scan) {
      const bytes = await storage.read(id);
      const verdict = bytes ? await deps.scan(bytes) : 'failed';
      if (verdict !== 'clean') {
        await discard();
        return verdict === 'infected'
          ? refuse(res, 'ATTACHMENT_REJECTED', 'The virus check refused this file')
          : refuse(res, 'ATTACHMENT_UNCHECKED', 'The file could not be checked for viruses; try again later');
      }
    }
    const row = await store.attachments.finish(id, { size, contentType: type.contentType, sha256: hash.digest('hex') });
    if (!row) throw new Error(`upload ${id} vanished before it was finished`);
    res.writeHead(201, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ id: row.id, name: row.name, size: row.size, contentType: row.contentType }));
  }

  async function download(req: http.IncomingMessage, res: http.ServerResponse, id: string, search: URLSearchParams) {
    const { store } = deps.contextOf(req).app;
    const gone = () => refuse(res, 'NOT_FOUND', 'Attachment not found, or its link has expired; reload the ticket for a new one');
    const row = /^att_[A-Za-z0-9_-]{1,64}$/.test(id) ? await store.attachments.get(id) : null;
    if (!row || row.state !== 'used' || !row.ticketId) return gone();
    const site = await store.getSite(row.siteId);
    const audience = site && verifyLink(site.secretKey, id, search, now());
    if (!site || !audience) return gone();
    if (audience !== 'a' && row.internal) return gone();
    // Checked on every download, not when the link was made: spam and deleted tickets' files stop at once.
    const ticket = await store.getTicket({ siteId: site.id, ticketId: row.ticketId });
    if (!ticket || HIDDEN.has(ticket.status)) return gone();
    const bytes = await files.of(row.storage)?.read(id);
    if (!bytes) return gone();
    const expires = Number(search.get('e'));
    res.writeHead(200, {
      'content-type': row.contentType,
      'content-length': String(row.size),
      'content-disposition': contentDisposition(INLINE_TYPES.has(row.contentType) ? 'inline' : 'attachment', row.name),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
      'cross-origin-resource-policy': 'cross-origin',
      'referrer-policy': 'no-referrer',
      'cache-control': `private, max-age=${Math.max(0, Math.floor((expires - now()) / 1000))}`,
    });
    const source = Readable.from(bytes);
    if (req.method === 'HEAD') {
      source.destroy();
      return void res.end();
    }
    // A reader that goes away mid-file ends the copy; that is not the server's error.
    await pipeline(source, res).catch(() => undefined);
  }

  /** True when the request was one of these routes (answered). */
  return async function attachmentRoutes(req: http.IncomingMessage, res: http.ServerResponse, path: string, search: URLSearchParams) {
    if (path === '/attachments' && req.method === 'POST') {
      await upload(req, res, search);
      return true;
    }
    const match = /^\/attachments\/([^/]+)$/.exec(path);
    if (match && (req.method === 'GET' || req.method === 'HEAD')) {
      await download(req, res, decodeURIComponent(match[1]!), search);
      return true;
    }
    return false;
  };
}
