import { randomBytes } from 'node:crypto';

/** Whose stream it is; `holder` names what the caps count against (a customer session, or a site's secret key). */
export type StreamGrant =
  | { kind: 'customer'; siteId: string; customerId: string; holder: string; /** A proven address whose tickets the stream follows too. */ email: string | null }
  | { kind: 'agent'; siteId: string; agentId: string | null; holder: string };

const TTL_MS = 60_000;

export interface StreamCaps {
  /** Open live streams one holder may have at once. */
  openPerHolder: (grant: StreamGrant) => number;
  /** Stream tickets one holder may have issued and not yet used. */
  outstandingPerHolder: (grant: StreamGrant) => number;
  /** Stream tickets outstanding in all, so memory stays bounded whoever asks. */
  outstandingInAll: number;
}

export const DEFAULT_STREAM_CAPS: StreamCaps = {
  openPerHolder: (grant) => (grant.kind === 'customer' ? 10 : 100),
  outstandingPerHolder: (grant) => (grant.kind === 'customer' ? 10 : 100),
  outstandingInAll: 100_000,
};

/**
 * Short-lived, single-use tickets that open a live stream, so no long-lived
 * token ever travels in a URL (where proxies and logs keep it); and the count
 * of open streams per holder, so one session cannot hold a thousand sockets.
 */
export function createStreamTickets(now: () => number, caps: StreamCaps = DEFAULT_STREAM_CAPS) {
  const issued = new Map<string, { grant: StreamGrant; expiresAt: number }>();
  const outstanding = new Map<string, number>();
  const open = new Map<string, number>();

  const bump = (counts: Map<string, number>, key: string, by: number) => {
    const next = (counts.get(key) ?? 0) + by;
    if (next > 0) counts.set(key, next);
    else counts.delete(key);
  };
  const forget = (ticket: string, grant: StreamGrant) => {
    issued.delete(ticket);
    bump(outstanding, grant.holder, -1);
  };

  return {
    /** A new ticket, or null when the holder (or everyone together) already has too many outstanding. */
    issue(grant: StreamGrant) {
      const at = now();
      // Tickets live a fixed time, so the Map's insertion order is expiry order: drop from the front.
      for (const [key, t] of issued) {
        if (t.expiresAt > at) break;
        forget(key, t.grant);
      }
      if (issued.size >= caps.outstandingInAll || (outstanding.get(grant.holder) ?? 0) >= caps.outstandingPerHolder(grant)) return null;
      const ticket = `st_${randomBytes(24).toString('base64url')}`;
      const expiresAt = at + TTL_MS;
      issued.set(ticket, { grant, expiresAt });
      bump(outstanding, grant.holder, 1);
      return { ticket, expiresAt };
    },
    redeem(ticket: string): StreamGrant | null {
      const found = issued.get(ticket);
      if (!found) return null;
      forget(ticket, found.grant);
      return found.expiresAt > now() ? found.grant : null;
    },
    /** Counts one open stream; returns its release, or null when the holder has as many open as allowed. */
    openStream(grant: StreamGrant): (() => void) | null {
      if ((open.get(grant.holder) ?? 0) >= caps.openPerHolder(grant)) return null;
      bump(open, grant.holder, 1);
      let released = false;
      return () => {
        if (!released) bump(open, grant.holder, -1);
        released = true;
      };
    },
  };
}
