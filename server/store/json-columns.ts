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
