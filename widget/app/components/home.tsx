import { useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { messageTime, relativeTime } from '../format.js';
import { EmailSignIn } from './email-sign-in.js';
import { StatusBadge } from './status-badge.js';

/** The portal's own tools over the customer's list: which tickets, and a search over their subjects. */
function usePortalFilter(c: Controller, portal: boolean) {
  const [show, setShow] = useState('all');
  const [query, setQuery] = useState('');
  const all = c.tickets.value;
  const q = query.trim().toLocaleLowerCase();
  // Filtered only when the customer set a filter: an empty list is otherwise the empty state.
  const filtered = portal && (show !== 'all' || q !== '');
  const list = filtered && all ? all.filter((x) => (show === 'all' || (show === 'closed') === (x.status === 'closed')) && x.subject.toLocaleLowerCase().includes(q)) : all;
  return { show, setShow, query, setQuery, list, filtered };
}

/** "We usually reply within 2 hours", or when support is back; the site's own text wins. */
function replyPromise(c: Controller) {
  const t = c.t.value;
  const r = c.site.value?.replyWithin;
  if (t('responseTime') || !r) return t('responseTime');
  const now = c.now();
  if (r.backAt) return t('backAt', { time: messageTime(r.backAt, now, c.locale.value) });
  return r.minutes ? t('replyWithin', { time: relativeTime(new Date(now + r.minutes * 60_000).toISOString(), now, c.locale.value, 'always') }) : '';
}

export function Home({ c, portal = false }: { c: Controller; portal?: boolean }) {
  const t = c.t.value;
  const promise = replyPromise(c);
  const f = usePortalFilter(c, portal);
  const list = f.list;
  return (
    <div class="view">
      <p class="greeting">{t('greeting')}</p>
      {promise && <p class="muted small">{promise}</p>}
      <button type="button" class="primary wide" onClick={() => c.newTicket()}>
        {t('newTicket')}
      </button>
      {c.ticketsError.value && (
        <div class="notice error" role="alert">
          {c.ticketsError.value}{' '}
          <button type="button" class="link" onClick={() => void c.refreshTickets()}>
            {t('retry')}
          </button>
        </div>
      )}
      {list === null && c.ticketsLoading.value && <p class="muted">{t('loading')}</p>}
      {!f.filtered && list?.length === 0 && (
        <div class="empty">
          <p class="empty-title">{t('noTickets')}</p>
          <p class="muted">{t('noTicketsHint')}</p>
        </div>
      )}
      {portal && !!c.tickets.value?.length && (
        <div class="portal-tools">
          <select aria-label={t('yourTickets')} value={f.show} onChange={(e) => f.setShow(e.currentTarget.value)}>
            <option value="all">{t('showAll')}</option>
            <option value="open">{t('showOpen')}</option>
            <option value="closed">{t('showClosed')}</option>
          </select>
          <input type="search" aria-label={t('search')} placeholder={t('search')} value={f.query} onInput={(e) => f.setQuery(e.currentTarget.value)} />
        </div>
      )}
      {f.filtered && list?.length === 0 && <p class="muted">{t('noMatches')}</p>}
      {list && list.length > 0 && (
        <section aria-labelledby="cl-yours">
          <h3 id="cl-yours" class="section-title">
            {t('yourTickets')}
          </h3>
          <ul class="tickets">
            {list.map((ticket) => (
              <li key={ticket.id}>
                <button type="button" class={`ticket-row${ticket.status === 'resolved' ? ' awaits-you' : ''}`} onClick={() => c.showTicket(ticket.id)}>
                  <span class="ticket-subject">
                    {ticket.unread && <span class="dot" aria-label={t('unread')} role="img" />}
                    <bdi dir="auto">{ticket.subject}</bdi>
                  </span>
                  {ticket.preview && (
                    <span class="ticket-preview" dir="auto">
                      {ticket.preview}
                    </span>
                  )}
                  <span class="ticket-meta">
                    <StatusBadge status={ticket.status} t={t} />
                    <time dateTime={ticket.lastActivityAt}>{relativeTime(ticket.lastActivityAt, c.now(), c.locale.value)}</time>
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {c.ticketsCursor.value && (
            <button type="button" class="secondary wide" disabled={c.ticketsLoading.value} onClick={() => void c.loadMore()}>
              {c.ticketsLoading.value ? t('loading') : t('loadMore')}
            </button>
          )}
        </section>
      )}
      {portal && !c.verified.value && <EmailSignIn c={c} />}
    </div>
  );
}
