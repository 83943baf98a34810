/**
 * What the widget tells a customer before they write: "We usually reply within …",
 * from the site's first-reply target for a normal ticket, and when support is back
 * if it is outside business hours now.
 */
import type { SlaSettings } from '../store/json-columns.js';
import { nextOpen } from './business-hours.js';
import { slaPolicy } from './sla-settings.js';

export interface ReplyPromise {
  /** The first-reply target of a normal-priority ticket, in minutes of business time; null: none set. */
  minutes: number | null;
  /** When support opens again, if it is closed now; null while open (or with no business hours). */
  backAt: string | null;
}

export function replyPromise(settings: SlaSettings | null, now: number): ReplyPromise {
  const policy = slaPolicy(settings);
  const target = policy.targetMs('normal', 'firstReply');
  const open = nextOpen(policy.schedule, now);
  return { minutes: target === null ? null : target / 60_000, backAt: open !== null && open > now ? new Date(open).toISOString() : null };
}
