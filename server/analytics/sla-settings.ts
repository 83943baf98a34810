/**
 * A site's service levels: reply and resolution targets per priority, counted in
 * its business hours. No targets means no due dates; no schedule means every hour counts.
 */
import type { Priority } from '../lifecycle/lifecycle.js';
import type { SlaSettings } from '../store/json-columns.js';
import type { Schedule } from './business-hours.js';

export type { SlaSettings };

export const SLA_NAMES = ['firstReply', 'nextReply', 'resolution'] as const;
export type SlaName = (typeof SLA_NAMES)[number];

export interface SlaPolicy {
  schedule: Schedule | null;
  /** Target in milliseconds of business time, per name; absent: no target. */
  targetMs(priority: Priority, name: SlaName): number | null;
}

const MINUTE = 60_000;

export function slaPolicy(settings: SlaSettings | null | undefined): SlaPolicy {
  const targets = settings?.targets ?? [];
  return {
    schedule: settings?.schedule ?? null,
    targetMs(priority, name) {
      const minutes = targets.find((t) => t.priority === priority)?.[`${name}Minutes`];
      return minutes == null ? null : minutes * MINUTE;
    },
  };
}
