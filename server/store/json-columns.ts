/** The shapes of the JSON columns, the same in every database. */

/** What a ticket was opened from, for the agents who answer it. */
export interface TicketContext {
  pageUrl?: string | undefined;
  userAgent?: string | undefined;
  language?: string | undefined;
  fields?: Record<string, string> | undefined;
}

/** A site's email to its customers; every field optional, defaults in server/mail/notification-settings.ts. */
export interface NotificationSettings {
  enabled?: boolean | undefined;
  senderName?: string | null | undefined;
  replyTo?: string | null | undefined;
  portalUrl?: string | null | undefined;
  replyDelayMinutes?: number | undefined;
  accentColor?: string | null | undefined;
}

/** A site's attachment limits; every field optional, defaults in server/attachments/attachment-settings.ts. */
export interface AttachmentSettings {
  maxBytes?: number | undefined;
  maxFiles?: number | undefined;
  maxBytesPerTicket?: number | undefined;
  allowedTypes?: string[] | undefined;
}

/** One of a site's ticket topics, with its label in each language the widget speaks. */
export interface Topic {
  id: string;
  labels: Record<string, string>;
}

/** A site's service levels (see server/analytics/sla-settings.ts). */
export interface SlaSettings {
  targets: {
    priority: 'low' | 'normal' | 'high' | 'urgent';
    firstReplyMinutes?: number | null | undefined;
    nextReplyMinutes?: number | null | undefined;
    resolutionMinutes?: number | null | undefined;
  }[];
  schedule?: {
    timeZone: string;
    weekly: { day: 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat'; from: string; to: string }[];
    holidays: string[];
  } | null | undefined;
}

/** What a ticket's metrics and service levels need to remember between changes (see server/analytics/ticket-tracking.ts). */
export interface Tracking {
  firstReplyAt: number | null;
  /** Public agent replies so far. */
  agentReplies: number;
  /** Time the customer has waited (new, open, postponed), calendar and business; `waitingSince` while waiting now. */
  waitMs: number;
  waitBusinessMs: number;
  waitingSince: number | null;
  /** Service-level clocks by name; a clock is gone once met. */
  clocks: Partial<Record<'firstReply' | 'nextReply' | 'resolution', SlaClock>>;
  /** Every target this ticket has missed. */
  breached: ('firstReply' | 'nextReply' | 'resolution')[];
}

export interface SlaClock {
  /** Business time already counted toward the target. */
  spentMs: number;
  /** When it last started running; null while paused. */
  runningSince: number | null;
  dueAt: number | null;
  breached: boolean;
}
