import type { Controller } from '../controller.js';
import { relativeTime } from '../format.js';
import { StatusBadge } from './status-badge.js';

export function Home({ c }: { c: Controller }) {
  const t = c.t.value;
  const list = c.tickets.value;
  return (
    <div class="view">
      <p class="greeting">{t('greeting')}</p>
      {t('responseTime') && <p class="muted small">{t('responseTime')}</p>}
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
      {list?.length === 0 && (
        <div class="empty">
          <p class="empty-title">{t('noTickets')}</p>
          <p class="muted">{t('noTicketsHint')}</p>
        </div>
      )}
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
    </div>
  );
}
