/**
 * The addresses behind email links, `/e/<token>`. A GET only shows the
 * question (mail scanners open links); the button POSTs, and the POST acts as
 * the ticket's customer, with the lifecycle's rules and events, in the same
 * transaction that spends the token. An RFC 8058 one-click unsubscribe is a
 * POST to the same address.
 */
import type http from 'node:http';
import { DomainError } from '../lifecycle/errors.js';
import type { Command } from '../lifecycle/lifecycle.js';
import { linkPage, linkPageHeaders, type LinkPage } from '../mail/link-page.js';
import { translator, type MailTexts } from '../mail/mail-texts.js';
import { notificationsOf } from '../mail/notification-settings.js';
import type { LinkPlan, LinkState, OpenLink } from '../store/email-outbox.js';
import type { SiteRow, Store, TicketRow } from '../store/store.js';
import { decider } from '../tickets/act.js';

// Any /e/… address is a link page: a link a mail client mangled still gets a page, not a JSON 404.
const PATH = /^\/e\/([^/]{1,200})$/;
const MAX_FORM_BYTES = 64 * 1024;

/** The link's action is for a resolution or closure that is no longer the ticket's. */
class Withdrawn extends Error {}

interface Deps {
  store: Store;
  now: () => number;
  /** The server's public base URL: where its own portal page is. */
  publicUrl: string;
  /** Tells live widgets that a ticket changed. */
  changed: () => void;
}

/** Where the customer's tickets are: the site's own help centre, else the page this server hosts. */
export const portalUrlOf = (site: SiteRow, publicUrl: string) => notificationsOf(site).portalUrl ?? `${publicUrl}/portal/${encodeURIComponent(site.siteKey)}`;

function readForm(req: http.IncomingMessage): Promise<URLSearchParams | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        // Stop reading; the caller answers 413 and then closes the connection.
        req.pause();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', () => resolve(null));
  });
}

/** Whether the link's resolution or closure is still the ticket's current one. */
function current(link: OpenLink, ticket: TicketRow | null) {
  if (!link.token.ticketId) return true;
  if (!ticket) return false;
  if (link.token.purpose === 'confirm' || link.token.purpose === 'reject') return ticket.status === 'resolved' && ticket.resolvedAt === link.token.anchor;
  if (link.token.purpose === 'reopen') return ticket.status === 'closed' && ticket.closedAt === link.token.anchor;
  return true;
}

