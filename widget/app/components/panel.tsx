import { useEffect, useRef } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { Home } from './home.js';
import { NewTicket } from './new-ticket.js';
import { TicketView } from './ticket-view.js';

/** The support panel: a labelled dialog over the page, or inline as the full-page portal. */
export function Panel({ c, inline, onClose }: { c: Controller; inline: boolean; onClose: () => void }) {
  const t = c.t.value;
  const view = c.view.value;
  const heading = useRef<HTMLHeadingElement>(null);

  // Focus moves into the panel when it opens and to the heading when the view changes.
  useEffect(() => {
    if (!inline) heading.current?.focus();
  }, [view.name, view.name === 'ticket' ? view.id : '']);

  const title = view.name === 'new' ? t('newTicket') : t('title');
  return (
    <div
      class={inline ? 'panel inline' : 'panel'}
      role={inline ? 'region' : 'dialog'}
      aria-modal={inline ? undefined : 'false'}
      aria-labelledby="cl-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !inline) {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      {/* Not a <header>: inside a dialog it would be a second banner beside the host page's own. */}
      <div class="panel-head">
        {view.name !== 'home' ? (
          <button type="button" class="icon" aria-label={t('back')} onClick={() => c.showHome()}>
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
              <path fill="currentColor" d="M15.4 7.4 14 6l-6 6 6 6 1.4-1.4L10.8 12z" />
            </svg>
          </button>
        ) : (
          <span class="spacer" />
        )}
        <h2 id="cl-title" ref={heading} tabIndex={-1}>
          {title}
        </h2>
        {!inline ? (
          <button type="button" class="icon" aria-label={t('close')} onClick={onClose}>
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
              <path fill="currentColor" d="M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3z" />
            </svg>
          </button>
        ) : (
          <span class="spacer" />
        )}
      </div>
      {!c.online.value && (
        <p class="notice warn" role="status">
          {t('offline')}
        </p>
      )}
      {c.sessionError.value && (
        <p class="notice error" role="alert">
          {c.sessionError.value}
        </p>
      )}
      <div class="panel-body">
        {view.name === 'home' && <Home c={c} portal={inline} />}
        {view.name === 'new' && <NewTicket key={view.followUpOf ?? 'new'} c={c} followUpOf={view.followUpOf} />}
        {view.name === 'ticket' && <TicketView c={c} id={view.id} />}
      </div>
      <p class="sr-only" aria-live="polite" role="status">
        {c.announcement.value}
      </p>
    </div>
  );
}
