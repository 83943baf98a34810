/**
 * Everything the widget keeps in the host site's localStorage, under one
 * namespaced key per site: the session token (and whose it is) and drafts.
 * Storage can be full or blocked (private mode): then it is simply not kept.
 */
export interface Saved {
  token?: string;
  /** The verified user the token belongs to (`sub` of the identity); absent for anonymous. */
  user?: string;
  drafts?: Record<string, Draft>;
  /** The ticket the customer was reading, to return to after a reload. */
  ticketId?: string;
}

export interface Draft {
  subject?: string;
  message?: string;
  email?: string;
  name?: string;
  topicId?: string;
  /** Kept with the draft, so a retried send can never open two tickets. */
  idempotencyKey?: string;
}

export function createStorage(siteKey: string, backend: Storage | null) {
  const key = `closeloop:${siteKey}`;
  const read = (): Saved => {
    try {
      return JSON.parse(backend?.getItem(key) ?? '{}') as Saved;
    } catch {
      return {};
    }
  };
  const write = (saved: Saved) => {
    try {
      backend?.setItem(key, JSON.stringify(saved));
    } catch {
      // Full or blocked storage: the session lasts as long as the page.
    }
  };
  return {
    read,
    update(change: (saved: Saved) => Saved) {
      write(change(read()));
    },
    draft: (id: string): Draft => read().drafts?.[id] ?? {},
    saveDraft(id: string, draft: Draft | null) {
      const saved = read();
      const drafts = { ...saved.drafts };
      if (draft) drafts[id] = draft;
      else delete drafts[id];
      write({ ...saved, drafts });
    },
    clear() {
      try {
        backend?.removeItem(key);
      } catch {
        // nothing to clear
      }
    },
  };
}

export type WidgetStorage = ReturnType<typeof createStorage>;