export function createEmailLinks(deps: Deps) {
  const { store, now } = deps;

  function send(res: http.ServerResponse, status: number, page: LinkPage, formTargets: string[] = []) {
    const { html, styleHash } = linkPage(page);
    res.writeHead(status, linkPageHeaders(styleHash, formTargets));
    res.end(html);
  }

  function pageFor(site: SiteRow | null, locale: string) {
    const t = translator(locale);
    return {
      t,
      base: { lang: t.lang, siteName: site?.name ?? 'Support', accent: site ? notificationsOf(site).accentColor : null },
      say: (key: keyof MailTexts, values: Record<string, string> = {}) => t.say(key, { site: site?.name ?? '', ...values }),
    };
  }

  /** An unknown, used or expired link: said plainly, with the way on where the link's site is known. */
  async function problem(res: http.ServerResponse, state: Extract<LinkState, { ok: false }>) {
    const site = state.token ? await store.getSite(state.token.siteId) : null;
    const { base, say } = pageFor(site, state.token?.locale ?? 'en');
    const link = site ? { label: say('backToSupport'), url: portalUrlOf(site, deps.publicUrl) } : undefined;
    if (state.problem === 'used') return send(res, 409, { ...base, title: say('used'), link });
    // A reopen link outlives its window only to say where to go instead: a follow-up.
    if (state.token?.purpose === 'reopen') return send(res, 410, { ...base, title: say('reopenWindowEnded'), link });
    send(res, 410, { ...base, title: say('expired'), text: say('expiredHint'), link });
  }

  /** The question a GET shows, or what already makes the link moot. */
  function question(res: http.ServerResponse, link: OpenLink) {
    const { site, ticket, token } = link;
    const { t, base, say } = pageFor(site, token.locale);
    const subject = ticket?.subject ?? '';
    const portal = portalUrlOf(site, deps.publicUrl);
    const formTargets = [new URL(portal).origin];
    if (!current(link, ticket)) {
      return send(res, 200, { ...base, title: say('withdrawn', { status: t.status(ticket?.status ?? 'closed') }), link: { label: say('backToSupport'), url: portal } });
    }
    switch (token.purpose) {
      case 'view':
        return send(res, 200, { ...base, title: say('viewQuestion', { subject }), form: { button: say('viewButton') } }, formTargets);
      case 'sign_in':
        return send(res, 200, { ...base, title: say('signInQuestion', { address: token.address }), form: { button: say('signIn') } }, formTargets);
      case 'confirm':
        return send(res, 200, { ...base, title: say('confirmQuestion', { subject }), form: { button: say('confirm') } });
      case 'reject':
        return send(res, 200, {
          ...base,
          title: say('rejectQuestion'),
          form: { button: say('reject'), field: { name: 'message', label: say('rejectQuestion'), placeholder: say('rejectPlaceholder'), required: true } },
        });
      case 'reopen':
        return send(res, 200, { ...base, title: say('reopenQuestion', { subject }), form: { button: say('reopen'), field: { name: 'reason', label: say('reopenReason'), required: false } } });
      case 'unsubscribe':
        return send(res, 200, { ...base, title: say('unsubscribeQuestion', { address: token.address }), form: { button: say('unsubscribe') } });
      default:
        return problem(res, { ok: false, problem: 'unknown', token: null });
    }
  }

  /** Acts on a link: what the POST does, in one transaction with spending the token. */
  async function act(res: http.ServerResponse, raw: string, form: URLSearchParams) {
    const at = now();
    const opened = await store.emails.openLink(raw, at);
    if (!opened.ok) return problem(res, opened);
    const { site, token } = opened;
    const { t, base, say } = pageFor(site, token.locale);
    const portal = portalUrlOf(site, deps.publicUrl);
    const command = (): Command | null => {
      if (token.purpose === 'confirm') return { action: 'confirmResolution', rating: undefined, comment: undefined };
      if (token.purpose === 'reject') return { action: 'rejectResolution', body: form.get('message')?.trim() ?? '' };
      if (token.purpose === 'reopen') return { action: 'reopen', reason: form.get('reason')?.trim() || undefined };
      return null;
    };
    if (token.purpose === 'reject' && !form.get('message')?.trim()) {
      return send(res, 422, { ...base, title: say('missingText'), form: { button: say('reject'), field: { name: 'message', label: say('rejectQuestion'), required: true } } });
    }
    try {
      const used = await store.emails.useLink(raw, at, (link): LinkPlan => {
        const cmd = command();
        if (cmd) {
          const decide = decider(cmd, { kind: 'customer', id: link.ticket?.customerId ?? null }, at);
          return {
            kind: 'ticket',
            // Checked on the ticket as it is inside the transaction: a link acts only on what it was sent for.
            decide: (ticket, s) => {
              if (!current(link, ticket)) throw new Withdrawn();
              return decide(ticket, s);
            },
          };
        }
        if (token.purpose === 'unsubscribe') return { kind: 'unsubscribe' };
        if (token.purpose === 'view' || token.purpose === 'sign_in') return { kind: 'code' };
        throw new Withdrawn();
      });
      if (!used.ok) return problem(res, used);
      const { applied, code } = used;
      if (applied) deps.changed();
      if (code) {
        const target = new URL(token.returnUrl ?? portal);
        target.hash = new URLSearchParams({ closeloop_code: code, ...(opened.ticket ? { closeloop_ticket: opened.ticket.id } : {}) }).toString();
        res.writeHead(303, { location: target.toString(), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
        return res.end();
      }
      const done: Record<string, keyof MailTexts> = { confirm: 'confirmDone', reject: 'rejectDone', reopen: 'reopenDone', unsubscribe: 'unsubscribeDone' };
      return send(res, 200, { ...base, title: say(done[token.purpose] ?? 'confirmDone', { address: token.address }), link: { label: say('backToSupport'), url: portal } });
    } catch (error) {
      const ticket = opened.ticket && (await store.getTicket({ siteId: site.id, ticketId: opened.ticket.id }));
      if (error instanceof Withdrawn) return send(res, 409, { ...base, title: say('withdrawn', { status: t.status(ticket?.status ?? 'closed') }), link: { label: say('backToSupport'), url: portal } });
      if (error instanceof DomainError && error.code === 'REOPEN_WINDOW_EXPIRED') return send(res, 409, { ...base, title: say('reopenWindowEnded'), link: { label: say('backToSupport'), url: portal } });
      if (error instanceof DomainError) return send(res, 409, { ...base, title: say('withdrawn', { status: t.status(ticket?.status ?? 'closed') }), link: { label: say('backToSupport'), url: portal } });
      throw error;
    }
  }

  /** Answers the request if it is for an email link; false otherwise. */
  return async function serve(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
    const raw = PATH.exec(path)?.[1];
    if (!raw) return false;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const state = await store.emails.openLink(raw, now());
      if (!state.ok) await problem(res, state);
      else question(res, state);
      return true;
    }
    if (req.method === 'POST') {
      const form = await readForm(req);
      if (!form) {
        res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        res.end('Too large', () => req.destroy());
        return true;
      }
      await act(res, raw, form);
      return true;
    }
    return false;
  };
}
