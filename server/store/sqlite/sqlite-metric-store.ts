/**
 * The SQLite side of `Store['metrics']`, and the fact writes a ticket change makes
 * (run inside the caller's transaction: better-sqlite3 has one connection).
 */
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Tracked } from '../../analytics/ticket-tracking.js';
import { factRows, replayTicket, trackingColumns } from '../metric-writes.js';
import { backlogQuery, countRow, countsQuery, durationsQuery, durationValues, factUpdateQueries, nextQuery } from '../metric-queries.js';
import type { ActorRef, Applied, Decide, MetricStore, SiteRow, TicketRef, TicketRow } from '../store.js';
import type { Db } from './open-database.js';
import { events, metricFacts, sites, tickets } from './schema.js';

interface Deps {
  db: Db;
  immediate: <T>(fn: () => T) => Promise<T>;
  applyOne: (ref: TicketRef, actor: ActorRef, decide: Decide) => Applied;
}

export function createSqliteMetricStore({ db, immediate, applyOne }: Deps) {
  const p = sql.placeholder;
  // Prepared once: building the insert's SQL on every change cost more than running it.
  const insertFact = db
    .insert(metricFacts)
    .values({
      siteId: p('siteId'),
      ticketId: p('ticketId'),
      kind: p('kind'),
      at: p('at'),
      topicId: p('topicId'),
      priority: p('priority'),
      assigneeId: p('assigneeId'),
      ms: p('ms'),
      businessMs: p('businessMs'),
      waitMs: p('waitMs'),
      waitBusinessMs: p('waitBusinessMs'),
      rating: p('rating'),
      oneTouch: p('oneTouch'),
      latest: p('latest'),
      reopenedLater: p('reopenedLater'),
      followedUp: p('followedUp'),
    })
    .prepare();

  /** Inside a change's transaction: the facts it adds and the earlier facts it changes. */
  function writeFacts(ticket: TicketRow, tracked: Tracked) {
    for (const statement of factUpdateQueries(ticket, tracked.updates, sql`1`)) db.run(statement);
    for (const row of factRows(tracked.facts, ticket)) insertFact.run(row);
  }

  // Prepared once, like the insert: a catch-up after an upgrade runs them for every ticket.
  const historyOf = db.select().from(events).where(eq(events.ticketId, p('ticketId'))).orderBy(asc(events.id)).prepare();
  const setTracking = db
    .update(tickets)
    .set({ tracking: sql`${p('tracking')}`, slaDueAt: sql`${p('slaDueAt')}`, waitingSince: sql`${p('waitingSince')}` })
    .where(eq(tickets.id, p('id')))
    .prepare();
  const deleteFacts = db.delete(metricFacts).where(eq(metricFacts.ticketId, p('ticketId'))).prepare();

  /**
   * Inside a transaction: the ticket's tally and facts made again from its events. A change
   * to a ticket from before metrics were kept runs this first, so it counts on the whole history.
   */
  function retrack(ticket: TicketRow, site: SiteRow): TicketRow {
    const tracked = replayTicket(ticket, site, historyOf.all({ ticketId: ticket.id }));
    const columns = trackingColumns(tracked);
    setTracking.run({ ...columns, tracking: JSON.stringify(columns.tracking), id: ticket.id });
    deleteFacts.run({ ticketId: ticket.id });
    for (const row of factRows(tracked.facts, ticket)) insertFact.run(row);
    return { ...ticket, ...columns };
  }

  const store: MetricStore = {
    facts: async (query) => ({
      counts: db.all<Record<string, unknown>>(countsQuery('sqlite', query)).map(countRow),
      durations: db.values<unknown[]>(durationsQuery('sqlite', query)).map(durationValues),
    }),

    backlog: async (siteId, now) =>
      db.all<{ status: string; age: string; n: number }>(backlogQuery(siteId, now)).map((r) => ({ ...r, n: Number(r.n) })),

    next: async (siteId, agentId, actor, decide) =>
      immediate(() => {
        const found = db.get<{ id: string }>(sql`${nextQuery(siteId, agentId)} LIMIT 1`);
        if (!found) return null;
        const ticket = db.select().from(tickets).where(eq(tickets.id, found.id)).get()!;
        if (ticket.assigneeId === agentId) return ticket;
        return applyOne({ siteId, ticketId: found.id }, actor, decide).ticket;
      }),

    dueForSlaBreach: async (now, limit) =>
      db
        .select({ id: tickets.id })
        .from(tickets)
        .where(sql`${tickets.slaDueAt} <= ${now} AND ${tickets.status} IN ('new', 'open', 'answered')`)
        .orderBy(asc(tickets.slaDueAt))
        .limit(limit)
        .all()
        .map((r) => r.id),

    ticketIdsAfter: async (afterId, limit, opts = {}) =>
      db
        .select({ id: tickets.id })
        .from(tickets)
        .where(and(afterId === null ? undefined : gt(tickets.id, afterId), opts.untracked ? isNull(tickets.tracking) : undefined))
        .orderBy(asc(tickets.id))
        .limit(limit)
        .all()
        .map((r) => r.id),

    rebuild: async (ticketIds, opts = {}) =>
      immediate(() => {
        const rows = db
          .select()
          .from(tickets)
          .where(and(inArray(tickets.id, ticketIds), opts.untracked ? isNull(tickets.tracking) : undefined))
          .all();
        if (rows.length === 0) return;
        const siteOf = new Map(db.select().from(sites).where(inArray(sites.id, [...new Set(rows.map((r) => r.siteId))])).all().map((s) => [s.id, s]));
        for (const ticket of rows) {
          const site = siteOf.get(ticket.siteId);
          if (site) retrack(ticket, site);
        }
      }),
  };
  return { store, writeFacts, retrack };
}
