import type { AttachmentSettings } from '../store/json-columns.js';
import type { SiteRow } from '../store/store.js';

/** Raster images a browser shows inline; every other type is only ever downloaded. */
export const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

const OFFICE_TYPES = [
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
];

export const ATTACHMENT_DEFAULTS: Required<AttachmentSettings> = {
  maxBytes: 10 * 1024 * 1024,
  maxFiles: 10,
  maxBytesPerTicket: 100 * 1024 * 1024,
  allowedTypes: [...INLINE_TYPES, 'application/pdf', 'text/plain', 'text/csv', 'application/zip', ...OFFICE_TYPES],
};

/** The most any site may allow per file: uploads are streamed, but a support widget is not a file host. */
export const MAX_BYTES_CEILING = 100 * 1024 * 1024;
/** Files per message, whatever a site sets: the API takes at most this many ids. */
export const MAX_FILES_CEILING = 10;

/** A site's limits with the defaults filled in. */
export function attachmentSettings(site: Pick<SiteRow, 'attachments'>): Required<AttachmentSettings> {
  const own = site.attachments ?? {};
  return {
    maxBytes: own.maxBytes ?? ATTACHMENT_DEFAULTS.maxBytes,
    maxFiles: own.maxFiles ?? ATTACHMENT_DEFAULTS.maxFiles,
    maxBytesPerTicket: own.maxBytesPerTicket ?? ATTACHMENT_DEFAULTS.maxBytesPerTicket,
    allowedTypes: own.allowedTypes ?? ATTACHMENT_DEFAULTS.allowedTypes,
  };
}
