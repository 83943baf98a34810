import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type http from 'node:http';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

/** The built widget: dist/widget beside the compiled server, or under dist/ when running from source. */
function widgetFolder(): string | null {
  for (const relative of ['../../widget/', '../../dist/widget/']) {
    const folder = join(import.meta.dirname, relative);
    if (existsSync(`${folder}widget.js`)) return folder;
  }
  return null;
}

const FILE = /^\/(widget(?:-app|-attach|-locale-[a-z]{2,3})?\.js)$/;

interface Encoded {
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
}

/**
 * Serves the widget's scripts: compressed once (gzip and brotli) and kept in
 * memory, cached briefly (the loader's URL never changes), loadable from any site.
 */
export function createWidgetFiles(folder = widgetFolder()) {
  const cache = new Map<string, Encoded>();

  function load(name: string): Encoded | null {
    const hit = cache.get(name);
    if (hit) return hit;
    if (!folder || !existsSync(folder + name)) return null;
    const raw = readFileSync(folder + name);
    const encoded = {
      raw,
      gzip: gzipSync(raw, { level: 9 }),
      br: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 16)}"`,
    };
    cache.set(name, encoded);
    return encoded;
  }

  /** Answers the request if it is for a widget file; false otherwise. */
  return function serve(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean {
    const name = FILE.exec(path)?.[1];
    if (!name || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const file = load(name);
    if (!file) {
      const why = folder ? `No such widget file: ${name}` : 'The widget is not built: run npm run build';
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${why}\n`);
      return true;
    }
    const headers: Record<string, string> = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
      etag: file.etag,
      vary: 'Accept-Encoding',
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    const accepts = String(req.headers['accept-encoding'] ?? '');
    const [body, encoding] = /\bbr\b/.test(accepts) ? [file.br, 'br'] : /\bgzip\b/.test(accepts) ? [file.gzip, 'gzip'] : [file.raw, null];
    if (encoding) headers['content-encoding'] = encoding;
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
