import { randomBytes } from 'node:crypto';

export type StreamGrant =
  | { kind: 'customer'; siteId: string; customerId: string }
  | { kind: 'agent'; siteId: string; agentId: string | null };

const TTL_MS = 60_000;

/**
 * Short-lived, single-use tickets that open a live stream, so no long-lived
 * token ever travels in a URL (where proxies and logs keep it).
 */
export function createStreamTickets(now: () => number) {
  const issued = new Map<string, { grant: StreamGrant; expiresAt: number }>();

  return {
    issue(grant: StreamGrant) {
      const at = now();
      for (const [key, t] of issued) if (t.expiresAt <= at) issued.delete(key);
      const ticket = `st_${randomBytes(24).toString('base64url')}`;
      const expiresAt = at + TTL_MS;
      issued.set(ticket, { grant, expiresAt });
      return { ticket, expiresAt };
    },
    redeem(ticket: string): StreamGrant | null {
      const found = issued.get(ticket);
      issued.delete(ticket);
      return found && found.expiresAt > now() ? found.grant : null;
    },
  };
}
