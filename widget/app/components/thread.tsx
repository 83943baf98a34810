import type { Controller, TimelineItem } from '../controller.js';
import { dayLabel, differentDays, fileSize, messageTime } from '../format.js';
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

/**
 * The ticket's time-ordered thread: messages and status events, each with its time
 * as people write it, and a line for each new day when the thread spans several.
 */
export function Thread({ c, items }: { c: Controller; items: TimelineItem[] }) {
  const t = c.t.value;
  const locale = c.locale.value;
  const now = c.now();
  const spansDays = items.length > 1 && differentDays(items[0]!.at, items[items.length - 1]!.at);
  return (
    <ol class="thread">
      {items.map((item, i) => {
        const newDay = spansDays && (i === 0 || differentDays(items[i - 1]!.at, item.at));
        const day = newDay && (
          <li key={`d${item.at}`} class="day" role="separator">
            {dayLabel(item.at, now, locale)}
          </li>
        );
        const when = (
          <time class="when" dateTime={item.at}>
            {messageTime(item.at, now, locale)}
          </time>
        );
        if (item.kind === 'message') {
          const mine = item.author.kind === 'customer';
          return [
            day,
            <li key={item.id} class={`message ${mine ? 'mine' : 'theirs'}`}>
              <p class="author">
                {mine ? t('you') : (item.author.name ?? t('supportTeam'))} · {when}
              </p>
              <div class="bubble" dir="auto">
                <MessageText text={item.body} />
                {item.attachments.length > 0 && (
                  <ul class="sent-files">
                    {item.attachments.map((f) => (
                      <li key={f.id}>
                        <a href={f.url} target="_blank" rel="noopener noreferrer">
                          {/^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(f.contentType) ? <img src={f.thumbnailUrl ?? f.url} alt={f.name} loading="lazy" /> : `${f.name} (${fileSize(f.size)})`}
                        </a>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </li>,
          ];
        }
        const key = EVENT_TEXT[item.type];
        if (!key) return null;
        const { rating, reason } = (item.data ?? {}) as { rating?: number; reason?: string };
        // The API keeps 1–5 (agents and other clients may use any step); the customer chose a word.
        const word = rating === undefined ? '' : t(rating >= 4 ? 'rateGreat' : rating === 3 ? 'rateOkay' : 'rateBad');
        // The opening event stands right above the first message, which carries the time.
        return [
          day,
          <li key={`e${item.id}`} class="event">
            {t(key, { rating: word })}
            {item.type !== 'created' && <> · {when}</>}
            {/* A reopen's reason: the customer's own words, kept with the event. */}
            {reason && (
              <>
                <br />
                <q dir="auto">{reason}</q>
              </>
            )}
          </li>,
        ];
      })}
    </ol>
  );
}
