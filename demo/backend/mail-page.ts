/**
 * The demo's inbox at /mail: every email the local SMTP catcher received, newest
 * first, with its links clickable and a form that answers it by email (sent to
 * the server's own reply listener), so the whole loop can be tried in a browser.
 */
import { escapeHtml as escape } from '../../server/http/escape-html.js';
import type { CaughtMail } from './smtp-catcher.js';

/** Plain text with its web addresses as links: everything else stays text. */
function linkify(text: string) {
  return escape(text).replace(/https?:\/\/[^\s&<>"']+/g, (url) => `<a href="${url}">${url}</a>`);
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;background:#f3f4f6;color:#111827}header{background:#111827;color:#fff;padding:14px 32px;display:flex;gap:24px}
header a{color:#fff}main{padding:24px 32px;max-width:900px}article{background:#fff;border:1px solid #d1d5db;border-radius:10px;margin:0 0 20px;padding:16px 20px}
h2{font-size:18px;margin:0 0 4px}.meta{color:#4b5563;font-size:14px;margin:0 0 12px}pre{white-space:pre-wrap;font:15px/1.5 system-ui,sans-serif;margin:0}
details{margin-top:12px}iframe{width:100%;height:420px;border:1px solid #e5e7eb;border-radius:8px;background:#fff}
form{margin-top:12px;display:grid;gap:6px}textarea{font:inherit;padding:8px;border:1px solid #9ca3af;border-radius:8px;min-height:60px}
button{justify-self:start;padding:8px 14px;border-radius:8px;border:0;background:#1d4ed8;color:#fff;font:inherit;cursor:pointer}.empty{color:#4b5563}`;

export function mailPage(mails: readonly CaughtMail[], note: string | null) {
  const items = mails
    .map((mail, index) => ({ mail, index }))
    .reverse()
    .map(({ mail, index }) => {
      const { parsed } = mail;
      const replyTo = parsed.replyTo?.value[0]?.address;
      const reply = replyTo
        ? `<form method="post" action="/mail/reply"><input type="hidden" name="index" value="${index}">
<label for="r${index}">Answer by email (to ${escape(replyTo)})</label><textarea id="r${index}" name="text" required></textarea><button type="submit">Send reply</button></form>`
        : '';
      return `<article><h2>${escape(parsed.subject ?? '(no subject)')}</h2>
<p class="meta">To ${escape(mail.rcptTo.join(', '))} · from ${escape(parsed.from?.text ?? '')} · ${escape(new Date(mail.receivedAt).toLocaleString('en-GB'))}</p>
<pre>${linkify(parsed.text ?? '')}</pre>
<details><summary>As the customer's mail app shows it (HTML)</summary><iframe sandbox title="The email's HTML" srcdoc="${escape(typeof parsed.html === 'string' ? parsed.html : '')}"></iframe></details>
${reply}</article>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mail the customers got — Closeloop demo</title><link rel="icon" href="data:,"><style>${STYLE}</style></head><body>
<header><strong>Demo inbox</strong><a href="/">Shop</a><a href="/portal">Help centre</a><a href="/console">Agent console</a></header>
<main><h1>What customers received</h1><p>Every email the server sent, caught by a local SMTP server (nothing leaves this machine). Links work: open one and press its button.</p>
${note ? `<p role="status"><strong>${escape(note)}</strong></p>` : ''}
${items || '<p class="empty">No email yet. Open a ticket in the shop with your email address, or sign in as Alice.</p>'}
</main></body></html>`;
}
