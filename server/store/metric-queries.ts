/**
 * The metrics' reads, one SQL text for both databases (they differ only in how a
 * ticket's tag list is read), and the writes to earlier facts an event asks for.
 */
import { sql, type SQL } from 'drizzle-orm';
import { CLOSE_KINDS, type FactUpdate } from '../analytics/ticket-tracking.js';
import type { MetricCount, MetricDuration, MetricQuery } from './store.js';

type Dialect = 'sqlite' | 'postgres';

const DAY = 86_400_000;

/** Each ticket tag as a row `tag(value)`, or none. */
const tagRows = (dialect: Dialect) =>
  dialect === 'sqlite' ? sql`LEFT JOIN json_each(t.tags) AS tag` : sql`LEFT JOIN LATERAL jsonb_array_elements_text(t.tags) AS tag(value) ON true`;

const hasTag = (dialect: Dialect, tag: string) =>
  dialect === 'sqlite'
    ? sql`EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value = ${tag})`
    : sql`t.tags @> jsonb_build_array(${tag}::text)`;

function keyOf(q: MetricQuery): SQL {
  switch (q.groupBy) {
    case 'time':
      return sql`CAST((f.at - ${q.from}) / ${q.bucketMs ?? DAY} AS INTEGER)`;
    case 'topic':
      return sql`f.topic_id`;
    case 'priority':
      return sql`f.priority`;
    case 'assignee':
      return sql`f.assignee_id`;
    case 'tag':
      return sql`tag.value`;
    default:
      return sql`NULL`;
  }
}

/** FROM and WHERE for a query's facts. */
function factsIn(dialect: Dialect, q: MetricQuery): SQL {
  const { topicId, tag, priority, assigneeId } = q.filters;
  const needsTicket = q.groupBy === 'tag' || tag !== undefined;
  const parts: SQL[] = [sql`FROM metric_facts f`];
  if (needsTicket) parts.push(sql`JOIN tickets t ON t.id = f.ticket_id`);
  if (q.groupBy === 'tag') parts.push(tagRows(dialect));
  parts.push(sql`WHERE f.site_id = ${q.siteId} AND f.at >= ${q.from} AND f.at < ${q.to}`);
  if (topicId !== undefined) parts.push(topicId === null ? sql`AND f.topic_id IS NULL` : sql`AND f.topic_id = ${topicId}`);
  if (priority !== undefined) parts.push(sql`AND f.priority = ${priority}`);
  if (assigneeId !== undefined) parts.push(assigneeId === null ? sql`AND f.assignee_id IS NULL` : sql`AND f.assignee_id = ${assigneeId}`);
  if (tag !== undefined) parts.push(sql`AND`, hasTag(dialect, tag));
  return sql.join(parts, sql` `);
}

// GROUP BY by position: PostgreSQL would not see a repeated expression with parameters as the same one.
export function countsQuery(dialect: Dialect, q: MetricQuery): SQL {
  const key = keyOf(q);
  return sql`SELECT f.kind AS kind, ${key} AS key, count(*) AS n,
    coalesce(sum(f.rating), 0) AS rating_sum,
    sum(CASE WHEN f.rating >= 4 THEN 1 ELSE 0 END) AS satisfied,
    sum(CASE WHEN f.reopened_later THEN 1 ELSE 0 END) AS reopened_later,
    sum(CASE WHEN f.followed_up THEN 1 ELSE 0 END) AS followed_up,
    sum(CASE WHEN f.latest AND f.one_touch THEN 1 ELSE 0 END) AS one_touch
    ${factsIn(dialect, q)}
    GROUP BY 1, 2`;
}

