import { fileTypeFromBuffer } from 'file-type';

/** What a name's extension claims, for the types the bytes can prove; a name claiming one and holding another is refused. */
const CLAIMED: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  zip: 'application/zip',
};
/** Formats that are zip files inside: their bytes may read as a plain zip. */
const ZIP_BASED = new Set(['docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp']);
/** Text formats by extension (text has no magic number); markup stays markup so it is never shown inline. */
const TEXT_BY_EXTENSION: Record<string, string> = {
  csv: 'text/csv',
  svg: 'image/svg+xml',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
};

/**
 * Names a desktop runs as a program when opened. Many are plain text inside (a .bat, a
 * .ps1, a .js), so their bytes pass as text: the name alone refuses them.
 */
const PROGRAMS = new Set(
  'exe com scr pif bat cmd ps1 psm1 vbs vbe js jse mjs wsf wsh hta msi msp jar lnk reg cpl msc scf inf dll sys app command sh desktop url appref-ms application gadget iso img vhd'.split(' '),
);

const extensionOf = (name: string) => /\.([a-z0-9-]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';

function looksLikeText(head: Uint8Array) {
  if (head.includes(0)) return false;
  try {
    // A multi-byte character may be cut at the end of the head: only the bytes before the last four must decode.
    new TextDecoder('utf-8', { fatal: true }).decode(head.length > 4 ? head.subarray(0, head.length - 4) : head);
    return true;
  } catch {
    return false;
  }
}

/** Markup anywhere near the start makes a "text" file markup, whatever its name says. */
const MARKUP = /<\s*(svg|html|script|!doctype|iframe|object|embed)\b/i;

/**
 * The type of a file, read from its first bytes (never from the client's header), or
 * `mismatch` when the name claims a type the bytes are not.
 */
export async function detectType(head: Uint8Array, name: string): Promise<{ contentType: string } | { mismatch: string } | { program: string }> {
  const extension = extensionOf(name);
  if (PROGRAMS.has(extension)) return { program: extension };
  const found = await fileTypeFromBuffer(head).catch(() => undefined);
  if (found) {
    const claimed = CLAIMED[extension];
    if (claimed && claimed !== found.mime) return { mismatch: found.mime };
    if (ZIP_BASED.has(extension) && found.mime !== 'application/zip' && !found.mime.startsWith('application/vnd.')) return { mismatch: found.mime };
    return { contentType: found.mime };
  }
  if (!looksLikeText(head)) {
    return CLAIMED[extension] || ZIP_BASED.has(extension) ? { mismatch: 'application/octet-stream' } : { contentType: 'application/octet-stream' };
  }
  if (CLAIMED[extension] || ZIP_BASED.has(extension)) return { mismatch: 'text/plain' };
  const text = new TextDecoder().decode(head.subarray(0, 4096));
  const byName = TEXT_BY_EXTENSION[extension];
  if (byName) return { contentType: byName };
  return { contentType: MARKUP.test(text) ? 'text/html' : 'text/plain' };
}
