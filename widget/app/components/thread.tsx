import type { Controller, TimelineItem } from '../controller.js';
import { dateTime } from '../format.js';
import type { Messages } from '../locales/en.js';
import { MessageText } from './message-text.js';

const EVENT_TEXT: Record<string, keyof Messages> = {
  created: 'eventCreated',
  resolved: 'eventResolved',
  resolution_confirmed: 'eventConfirmed',
  resolution_rejected: 'eventRejected',
  reopened: 'eventReopened',
  rated: 'eventRated',
  follow_up_created: 'eventFollowUp',
  closed: 'eventClosed',
  auto_closed: 'eventAutoClosed',
};

/** The ticket's time-ordered thread: messages and status events, each with its time. */
export function Thread({ c, items }: { c: Controller; items: TimelineItem[] }) {
  const t = c.t.value;
  const locale = c.locale.value;
  return (
    <ol class="thread">
      {items.map((item) => {
        const when = (
          <time class="when" dateTime={item.at}>
            {dateTime(item.at, locale)}
          </time>
        );
        if (item.kind === 'message') {
          const mine = item.author.kind === 'customer';
          return (
            <li key={item.id} class={`message ${mine ? 'mine' : 'theirs'}`}>
              <p class="author">
                {mine ? t('you') : (item.author.name ?? t('supportTeam'))} · {when}
              </p>
              <div class="bubble" dir="auto">
                <MessageText text={item.body} />
              </div>
            </li>
          );
        }
        const key = EVENT_TEXT[item.type];
        if (!key) return null;
        const rating = (item.data as { rating?: number } | null)?.rating;
        return (
          <li key={`e${item.id}`} class="event">
            {t(key, { rating: rating ?? '' })} · {when}
          </li>
        );
      })}
    </ol>
  );
}