/** First replies, and latest resolutions (full resolution time counts a ticket's latest only). */
export function durationsQuery(dialect: Dialect, q: MetricQuery): SQL {
  return sql`SELECT f.kind AS kind, ${keyOf(q)} AS key, f.ms AS ms, f.business_ms AS business_ms, f.wait_ms AS wait_ms, f.wait_business_ms AS wait_business_ms
    ${factsIn(dialect, q)}
    AND (f.kind = 'first_reply' OR (f.kind = 'resolved' AND f.latest))`;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const key = (v: unknown) => (typeof v === 'bigint' ? Number(v) : (v as string | number | null));

export const countRow = (r: Record<string, unknown>): MetricCount => ({
  kind: String(r.kind),
  key: key(r.key),
  n: Number(r.n),
  ratingSum: Number(r.rating_sum),
  satisfied: Number(r.satisfied),
  reopenedLater: Number(r.reopened_later),
  followedUp: Number(r.followed_up),
  oneTouch: Number(r.one_touch),
});

/** The same from a row read as an array, in the query's column order (no object per row: there are many). */
export const durationValues = (r: unknown[]): MetricDuration => ({
  kind: String(r[0]),
  key: key(r[1]),
  ms: Number(r[2]),
  businessMs: Number(r[3]),
  waitMs: num(r[4]),
  waitBusinessMs: num(r[5]),
});

export const durationRow = (r: Record<string, unknown>): MetricDuration => ({
  kind: String(r.kind),
  key: key(r.key),
  ms: Number(r.ms),
  businessMs: Number(r.business_ms),
  waitMs: num(r.wait_ms),
  waitBusinessMs: num(r.wait_business_ms),
});

export const UNSOLVED = ['new', 'open', 'answered', 'postponed'] as const;

/** Unsolved tickets by status and age (since creation) now. */
export function backlogQuery(siteId: string, now: number): SQL {
  const age = sql`CASE
    WHEN t.created_at > ${now - DAY} THEN 'under1d'
    WHEN t.created_at > ${now - 3 * DAY} THEN '1to3d'
    WHEN t.created_at > ${now - 7 * DAY} THEN '3to7d'
    WHEN t.created_at > ${now - 30 * DAY} THEN '7to30d'
    ELSE 'over30d' END`;
  return sql`SELECT t.status AS status, ${age} AS age, count(*) AS n FROM tickets t
    WHERE t.site_id = ${siteId} AND t.status IN ('new', 'open', 'answered', 'postponed')
    GROUP BY 1, 2`;
}

/** "To solve" candidates, most urgent first: nearest due target, then the longest wait. */
export function nextQuery(siteId: string, agentId: string): SQL {
  return sql`SELECT t.id AS id FROM tickets t
    WHERE t.site_id = ${siteId} AND t.status IN ('new', 'open') AND (t.assignee_id IS NULL OR t.assignee_id = ${agentId})
    ORDER BY CASE WHEN t.sla_due_at IS NULL THEN 1 ELSE 0 END, t.sla_due_at, CASE WHEN t.waiting_since IS NULL THEN 1 ELSE 0 END, t.waiting_since, t.created_at, t.id`;
}

/** The SQL an event's fact updates run, given the dialect's true. */
export function factUpdateQueries(ticket: { id: string; topicId: string | null; priority: string; assigneeId: string | null }, updates: FactUpdate[], yes: SQL): SQL[] {
  const closeKinds = sql.join(CLOSE_KINDS.map((k) => sql`${k}`), sql`, `);
  return updates.map((u) => {
    switch (u.type) {
      case 'dims':
        return sql`UPDATE metric_facts SET topic_id = ${ticket.topicId}, priority = ${ticket.priority}, assignee_id = ${ticket.assigneeId} WHERE ticket_id = ${ticket.id}`;
      case 'supersede':
        return u.family === 'resolved'
          ? sql`UPDATE metric_facts SET latest = NOT ${yes} WHERE ticket_id = ${ticket.id} AND kind = 'resolved' AND latest`
          : sql`UPDATE metric_facts SET latest = NOT ${yes} WHERE ticket_id = ${ticket.id} AND kind IN (${closeKinds}) AND latest`;
      case 'flagLatestClose':
        return u.flag === 'reopenedLater'
          ? sql`UPDATE metric_facts SET reopened_later = ${yes} WHERE ticket_id = ${ticket.id} AND kind IN (${closeKinds}) AND latest`
          : sql`UPDATE metric_facts SET followed_up = ${yes} WHERE ticket_id = ${ticket.id} AND kind IN (${closeKinds}) AND latest`;
    }
  });
}
