import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { date } from '../format.js';
import { AttachmentTray, useAttachments } from './attachments.js';
import { Field } from './field.js';
import { MESSAGE_LIMIT } from './new-ticket.js';
import { StatusBadge } from './status-badge.js';
import { Thread } from './thread.js';

export function TicketView({ c, id }: { c: Controller; id: string }) {
  const t = c.t.value;
  const shown = c.current.value;
  if (c.currentError.value && shown?.ticket.id !== id) {
    return (
      <div class="view">
        <p class="notice error" role="alert">
          {c.currentError.value}{' '}
          <button type="button" class="link" onClick={() => void c.reloadTicket(id)}>
            {t('retry')}
          </button>
        </p>
      </div>
    );
  }
  if (!shown || shown.ticket.id !== id) return <p class="view muted">{t('loading')}</p>;
  const { ticket, timeline } = shown;
  const can = (action: string) => (ticket.allowedActions as string[]).includes(action);

  return (
    <div class="view ticket">
      <div class="ticket-head">
        <h3 class="ticket-title" dir="auto">
          {ticket.subject}
        </h3>
        <StatusBadge status={ticket.status} t={t} />
      </div>
      {ticket.followUpOf && <p class="muted small">{t('followUpOf')}</p>}
      <Thread c={c} items={timeline} />
      {c.actionError.value && (
        <p class="notice error" role="alert">
          {c.actionError.value}
        </p>
      )}
      {can('confirmResolution') && <ResolutionBanner c={c} autoCloseAt={ticket.autoCloseAt} />}
      {ticket.status === 'closed' && <ClosedActions c={c} />}
      {ticket.status !== 'closed' && can('reply') && !can('confirmResolution') && <ReplyBox c={c} ticketId={ticket.id} />}
      <KeepToNewest c={c} ticketId={ticket.id} count={timeline.length} />
    </div>
  );
}

/**
 * A thread opens at its newest entry, with what the customer owes (confirm, rate, reply)
 * in view. Something new that arrives while they read further up shows a cue instead of
 * pulling the page away from under them; at the bottom, it simply scrolls into view.
 */
