/**
 * Metrics from the facts the stores add up: named figures for a date range, in
 * total and per group. Pure; the definitions are the README's ("Metrics").
 */
import type { MetricCount, MetricDuration } from '../store/store.js';
import { fromWallClock, localDay } from './business-hours.js';
import { CLOSE_KINDS } from './ticket-tracking.js';

export const GROUP_BYS = ['day', 'week', 'topic', 'tag', 'priority', 'assignee'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface Percentiles {
  p50: number | null;
  p90: number | null;
}

export type Figures = ReturnType<typeof figures>;

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Nearest-rank percentiles of some durations (null when there are none). */
export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: null, p90: null };
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: rank(0.5), p90: rank(0.9) };
}

const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** The figures of one set of facts. */
export function figures(counts: MetricCount[], durations: MetricDuration[]) {
  const of = (kinds: readonly string[]) => counts.filter((c) => kinds.includes(c.kind));
  const n = (...kinds: string[]) => of(kinds).reduce((sum, c) => sum + c.n, 0);
  const closes = of(CLOSE_KINDS);
  const ratings = of(['rated']);
  const rated = n('rated');
  const resolved = n('resolved');
  const closed = n(...CLOSE_KINDS);
  const autoClosed = n('closed_auto');
  const firstReplies = durations.filter((d) => d.kind === 'first_reply');
  const resolutions = durations.filter((d) => d.kind === 'resolved');
  return {
    created: n('created'),
    resolved,
    closed,
    closedByCustomer: n('closed_customer'),
    autoClosed,
    closedByAgent: n('closed_agent'),
    reopened: n('reopened'),
    firstReplyMs: percentiles(firstReplies.map((d) => d.ms)),
    firstReplyMsBusiness: percentiles(firstReplies.map((d) => d.businessMs)),
    fullResolutionMs: percentiles(resolutions.map((d) => d.ms)),
    fullResolutionMsBusiness: percentiles(resolutions.map((d) => d.businessMs)),
    requesterWaitMs: percentiles(resolutions.map((d) => d.waitMs ?? 0)),
    requesterWaitMsBusiness: percentiles(resolutions.map((d) => d.waitBusinessMs ?? 0)),
    confirmationRate: ratio(n('confirmed'), resolved),
    rejectionRate: ratio(n('rejected'), resolved),
    autoCloseShare: ratio(autoClosed, closed),
    reopenRate: ratio(closes.reduce((sum, c) => sum + c.reopenedLater, 0), closed),
    followUpRate: ratio(closes.reduce((sum, c) => sum + c.followedUp, 0), closed),
    oneTouchResolutions: of(['resolved']).reduce((sum, c) => sum + c.oneTouch, 0),
    csatSatisfiedShare: ratio(ratings.reduce((sum, c) => sum + c.satisfied, 0), rated),
    csatAverage: ratio(ratings.reduce((sum, c) => sum + c.ratingSum, 0), rated),
    ratings: rated,
    slaBreaches: n('sla_breached'),
  };
}

/** How finely facts are bucketed for days and weeks: a zone whose offset is in whole hours needs hours. */
export function bucketMsFor(timeZone: string, from: number, to: number): number {
  const whole = [from, to].every((at) => (localDay(timeZone, at) - fromWallClock(timeZone, localDay(timeZone, at))) % HOUR === 0);
  return whole ? HOUR : 15 * 60_000;
}

/** The local date (YYYY-MM-DD) a time bucket falls on, or the Monday of its week. */
export function periodOf(groupBy: 'day' | 'week', timeZone: string, bucketStart: number): string {
  let day = localDay(timeZone, bucketStart);
  if (groupBy === 'week') day -= ((new Date(day).getUTCDay() + 6) % 7) * DAY;
  return new Date(day).toISOString().slice(0, 10);
}

/** Every day or week of the range in order, so a chart shows the quiet ones as zero. */
export function periodsIn(groupBy: 'day' | 'week', timeZone: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let day = localDay(timeZone, from); fromWallClock(timeZone, day) < to; day += DAY) {
    const label = periodOf(groupBy, timeZone, fromWallClock(timeZone, day));
    if (out[out.length - 1] !== label) out.push(label);
  }
  return out;
}

/**
 * Figures per group. `label` names a row's group (for days and weeks, from its time bucket);
 * `all` lists groups that must appear even when empty, in order.
 */
export function groupFigures(counts: MetricCount[], durations: MetricDuration[], label: (key: string | number | null) => string | null, all: (string | null)[] = []) {
  const groups = new Map<string | null, { counts: MetricCount[]; durations: MetricDuration[] }>();
  const groupOf = (key: string | null) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { counts: [], durations: [] }));
    return g;
  };
  for (const key of all) groupOf(key);
  // The rest in a stable order whatever order the database added them up in: by key, none last.
  const rest = [...new Set([...counts, ...durations].map((row) => label(row.key)))]
    .filter((key) => !groups.has(key))
    .sort((a, b) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)));
  for (const key of rest) groupOf(key);
  for (const c of counts) groupOf(label(c.key)).counts.push(c);
  for (const d of durations) groupOf(label(d.key)).durations.push(d);
  return [...groups].map(([key, g]) => ({ key, ...figures(g.counts, g.durations) }));
}

/** Unsolved tickets now, by status and by age since creation, as flat figures of the totals. */
export function backlogFigures(rows: { status: string; age: string; n: number }[]) {
  const sum = (pick: (r: { status: string; age: string }) => boolean) => rows.filter(pick).reduce((total, r) => total + r.n, 0);
  return {
    backlog: sum(() => true),
    backlogNew: sum((r) => r.status === 'new'),
    backlogOpen: sum((r) => r.status === 'open'),
    backlogAnswered: sum((r) => r.status === 'answered'),
    backlogPostponed: sum((r) => r.status === 'postponed'),
    backlogUnder1d: sum((r) => r.age === 'under1d'),
    backlog1to3d: sum((r) => r.age === '1to3d'),
    backlog3to7d: sum((r) => r.age === '3to7d'),
    backlog7to30d: sum((r) => r.age === '7to30d'),
    backlogOver30d: sum((r) => r.age === 'over30d'),
  };
}
