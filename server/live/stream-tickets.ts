/** Whose stream it is; `holder` names what the caps count against (a customer session, or a site's secret key). */
export type StreamGrant =
  | { kind: 'customer'; siteId: string; customerId: string; holder: string; /** A proven address whose tickets the stream follows too. */ email: string | null }
  | { kind: 'agent'; siteId: string; agentId: string | null; holder: string };

const TTL_MS = 60_000;

export interface StreamCaps {
  /** Open live streams one holder may have at once, on this server. */
  openPerHolder: (grant: StreamGrant) => number;
  /** Stream tickets one holder may have issued and not yet used, on any server. */
  outstandingPerHolder: (grant: StreamGrant) => number;
}

export const DEFAULT_STREAM_CAPS: StreamCaps = {
  openPerHolder: (grant) => (grant.kind === 'customer' ? 10 : 100),
  outstandingPerHolder: (grant) => (grant.kind === 'customer' ? 10 : 100),
};

interface TicketStore {
  issueStreamTicket(holder: string, grant: Record<string, unknown>, now: number, ttlMs: number, perHolder: number): Promise<{ ticket: string; expiresAt: number } | null>;
  redeemStreamTicket(ticket: string, now: number): Promise<Record<string, unknown> | null>;
}

/**
 * Short-lived, single-use tickets that open a live stream, so no long-lived
 * token ever travels in a URL (where proxies and logs keep it). They live in the
 * database, so a ticket one server issued opens a stream on any server of the
 * same database. The count of open streams per holder, so one session cannot
 * hold a thousand sockets, is this server's own: a stream is a socket here.
 */
export function createStreamTickets(store: TicketStore, now: () => number, caps: StreamCaps = DEFAULT_STREAM_CAPS) {
  const open = new Map<string, number>();

  const bump = (key: string, by: number) => {
    const next = (open.get(key) ?? 0) + by;
    if (next > 0) open.set(key, next);
    else open.delete(key);
  };

  return {
    /** A new ticket, or null when the holder already has too many outstanding. */
    issue: (grant: StreamGrant) => store.issueStreamTicket(grant.holder, { ...grant }, now(), TTL_MS, caps.outstandingPerHolder(grant)),
    redeem: async (ticket: string) => (await store.redeemStreamTicket(ticket, now())) as StreamGrant | null,
    /** Counts one open stream; returns its release, or null when the holder has as many open as allowed. */
    openStream(grant: StreamGrant): (() => void) | null {
      if ((open.get(grant.holder) ?? 0) >= caps.openPerHolder(grant)) return null;
      bump(grant.holder, 1);
      let released = false;
      return () => {
        if (!released) bump(grant.holder, -1);
        released = true;
      };
    },
  };
}
