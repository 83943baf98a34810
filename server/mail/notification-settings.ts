import type { NotificationSettings } from '../store/json-columns.js';

/** A site's email settings with every default filled in. */
export interface Notifications {
  enabled: boolean;
  /** The From name; the site's name when null. */
  senderName: string | null;
  /** Where a customer's email client sends replies when the inbound listener is off. */
  replyTo: string | null;
  /** The site's page where the portal is mounted; links land there (else on the server's own portal page). */
  portalUrl: string | null;
  /** How long a reply waits for the customer to read it in the widget before it is emailed. */
  replyDelayMinutes: number;
  /** The colour of buttons and the top rule in emails and link pages (the widget's accent). */
  accentColor: string | null;
}

export const DEFAULT_REPLY_DELAY_MINUTES = 5;

export function notificationsOf(site: { notifications: NotificationSettings | null }): Notifications {
  const set = site.notifications ?? {};
  return {
    enabled: set.enabled ?? true,
    senderName: set.senderName ?? null,
    replyTo: set.replyTo ?? null,
    portalUrl: set.portalUrl ?? null,
    replyDelayMinutes: set.replyDelayMinutes ?? DEFAULT_REPLY_DELAY_MINUTES,
    accentColor: set.accentColor ?? null,
  };
}

/** The one spelling of an address that tickets, limits and unsubscribes are keyed by. */
export const emailKey = (address: string | null | undefined) => (address ? address.trim().toLowerCase() : null);
