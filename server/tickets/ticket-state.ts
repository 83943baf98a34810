import type { SiteRules, Status, TicketState, Priority, ActorKind } from '../lifecycle/lifecycle.js';
import type { SiteRow, TicketRow } from '../store/store.js';

/** The lifecycle's view of a stored ticket. */
export function ticketState(row: TicketRow): TicketState {
  return {
    status: row.status as Status,
    statusBeforePostpone: row.statusBeforePostpone as Status | null,
    statusBeforeSpam: row.statusBeforeSpam as Status | null,
    statusBeforeDelete: row.statusBeforeDelete as Status | null,
    postponedUntil: row.postponedUntil,
    resolvedAt: row.resolvedAt,
    closedAt: row.closedAt,
    closedBy: row.closedBy as ActorKind | null,
    rating: row.rating,
    ratingComment: row.ratingComment,
    reopenCount: row.reopenCount,
    assigneeId: row.assigneeId,
    priority: row.priority as Priority,
    topicId: row.topicId,
    tags: row.tags,
    lastEventAt: row.lastEventAt,
    lastAgentReplyAt: row.lastAgentReplyAt,
    remindedAt: row.remindedAt,
  };
}

export function siteRules(site: SiteRow): SiteRules {
  return {
    autoCloseAfterHours: site.autoCloseAfterHours,
    reopenWindowDays: site.reopenWindowDays,
    agentsMayClose: site.agentsMayClose,
    remindAfterHours: site.remindAfterHours,
  };
}