function KeepToNewest({ c, ticketId, count }: { c: Controller; ticketId: string; count: number }) {
  const mark = useRef<HTMLDivElement>(null);
  const seen = useRef<{ ticketId: string; count: number } | null>(null);
  const atBottom = useRef(true);
  const [cue, setCue] = useState(false);
  const box = () => mark.current?.closest<HTMLElement>('.panel:not(.inline) .panel-body') ?? null;
  const toBottom = () => {
    const el = box();
    if (el) el.scrollTop = el.scrollHeight;
    setCue(false);
  };

  useEffect(() => {
    const el = box();
    if (!el) return;
    const onScroll = () => {
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
      if (atBottom.current) setCue(false);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);

  useLayoutEffect(() => {
    const before = seen.current;
    seen.current = { ticketId, count };
    if (!before || before.ticketId !== ticketId || atBottom.current) return toBottom();
    if (count > before.count) setCue(true);
  }, [ticketId, count]);

  return (
    <div ref={mark} class="newest-mark">
      {cue && (
        <button type="button" class="new-reply-cue" onClick={toBottom}>
          {c.t.value('unread')} ↓
        </button>
      )}
    </div>
  );
}

function ReplyBox({ c, ticketId }: { c: Controller; ticketId: string }) {
  const t = c.t.value;
  const key = c.replyDraftKey(ticketId);
  const [text, setText] = useState(() => c.draft(key).message ?? '');
  const [error, setError] = useState('');
  const files = useAttachments(c);
  useEffect(() => setText(c.draft(key).message ?? ''), [key]);

  async function send(e: Event) {
    e.preventDefault();
    const ids = files.ids();
    if (!text.trim()) return setError(t('required'));
    if (text.trim().length > MESSAGE_LIMIT) return setError(t('tooLong', { limit: MESSAGE_LIMIT }));
    if (ids && (await c.reply(text.trim(), ids))) {
      setText('');
      files.clear();
    }
  }
  return (
    <form class="reply" onSubmit={(e) => void send(e)} noValidate {...files.handlers}>
      <Field
        id="cl-reply"
        label={t('reply')}
        multiline
        limit={MESSAGE_LIMIT}
        value={text}
        error={error}
        onInput={(value) => {
          setText(value);
          setError('');
          c.saveDraft(key, value ? { message: value } : null);
        }}
      />
      <AttachmentTray c={c} a={files} />
      <button type="submit" class="primary" disabled={c.busy.value || !files.ids()}>
        {c.busy.value ? t('sending') : t('send')}
      </button>
    </form>
  );
}

/** "Did this solve your problem?" Yes closes the ticket; No asks what is missing and reopens it. */
function ResolutionBanner({ c, autoCloseAt }: { c: Controller; autoCloseAt: string | null }) {
  const t = c.t.value;
  const [rejecting, setRejecting] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const field = useRef<HTMLInputElement | HTMLTextAreaElement | null>(null);
  useEffect(() => {
    if (rejecting) field.current?.focus();
  }, [rejecting]);

  async function reject(e: Event) {
    e.preventDefault();
    if (!text.trim()) return setError(t('required'));
    if (await c.rejectResolution(text.trim())) setRejecting(false);
  }

  return (
    <section class="banner" aria-labelledby="cl-resolved-q">
      <h4 id="cl-resolved-q">{t('resolvedQuestion')}</h4>
      {autoCloseAt && <p class="muted small">{t('autoCloseNote', { date: date(autoCloseAt, c.locale.value) })}</p>}
      {!rejecting ? (
        <div class="actions">
          <button type="button" class="primary" disabled={c.busy.value} onClick={() => void c.confirmResolution()}>
            {t('yesClose')}
          </button>
          <button type="button" class="secondary" disabled={c.busy.value} onClick={() => setRejecting(true)}>
            {t('noHelp')}
          </button>
        </div>
      ) : (
        <form onSubmit={(e) => void reject(e)} noValidate>
          <Field id="cl-reject" label={t('whatIsMissing')} multiline value={text} error={error} inputRef={field} onInput={(v) => { setText(v); setError(''); }} />
          <div class="actions">
            <button type="submit" class="primary" disabled={c.busy.value}>
              {t('sendToSupport')}
            </button>
            <button type="button" class="secondary" onClick={() => setRejecting(false)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** A closed ticket: rate it (once), reopen it inside the window, or open a follow-up after it. */
function ClosedActions({ c }: { c: Controller }) {
  const t = c.t.value;
  const ticket = c.current.value!.ticket;
  const can = (action: string) => (ticket.allowedActions as string[]).includes(action);
  const [reopening, setReopening] = useState(false);
  const [reason, setReason] = useState('');

  async function reopen(e: Event) {
    e.preventDefault();
    if (await c.reopen(reason.trim())) setReopening(false);
  }

  return (
    <section class="banner closed" aria-label={t('closedNote')}>
      <p>{t('closedNote')}</p>
      {can('rate') ? <Rating c={c} /> : ticket.rating !== null && <p class="muted small">{t('rateThanks')}</p>}
      {can('reopen') && !reopening && (
        <>
          {ticket.reopenUntil && <p class="muted small">{t('reopenUntil', { date: date(ticket.reopenUntil, c.locale.value) })}</p>}
          <button type="button" class="secondary" onClick={() => setReopening(true)}>
            {t('reopen')}
          </button>
        </>
      )}
      {reopening && can('reopen') && (
        <form onSubmit={(e) => void reopen(e)} noValidate>
          <Field id="cl-reopen" label={`${t('reopenReason')} (${t('optional')})`} multiline value={reason} onInput={setReason} />
          <div class="actions">
            <button type="submit" class="primary" disabled={c.busy.value}>
              {t('reopen')}
            </button>
            <button type="button" class="secondary" onClick={() => setReopening(false)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
      {!can('reopen') && can('createFollowUp') && (
        <>
          <p class="muted small">{t('followUpHint')}</p>
          <button type="button" class="secondary" onClick={() => c.newTicket({}, ticket.id)}>
            {t('followUp')}
          </button>
        </>
      )}
    </section>
  );
}

/** Words, not bare stars: each choice says what it means, stored on the 1–5 scale the API keeps. */
const CHOICES = [
  [5, 'rateGreat'],
  [3, 'rateOkay'],
  [1, 'rateBad'],
] as const;

function Rating({ c }: { c: Controller }) {
  const t = c.t.value;
  const [rating, setRating] = useState(0);
  const [comment, setComment] = useState('');
  return (
    <form
      class="rating"
      onSubmit={(e) => {
        e.preventDefault();
        if (rating > 0) void c.rate(rating, comment.trim());
      }}
    >
      <fieldset>
        <legend>{t('rateTitle')}</legend>
        <div class="choices">
          {CHOICES.map(([n, key]) => (
            <label key={n} class={n === rating ? 'choice on' : 'choice'}>
              <input type="radio" name="cl-rating" value={n} checked={rating === n} onChange={() => setRating(n)} />
              {t(key)}
            </label>
          ))}
        </div>
      </fieldset>
      {rating > 0 && (
        <>
          <Field id="cl-rate-comment" label={`${t('rateComment')} (${t('optional')})`} multiline value={comment} onInput={setComment} />
          <button type="submit" class="primary" disabled={c.busy.value}>
            {t('rateSend')}
          </button>
        </>
      )}
    </form>
  );
}
