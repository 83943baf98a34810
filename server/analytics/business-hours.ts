/**
 * Business hours: when a site's support is open, as instants. A schedule is
 * weekly hours in a time zone, minus holidays; no schedule means every hour
 * counts. Pure: the clock is always passed in.
 */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Schedule {
  /** An IANA zone such as `Europe/Tallinn`. */
  timeZone: string;
  /** Open hours, local time `HH:MM` (`to` may be `24:00`). */
  weekly: { day: Weekday; from: string; to: string }[];
  /** Local dates (`YYYY-MM-DD`) when support is closed all day. */
  holidays: string[];
}

const DAY = 86_400_000;
/** Looking further than this for open hours means the schedule has none. */
const HORIZON_DAYS = 3 * 366;

const formats = new Map<string, Intl.DateTimeFormat>();
function format(timeZone: string) {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `at`, read through Intl (a few microseconds each time). */
function readOffset(timeZone: string, at: number): number {
  const p: Record<string, number> = {};
  for (const part of format(timeZone).formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - (at - ((at % 1000) + 1000) % 1000);
}

/**
 * Offsets by zone and quarter hour: zones change offset on a quarter hour, so one reading
 * serves the whole quarter. Metrics and due dates ask for the same days again and again.
 */
const QUARTER = 900_000;
const offsets = new Map<string, number>();
function offsetAt(timeZone: string, at: number): number {
  const key = `${timeZone}@${Math.floor(at / QUARTER)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size > 100_000) offsets.clear();
    offsets.set(key, (offset = readOffset(timeZone, Math.floor(at / QUARTER) * QUARTER)));
  }
  return offset;
}

/** The wall-clock reading in `timeZone` at `at`, written as if it were UTC. */
const wallClock = (timeZone: string, at: number): number => at + offsetAt(timeZone, at);

/** True when `timeZone` is a zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    format(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The instant a local wall-clock time (as UTC ms) happens in `timeZone`; in a spring-forward gap, the instant after it. */
export function fromWallClock(timeZone: string, wall: number): number {
  const guess = wall - (wallClock(timeZone, wall) - wall);
  const second = wall - (wallClock(timeZone, guess) - guess);
  return second;
}

/** The local date (as UTC midnight ms) of an instant. */
export const localDay = (timeZone: string, at: number) => Math.floor(wallClock(timeZone, at) / DAY) * DAY;

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h! * 60 + m!) * 60_000;
};

/** Open intervals [start, end) of one local day, as instants. */
function openOn(schedule: Schedule, day: number): [number, number][] {
  if (schedule.holidays.includes(new Date(day).toISOString().slice(0, 10))) return [];
  const weekday = WEEKDAYS[new Date(day).getUTCDay()];
  const out: [number, number][] = [];
  for (const w of schedule.weekly) {
    if (w.day !== weekday) continue;
    const start = fromWallClock(schedule.timeZone, day + minutes(w.from));
    const end = fromWallClock(schedule.timeZone, day + minutes(w.to));
    if (end > start) out.push([start, end]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Open intervals from the local day of `from` on, in time order, for up to `days` days. */
function* openIntervals(schedule: Schedule, from: number, days = HORIZON_DAYS): Generator<[number, number]> {
  const first = localDay(schedule.timeZone, from);
  for (let d = 0; d < days; d++) yield* openOn(schedule, first + d * DAY);
}

/** How much of [start, end) falls in open hours; with no schedule, all of it. */
export function businessMs(schedule: Schedule | null, start: number, end: number): number {
  if (end <= start) return 0;
  if (!schedule) return end - start;
  let total = 0;
  const days = Math.ceil((end - start) / DAY) + 2;
  for (const [a, b] of openIntervals(schedule, start, days)) {
    if (a >= end) break;
    total += Math.max(0, Math.min(b, end) - Math.max(a, start));
  }
  return total;
}

/** The instant `ms` of open hours after `start`; null when the schedule never opens again. */
export function addBusinessMs(schedule: Schedule | null, start: number, ms: number): number | null {
  if (!schedule) return start + ms;
  let left = ms;
  for (const [a, b] of openIntervals(schedule, start)) {
    if (b <= start) continue;
    const from = Math.max(a, start);
    if (from + left <= b) return from + left;
    left -= b - from;
  }
  return null;
}

/** When support is next open at or after `at` (`at` itself when open now); null when never. */
export function nextOpen(schedule: Schedule | null, at: number): number | null {
  return addBusinessMs(schedule, at, 0);
}
