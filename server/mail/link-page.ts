/**
 * The small pages behind email links: a question with one button (the GET),
 * and what happened (the POST). Served under a CSP that allows nothing but
 * their own inline style and a form posting back to the same address.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_ACCENT } from './render-email.js';
import { escapeHtml } from '../http/escape-html.js';


export interface LinkPage {
  lang: string;
  siteName: string;
  accent: string | null;
  title: string;
  text?: string | undefined;
  /** A form that posts back to this page's address. */
  form?: { button: string; field?: { name: string; label: string; placeholder?: string; required: boolean } } | undefined;
  /** A link onwards (to the support page). */
  link?: { label: string; url: string } | undefined;
}

const STYLE = `body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f9fafb;color:#111827;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{box-sizing:border-box;width:min(100% - 24px,480px);background:#fff;border-radius:12px;border-top:6px solid var(--accent);padding:24px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
.site{font-weight:700;margin:0 0 8px}h1{font-size:20px;margin:0 0 12px}
label{display:block;font-weight:600;margin:12px 0 4px}textarea{box-sizing:border-box;width:100%;min-height:96px;font:inherit;padding:8px;border:1px solid #9ca3af;border-radius:8px;background:inherit;color:inherit}
button,.button{display:inline-block;margin-top:16px;padding:12px 20px;border:0;border-radius:8px;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
@media (prefers-color-scheme:dark){body{background:#111827;color:#f3f4f6}main{background:#1f2937}}`;

export function linkPage(page: LinkPage) {
  const accent = page.accent && /^#[0-9a-f]{3,8}$/i.test(page.accent) ? page.accent : DEFAULT_ACCENT;
  const style = `:root{--accent:${accent}}\n${STYLE}`;
  const field = page.form?.field;
  const form = page.form
    ? `<form method="post">${
        field
          ? `<label for="f">${escapeHtml(field.label)}</label><textarea id="f" name="${escapeHtml(field.name)}" maxlength="20000"${field.required ? ' required' : ''}${
              field.placeholder ? ` placeholder="${escapeHtml(field.placeholder)}"` : ''
            }></textarea>`
          : ''
      }<button type="submit">${escapeHtml(page.form.button)}</button></form>`
    : '';
  const link = page.link ? `<a class="button" href="${escapeHtml(page.link.url)}">${escapeHtml(page.link.label)}</a>` : '';
  const html = `<!doctype html><html lang="${escapeHtml(page.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><meta name="robots" content="noindex"><title>${escapeHtml(page.title)} — ${escapeHtml(page.siteName)}</title><style>${style}</style></head>
<body><main><p class="site">${escapeHtml(page.siteName)}</p><h1>${escapeHtml(page.title)}</h1>${page.text ? `<p>${escapeHtml(page.text)}</p>` : ''}${form}${link}</main></body></html>`;
  return { html, styleHash: createHash('sha256').update(style).digest('base64') };
}

/** The headers every link page goes out with: nothing runs, nothing frames it, the token never leaks onward. */
export function linkPageHeaders(styleHash: string, formTargets: string[] = []) {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'sha256-${styleHash}'; form-action 'self' ${formTargets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`.replace(/ ;/g, ';'),
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
}
