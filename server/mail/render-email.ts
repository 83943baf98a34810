/**
 * One email's headers and its two bodies (plain text and HTML), in the
 * customer's language. Every value from a person (subject, message, names) is
 * escaped into the HTML; the HTML uses tables and inline styles because that
 * is what email clients render, and declares both colour schemes.
 */
import type { PreparedEmail } from '../store/email-outbox.js';
import { addressOf, type MailConfig } from './mail-config.js';
import { translator, type MailTexts } from './mail-texts.js';
import { notificationsOf } from './notification-settings.js';
import { escapeHtml } from '../http/escape-html.js';

export interface RenderedEmail {
  from: { name: string; address: string };
  to: string;
  replyTo: string | null;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

export const DEFAULT_ACCENT = '#1d4ed8';


/** A header value on one line: a subject with a newline must not start a header of its own. */
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ').trim();

export const linkUrl = (config: MailConfig, token: string) => `${config.publicUrl}/e/${token}`;

/** The Message-ID of an outbox row: the same on every retry, so a resent email is recognisably the same. */
export const messageIdOf = (emailId: string, config: MailConfig) => `<${emailId}@${config.replyDomain}>`;

interface Block {
  kind: 'p' | 'quote' | 'button' | 'buttons' | 'small';
  text?: string;
  author?: string;
  links?: { label: string; url: string; primary: boolean }[];
}

export function renderEmail(prepared: PreparedEmail, config: MailConfig, options: { replyByEmail: boolean }): RenderedEmail {
  const { email, site, ticket, tokens } = prepared;
  const t = translator(email.locale);
  const settings = notificationsOf(site);
  const accent = settings.accentColor ?? DEFAULT_ACCENT;
  const url = (purpose: keyof typeof tokens) => (tokens[purpose] ? linkUrl(config, tokens[purpose]) : null);
  const say = (key: keyof MailTexts, values: Record<string, string> = {}) => t.say(key, { site: site.name, ...values });
  // An agent signs with their name when they have one; the site's name otherwise.
  const authorOf = (m: { authorId: string | null }) => (m.authorId && prepared.authors[m.authorId]) || site.name;

  const blocks: Block[] = [];
  const hello = ticket?.contactName ? say('hello', { name: ticket.contactName }) : say('helloAnonymous');
  const view = url('view');
  const quotes = () => {
    for (const m of prepared.messages) blocks.push({ kind: 'quote', text: m.body, author: m.authorKind === 'agent' ? authorOf(m) : '' });
  };
  let subject = ticket ? `Re: ${ticket.subject}` : '';

  switch (email.kind) {
    case 'receipt':
      subject = ticket?.subject ?? '';
      blocks.push({ kind: 'p', text: hello }, { kind: 'p', text: say('receiptIntro') });
      quotes();
      if (!prepared.proven) blocks.push({ kind: 'p', text: say('receiptProve') });
      if (view) blocks.push({ kind: 'button', links: [{ label: say('viewTicket'), url: view, primary: true }] });
      break;
    case 'reply':
      blocks.push({ kind: 'p', text: say('replyIntro', { agent: prepared.messages.length ? authorOf(prepared.messages[prepared.messages.length - 1]!) : site.name }) });
      quotes();
      if (view) blocks.push({ kind: 'p', text: options.replyByEmail ? say('replyHint') : '' }, { kind: 'button', links: [{ label: say('viewTicket'), url: view, primary: false }] });
      break;
    case 'resolution': {
      blocks.push({ kind: 'p', text: say('resolutionIntro') });
      quotes();
      blocks.push({ kind: 'p', text: say('resolutionQuestion') });
      blocks.push({
        kind: 'buttons',
        links: [
          { label: say('confirm'), url: url('confirm')!, primary: true },
          { label: say('reject'), url: url('reject')!, primary: false },
        ],
      });
      const closesAt = ticket?.resolvedAt != null ? ticket.resolvedAt + site.autoCloseAfterHours * 3_600_000 : null;
      if (closesAt !== null) blocks.push({ kind: 'small', text: say('autoCloseOn', { date: t.date(closesAt) }) });
      break;
    }
    case 'auto_closed': {
      blocks.push({ kind: 'p', text: say('autoClosedIntro') });
      const until = ticket?.closedAt != null ? ticket.closedAt + site.reopenWindowDays * 86_400_000 : null;
      if (until !== null) blocks.push({ kind: 'p', text: say('reopenUntil', { date: t.date(until) }) });
      const reopen = url('reopen');
      if (reopen) blocks.push({ kind: 'button', links: [{ label: say('reopen'), url: reopen, primary: true }] });
      break;
    }
    case 'sign_in':
      subject = say('signInSubject');
      blocks.push({ kind: 'p', text: say('signInIntro') }, { kind: 'button', links: [{ label: say('signIn'), url: url('sign_in')!, primary: true }] });
      blocks.push({ kind: 'small', text: say('signInIgnore') });
      break;
  }

  const unsubscribe = url('unsubscribe')!;
  const footer = say('footer');
  const headers: Record<string, string> = {
    'List-Unsubscribe': `<${unsubscribe}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    // Automatic mail: out-of-office replies should not answer it (RFC 3834).
    'Auto-Submitted': 'auto-generated',
  };
  if (prepared.thread.length) {
    headers['In-Reply-To'] = prepared.thread[prepared.thread.length - 1]!;
    headers.References = prepared.thread.slice(-10).join(' ');
  }
  const replyTo = options.replyByEmail && tokens.reply ? `reply+${tokens.reply}@${config.replyDomain}` : settings.replyTo;

  return {
    from: { name: oneLine(settings.senderName ?? site.name), address: addressOf(config.from) },
    to: email.to,
    replyTo,
    subject: oneLine(subject),
    text: [...blocks.map(textOf), '-- ', `${footer}`, `${say('unsubscribe')}: ${unsubscribe}`].filter((s) => s !== '').join('\n\n'),
    html: htmlOf(blocks, { siteName: site.name, accent, lang: t.lang, footer, unsubscribe: say('unsubscribe'), unsubscribeUrl: unsubscribe }),
    messageId: messageIdOf(email.id, config),
    headers,
  };
}

function textOf(block: Block): string {
  switch (block.kind) {
    case 'quote':
      return (block.author ? `${block.author}:\n` : '') + (block.text ?? '').split('\n').map((line) => `> ${line}`).join('\n');
    case 'button':
    case 'buttons':
      return (block.links ?? []).map((l) => `${l.label}: ${l.url}`).join('\n');
    default:
      return block.text ?? '';
  }
}

function htmlOf(blocks: Block[], page: { siteName: string; accent: string; lang: string; footer: string; unsubscribe: string; unsubscribeUrl: string }) {
  const accent = /^#[0-9a-f]{3,8}$/i.test(page.accent) ? page.accent : DEFAULT_ACCENT;
  const button = (l: { label: string; url: string; primary: boolean }) =>
    l.primary
      ? `<a href="${escapeHtml(l.url)}" style="display:inline-block;margin:4px 8px 4px 0;padding:12px 20px;border-radius:8px;background:${accent};color:#ffffff;font-weight:600;text-decoration:none">${escapeHtml(l.label)}</a>`
      : `<a href="${escapeHtml(l.url)}" class="secondary" style="display:inline-block;margin:4px 8px 4px 0;padding:10px 18px;border-radius:8px;border:2px solid ${accent};color:${accent};font-weight:600;text-decoration:none">${escapeHtml(l.label)}</a>`;
  const body = blocks
    .map((b) => {
      const text = escapeHtml(b.text ?? '').replace(/\n/g, '<br>');
      if (b.kind === 'quote') {
        const author = b.author ? `<div style="font-size:13px;opacity:.75;margin-bottom:4px">${escapeHtml(b.author)}</div>` : '';
        return `<div class="quote" style="margin:12px 0;padding:12px 16px;border-left:4px solid ${accent};background:#f3f4f6;border-radius:4px">${author}${text}</div>`;
      }
      if (b.kind === 'button' || b.kind === 'buttons') return `<p style="margin:20px 0">${(b.links ?? []).map(button).join('')}</p>`;
      if (b.kind === 'small') return `<p style="font-size:13px;opacity:.8">${text}</p>`;
      return text ? `<p>${text}</p>` : '';
    })
    .join('\n');
  return `<!doctype html><html lang="${page.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">
<style>@media (prefers-color-scheme: dark){body,.card{background:#111827!important;color:#f3f4f6!important}.quote{background:#1f2937!important}.secondary{color:#f3f4f6!important}}</style></head>
<body style="margin:0;padding:24px 12px;background:#f9fafb;color:#111827;font:16px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" class="card" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:12px;border-top:6px solid ${accent}"><tr><td style="padding:24px">
<div style="font-weight:700;font-size:18px;margin-bottom:12px">${escapeHtml(page.siteName)}</div>
${body}
<hr style="border:0;border-top:1px solid #e5e7eb;margin:24px 0 12px">
<p style="font-size:12px;opacity:.7">${escapeHtml(page.footer)} <a href="${escapeHtml(page.unsubscribeUrl)}" style="color:inherit">${escapeHtml(page.unsubscribe)}</a></p>
</td></tr></table></td></tr></table></body></html>`;
}
