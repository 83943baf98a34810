const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 minutes ago", "yesterday" ("1 day ago" with numeric 'always'), "in 2 hours": through Intl, in the widget's language. */
export function relativeTime(iso: string, now: number, locale: string, numeric: 'auto' | 'always' = 'auto'): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(0, 'second');
}

/** The calendar day of a moment, as a comparable "YYYY-MM-DD" in the reader's time zone. */
const dayOf = (at: number, timeZone?: string) =>
  new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', ...(timeZone ? { timeZone } : {}) }).format(at);

const capitalise = (text: string) => text.charAt(0).toLocaleUpperCase() + text.slice(1);

/** "Today" or "Yesterday" in the reader's language, else null. */
function nearDay(at: number, now: number, locale: string, timeZone?: string): string | null {
  const day = dayOf(at, timeZone);
  const words = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (day === dayOf(now, timeZone)) return capitalise(words.format(0, 'day'));
  if (day === dayOf(now - 86_400_000, timeZone)) return capitalise(words.format(-1, 'day'));
  return null;
}

/** A day as people write it: "Today", "Yesterday", "12 Mar" this year, "12 Mar 2025" before. */
export function dayLabel(iso: string, now: number, locale: string, timeZone?: string): string {
  const at = Date.parse(iso);
  const near = nearDay(at, now, locale, timeZone);
  if (near) return near;
  const sameYear = dayOf(at, timeZone).slice(0, 4) === dayOf(now, timeZone).slice(0, 4);
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }), ...(timeZone ? { timeZone } : {}) }).format(at);
}

/** A message's time as people write it: "14:05" today, "Yesterday 14:05", "12 Mar, 14:05" this year, with the year before. */
export function messageTime(iso: string, now: number, locale: string, timeZone?: string): string {
  const at = Date.parse(iso);
  const time = new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit', ...(timeZone ? { timeZone } : {}) }).format(at);
  if (dayOf(at, timeZone) === dayOf(now, timeZone)) return time;
  return `${dayLabel(iso, now, locale, timeZone)} ${time}`;
}

/** True when two moments fall on different calendar days for the reader. */
export const differentDays = (a: string, b: string, timeZone?: string) => dayOf(Date.parse(a), timeZone) !== dayOf(Date.parse(b), timeZone);

export function date(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso));
}

/** A file's size as people read it: 512 B, 40 KB, 3.2 MB. */
export const fileSize = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
