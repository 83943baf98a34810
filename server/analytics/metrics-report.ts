/**
 * One metrics summary, as the API, the SDK and `closeloop report` give it: totals
 * for the range, figures per group when asked, and the backlog now.
 */
import { PRIORITIES } from '../lifecycle/lifecycle.js';
import type { MetricQuery, SiteRow, Store } from '../store/store.js';
import { backlogFigures, bucketMsFor, figures, groupFigures, periodOf, periodsIn, type Figures, type GroupBy } from './metrics-summary.js';

export interface MetricsSummary {
  from: string;
  to: string;
  /** Where the days and weeks of `groups` begin and end. */
  timeZone: string;
  /** The range's figures, and the backlog: unsolved tickets now, whatever the range. */
  totals: Figures & ReturnType<typeof backlogFigures>;
  /** With `groupBy`: the figures of each day, week, topic, tag, priority or assignee (`key`; null: none). */
  groups?: ({ key: string | null } & Figures)[];
}

export interface SummaryRequest {
  from: number;
  to: number;
  groupBy?: GroupBy | undefined;
  filters?: MetricQuery['filters'] | undefined;
  /** Where days and weeks begin; default the site's business-hours zone, else UTC. */
  timeZone?: string | undefined;
}

export async function metricsSummary(store: Store, site: SiteRow, request: SummaryRequest, now: number): Promise<MetricsSummary> {
  const { from, to, groupBy } = request;
  const timeZone = request.timeZone ?? site.sla?.schedule?.timeZone ?? 'UTC';
  const base = { siteId: site.id, from, to, filters: request.filters ?? {} };
  const byTime = groupBy === 'day' || groupBy === 'week';
  const bucketMs = byTime ? bucketMsFor(timeZone, from, to) : undefined;
  // A ticket with two tags counts in both tags' groups: the totals are added up on their own.
  const [grouped, ungrouped, backlog] = await Promise.all([
    groupBy ? store.metrics.facts({ ...base, groupBy: byTime ? 'time' : groupBy, bucketMs }) : null,
    !groupBy || groupBy === 'tag' ? store.metrics.facts({ ...base, groupBy: 'none' }) : null,
    store.metrics.backlog(site.id, now),
  ]);
  const total = ungrouped ?? grouped!;
  const summary: MetricsSummary = {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    timeZone,
    totals: { ...figures(total.counts, total.durations), ...backlogFigures(backlog) },
  };
  if (!groupBy || !grouped) return summary;
  // Many rows share a bucket: each bucket's day is worked out once.
  const days = new Map<string | number | null, string>();
  const label = byTime
    ? (key: string | number | null) => {
        let day = days.get(key);
        if (day === undefined) days.set(key, (day = periodOf(groupBy, timeZone, from + Number(key) * bucketMs!)));
        return day;
      }
    : (key: string | number | null) => (key === null ? null : String(key));
  const all: (string | null)[] = byTime
    ? periodsIn(groupBy, timeZone, from, to)
    : groupBy === 'topic'
      ? site.topics.map((t) => t.id)
      : groupBy === 'priority'
        ? [...PRIORITIES]
        : [];
  return { ...summary, groups: groupFigures(grouped.counts, grouped.durations, label, all) };
}
