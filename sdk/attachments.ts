import { CloseloopError } from './errors.js';

/** A stored upload: pass its `id` in `attachmentIds` when you create, reply or note. */
export interface UploadedAttachment {
  id: string;
  name: string;
  size: number;
  contentType: string;
}

export interface UploadOptions {
  /** Bytes sent so far and in all (browsers only: fetch cannot report an upload's progress). */
  onProgress?: ((sent: number, total: number) => void) | undefined;
  signal?: AbortSignal | undefined;
  /**
   * In a browser, for an image larger than a preview needs: also send a smaller copy
   * (at most 640×360), which the thread then shows instead of the whole file.
   */
  thumbnail?: boolean | undefined;
  /** This upload is a smaller copy of that (not yet sent) image of yours. */
  thumbnailOf?: string | undefined;
}

export type UploadData = Blob | ArrayBuffer | Uint8Array;

interface Answer {
  status: number;
  body: string;
}

const refusal = ({ status, body }: Answer) => {
  let error: { code?: string; message?: string } & Record<string, unknown> = {};
  try {
    error = (JSON.parse(body) as { error?: typeof error }).error ?? {};
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const { code, message, data: _data, ...rest } = error;
  return new CloseloopError(code ?? (status === 413 ? 'ATTACHMENT_TOO_LARGE' : 'INTERNAL'), message ?? `The upload failed (${status})`, status, rest);
};

/** The part of XMLHttpRequest used here (the only way a browser reports an upload's progress). */
interface Xhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  upload: { onprogress: ((e: { loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  status: number;
  responseText: string;
  abort(): void;
  send(body: unknown): void;
}
const XhrClass = () => (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;

function withXhr(Request: new () => Xhr, url: string, headers: Record<string, string>, data: UploadData, options: UploadOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const xhr = new Request();
    xhr.open('POST', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => options.onProgress?.(e.loaded, e.total);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
    xhr.onerror = () => reject(new CloseloopError('NETWORK', 'The Closeloop server could not be reached', 0));
    xhr.onabort = () => reject(new CloseloopError('ABORTED', 'The upload was cancelled', 0));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(data instanceof Uint8Array ? new Blob([data as Uint8Array<ArrayBuffer>]) : data);
  });
}

async function withFetch(fetcher: typeof fetch, url: string, headers: Record<string, string>, data: UploadData, options: UploadOptions): Promise<Answer> {
  try {
    const res = await fetcher(url, { method: 'POST', headers, body: data as Blob, signal: options.signal ?? null });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    if (options.signal?.aborted) throw new CloseloopError('ABORTED', 'The upload was cancelled', 0);
    throw new CloseloopError('NETWORK', error instanceof Error ? error.message : 'The Closeloop server could not be reached', 0);
  }
}

/**
 * Sends a file's bytes to POST /attachments. The server reads the type from the bytes and
 * refuses what the site does not accept (ATTACHMENT_TYPE) or what is too large
 * (ATTACHMENT_TOO_LARGE) with a CloseloopError. Not retried on its own: a retry is a new upload.
 * @internal (the clients' `attachments.upload` is the public way in)
 */
export async function uploadAttachment(
  target: { url: string; headers: Record<string, string>; fetch?: typeof fetch | undefined },
  data: UploadData,
  name: string,
  options: UploadOptions = {},
): Promise<UploadedAttachment> {
  const query = new URLSearchParams({ name, ...(options.thumbnailOf ? { thumbnailOf: options.thumbnailOf } : {}) });
  const url = `${target.url.replace(/\/+$/, '')}/attachments?${query}`;
  const headers = { ...target.headers, 'content-type': 'application/octet-stream' };
  const Request = XhrClass();
  const answer = options.onProgress && Request ? await withXhr(Request, url, headers, data, options) : await withFetch(target.fetch ?? fetch, url, headers, data, options);
  if (answer.status !== 201) throw refusal(answer);
  const uploaded = JSON.parse(answer.body) as UploadedAttachment;
  if (options.thumbnail && data instanceof Blob && /^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(uploaded.contentType)) {
    // A preview is a nicety: without one, the thread shows the file itself.
    const small = await thumbnailOf(data).catch(() => null);
    if (small) await uploadAttachment(target, small, `preview.${small.type.split('/')[1] ?? 'png'}`, { thumbnailOf: uploaded.id }).catch(() => undefined);
  }
  return uploaded;
}

interface Bitmap {
  width: number;
  height: number;
  close(): void;
}
interface Canvas {
  getContext(type: '2d'): { drawImage(image: Bitmap, x: number, y: number, width: number, height: number): void } | null;
  convertToBlob(options: { type: string; quality: number }): Promise<Blob>;
}

/** A copy of an image that fits 640×360, or null when the image is small already (or the browser cannot draw it). */
async function thumbnailOf(image: Blob): Promise<Blob | null> {
  const g = globalThis as unknown as { createImageBitmap?: (b: Blob) => Promise<Bitmap>; OffscreenCanvas?: new (w: number, h: number) => Canvas };
  if (!g.createImageBitmap || !g.OffscreenCanvas) return null;
  const bitmap = await g.createImageBitmap(image);
  try {
    const scale = Math.min(640 / bitmap.width, 360 / bitmap.height);
    if (scale >= 1) return null;
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new g.OffscreenCanvas(width, height);
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, width, height);
    return await canvas.convertToBlob({ type: 'image/webp', quality: 0.82 });
  } finally {
    bitmap.close();
  }
}
