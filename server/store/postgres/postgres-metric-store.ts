/**
 * The PostgreSQL side of `Store['metrics']`, and the fact writes a ticket change makes
 * (run on the caller's transaction).
 */
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Tracked } from '../../analytics/ticket-tracking.js';
import { factRows, replayTicket, trackingColumns } from '../metric-writes.js';
import { backlogQuery, countRow, countsQuery, durationRow, durationsQuery, factUpdateQueries, nextQuery } from '../metric-queries.js';
import type { ActorRef, Applied, Decide, EventRow, MetricStore, SiteRow, TicketRef, TicketRow } from '../store.js';
import type { Q } from './postgres-store.js';
import { events, metricFacts, sites, tickets } from './schema.js';

interface Deps {
  transaction: <T>(fn: (q: Q) => Promise<T>) => Promise<T>;
  read: <T>(fn: (q: Q) => Promise<T>) => Promise<T>;
  applyOne: (q: Q, ref: TicketRef, actor: ActorRef, decide: Decide) => Promise<Applied>;
}

type Rows = { rows: Record<string, unknown>[] };

export function createPostgresMetricStore({ transaction, read, applyOne }: Deps) {
  /** On the changes' transaction: the facts they add (in one statement) and the earlier facts they change. */
  async function writeFacts(q: Q, changes: { ticket: TicketRow; tracked: Tracked }[]) {
    for (const { ticket, tracked } of changes) for (const statement of factUpdateQueries(ticket, tracked.updates, sql`true`)) await q.execute(statement);
    const rows = changes.flatMap(({ ticket, tracked }) => factRows(tracked.facts, ticket));
    if (rows.length > 0) await q.insert(metricFacts).values(rows);
  }

  /**
   * On a transaction holding the ticket's row lock: its tally and facts made again from its
   * events. A change to a ticket from before metrics were kept runs this first, so it counts
   * on the whole history.
   */
  async function retrack(q: Q, ticket: TicketRow, site: SiteRow): Promise<TicketRow> {
    const [done] = await retrackAll(q, [ticket], new Map([[site.id, site]]));
    return done ?? ticket;
  }

  /** The same for many tickets in a few statements (a catch-up's batch): one round trip per ticket was most of its time. */
  async function retrackAll(q: Q, rows: TicketRow[], siteOf: Map<string, SiteRow>): Promise<TicketRow[]> {
    const ids = rows.map((r) => r.id);
    const history = new Map<string, EventRow[]>();
    for (const e of await q.select().from(events).where(inArray(events.ticketId, ids)).orderBy(asc(events.ticketId), asc(events.id))) {
      const list = history.get(e.ticketId);
      if (list) list.push(e);
      else history.set(e.ticketId, [e]);
    }
    const done = rows.flatMap((ticket) => {
      const site = siteOf.get(ticket.siteId);
      if (!site) return [];
      const tracked = replayTicket(ticket, site, history.get(ticket.id) ?? []);
      return [{ ticket: { ...ticket, ...trackingColumns(tracked) }, facts: factRows(tracked.facts, ticket) }];
    });
    if (done.length === 0) return [];
    const values = done.map(({ ticket: t }) => sql`(${t.id}, ${JSON.stringify(t.tracking)}::jsonb, ${t.slaDueAt}::bigint, ${t.waitingSince}::bigint)`);
    await q.execute(sql`UPDATE tickets SET tracking = v.tracking, sla_due_at = v.sla_due_at, waiting_since = v.waiting_since
      FROM (VALUES ${sql.join(values, sql`, `)}) AS v(id, tracking, sla_due_at, waiting_since) WHERE tickets.id = v.id`);
    await q.delete(metricFacts).where(inArray(metricFacts.ticketId, done.map((d) => d.ticket.id)));
    const facts = done.flatMap((d) => d.facts);
    // Under PostgreSQL's 65,535 parameters a statement, at 16 a row.
    for (let i = 0; i < facts.length; i += 2000) await q.insert(metricFacts).values(facts.slice(i, i + 2000));
    return done.map((d) => d.ticket);
  }

  const store: MetricStore = {
    facts: (query) =>
      read(async (q) => {
        const [counts, durations] = await Promise.all([q.execute(countsQuery('postgres', query)), q.execute(durationsQuery('postgres', query))]);
        return { counts: (counts as unknown as Rows).rows.map(countRow), durations: (durations as unknown as Rows).rows.map(durationRow) };
      }),

    backlog: (siteId, now) =>
      read(async (q) => ((await q.execute(backlogQuery(siteId, now))) as unknown as Rows).rows.map((r) => ({ status: String(r.status), age: String(r.age), n: Number(r.n) }))),

    // SKIP LOCKED: an agent asking while another holds the most urgent ticket gets the next one, not a wait.
    next: (siteId, agentId, actor, decide) =>
      transaction(async (q) => {
        const found = ((await q.execute(sql`${nextQuery(siteId, agentId)} LIMIT 1 FOR UPDATE SKIP LOCKED`)) as unknown as Rows).rows[0];
        if (!found) return null;
        const [ticket] = await q.select().from(tickets).where(eq(tickets.id, String(found.id)));
        if (!ticket || ticket.assigneeId === agentId) return ticket ?? null;
        return (await applyOne(q, { siteId, ticketId: ticket.id }, actor, decide)).ticket;
      }),

    dueForSlaBreach: (now, limit) =>
      read(async (q) =>
        (
          await q
            .select({ id: tickets.id })
            .from(tickets)
            .where(sql`${tickets.slaDueAt} <= ${now} AND ${tickets.status} IN ('new', 'open', 'answered')`)
            .orderBy(asc(tickets.slaDueAt))
            .limit(limit)
        ).map((r) => r.id),
      ),

    ticketIdsAfter: (afterId, limit, opts = {}) =>
      read(async (q) =>
        (
          await q
            .select({ id: tickets.id })
            .from(tickets)
            .where(and(afterId === null ? undefined : gt(tickets.id, afterId), opts.untracked ? isNull(tickets.tracking) : undefined))
            .orderBy(asc(tickets.id))
            .limit(limit)
        ).map((r) => r.id),
      ),

    rebuild: (ticketIds, opts = {}) =>
      transaction(async (q) => {
        // Locked in id order: two servers rebuilding the same tickets never deadlock.
        const rows = await q
          .select()
          .from(tickets)
          .where(and(inArray(tickets.id, ticketIds), opts.untracked ? isNull(tickets.tracking) : undefined))
          .orderBy(asc(tickets.id))
          .for('update');
        if (rows.length === 0) return;
        const siteOf = new Map((await q.select().from(sites).where(inArray(sites.id, [...new Set(rows.map((r) => r.siteId))]))).map((s) => [s.id, s]));
        await retrackAll(q, rows, siteOf);
      }),
  };
  return { store, writeFacts, retrack };
}
