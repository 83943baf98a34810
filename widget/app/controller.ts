/**
 * The widget's state and actions. Views read signals and call actions; only
 * this file talks to the server, through the SDK's customer client.
 */
import { batch, computed, effect, signal } from '@preact/signals';
import { createCustomerClient, type CustomerChange, type CustomerClient, type CustomerTicket } from '../../sdk/customer-client.js';
import { CloseloopError } from '../../sdk/errors.js';
import { pickLocale, translator, type Messages } from './i18n.js';
import type { Draft, WidgetStorage } from './storage.js';

type Outputs = Awaited<ReturnType<CustomerClient['tickets']['get']>>;
export type TimelineItem = Outputs['timeline'][number];
/** What a session tells of the site. */
export type SiteSummary = NonNullable<CustomerClient['session']['site']>;

export type View = { name: 'home' } | { name: 'new'; followUpOf?: string } | { name: 'ticket'; id: string };

export type WidgetEvent = 'ticket:created' | 'ticket:resolved' | 'ticket:closed' | 'ticket:reopened' | 'unread';

export interface ControllerOptions {
  siteKey: string;
  apiUrl: string;
  storage: WidgetStorage;
  locale?: string | undefined;
  browserLocales?: readonly string[];
  emit: (event: WidgetEvent, payload: unknown) => void;
  /** Fetches a language's messages (English is built in). */
  loadLocale: (locale: string) => Promise<Messages>;
  now?: () => number;
  fetch?: typeof fetch;
  EventSource?: Parameters<typeof createCustomerClient>[0]['EventSource'];
}

/** The `sub` of an identity JWT, read (not verified: the server does that) to tell users apart. */
function identitySubject(identity: string | undefined): string | undefined {
  if (!identity) return undefined;
  try {
    const payload = identity.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/')) as string;
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** Every refusal the widget shows, by the server's stable code, in the widget's own words: never the server's English. */
const ERROR_TEXT: Record<string, keyof Messages> = {
  NETWORK: 'errorNetwork',
  NOT_FOUND: 'errorNotFound',
  VERSION_CONFLICT: 'errorChanged',
  UNAUTHORIZED: 'errorSession',
  RATE_LIMITED: 'errorRateLimited',
  REOPEN_WINDOW_EXPIRED: 'followUpHint',
  VALIDATION: 'errorInvalid',
  PAYLOAD_TOO_LARGE: 'errorTooLarge',
  ATTACHMENT_TOO_LARGE: 'attachTooBig',
  ATTACHMENT_TYPE: 'attachType',
  ATTACHMENT_LIMIT: 'attachLimit',
  ATTACHMENT_REJECTED: 'attachType',
};

const FIELD_NAME = /^[\w.-]{1,40}$/;

/**
 * The site's fields as the server takes them (at most 20, short names, short text values):
 * a site's mistake must never keep a customer from opening a ticket.
 */
function contextFields(given: Record<string, unknown>): Record<string, string> {
  const fields = Object.entries(given).filter(([name, value]) => FIELD_NAME.test(name) && value !== null && value !== undefined);
  return Object.fromEntries(fields.slice(0, 20).map(([name, value]) => [name, String(value).slice(0, 500)]));
}

/** Where the ticket is opened from, for the agent who answers it. */
function pageContext(fields: Record<string, string> | undefined) {
  if (typeof location === 'undefined' || typeof navigator === 'undefined') return undefined;
  const pageUrl = /^https?:/.test(location.href) && location.href.length <= 2_000 ? location.href : undefined;
  return {
    ...(pageUrl ? { pageUrl } : {}),
    userAgent: navigator.userAgent.slice(0, 500),
    language: navigator.language.slice(0, 35),
    ...(fields && Object.keys(fields).length ? { fields } : {}),
  };
}

export function createController(options: ControllerOptions) {
  const now = options.now ?? Date.now;
  const { storage } = options;

  const locale = signal('en');
  // Null until the first language file has arrived: nothing is shown before there are words for it.
  const messages = signal<Messages | null>(null);
  /** What the session told of the site: its texts, topics and reply promise. */
  const site = signal<SiteSummary | null>(null);
  const t = computed(() => translator(messages.value ?? ({} as Messages), site.value?.texts[locale.value], locale.value));
  let markReady: () => void;
  /** Resolves once the first language's words are in. */
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  /** Switches language; until its file arrives, the words shown so far stay. A language that cannot be loaded falls back to English. */
  function useLocale(next: string) {
    if (next === locale.value && messages.value) return;
    locale.value = next;
    options
      .loadLocale(next)
      .then((loaded) => {
        if (locale.value !== next) return;
        messages.value = loaded;
        markReady();
      })
      .catch(() => {
        if (!messages.value && next !== 'en') useLocale('en');
      });
  }
  useLocale(pickLocale([options.locale, ...(options.browserLocales ?? [])]));

  const open = signal(false);
  // After a reload, the panel opens where the customer was reading.
  let restoredTicket = storage.read().ticketId;
  const view = signal<View>(restoredTicket ? { name: 'ticket', id: restoredTicket } : { name: 'home' });
  effect(() => {
    const shown = view.value;
    const ticketId = shown.name === 'ticket' ? shown.id : undefined;
    if (storage.read().ticketId !== ticketId) storage.update((s) => ({ ...s, ticketId }));
  });
  const tickets = signal<CustomerTicket[] | null>(null);
  const ticketsCursor = signal<string | null>(null);
  const ticketsLoading = signal(false);
  const ticketsError = signal<string | null>(null);
  const current = signal<Outputs | null>(null);
  const currentLoading = signal(false);
  const currentError = signal<string | null>(null);
  const actionError = signal<string | null>(null);
  const busy = signal(false);
  const verified = signal(false);
  const online = signal(typeof navigator === 'undefined' ? true : navigator.onLine !== false);
  const sessionError = signal<string | null>(null);
  /** Read by an aria-live region: status changes are announced. */
  const announcement = signal('');
  const unread = computed(() => tickets.value?.filter((x) => x.unread).length ?? 0);

  let identity: string | undefined;
  /** The site's own fields for new tickets (`Closeloop('boot', { context })`). */
  let siteFields: Record<string, string> | undefined;
  let client: CustomerClient = makeClient(undefined);
  let stopLive: (() => void) | null = null;
  let lastEventId: string | undefined;
  let lastUnread = 0;

  function makeClient(nextIdentity: string | undefined): CustomerClient {
    const saved = storage.read();
    const user = identitySubject(nextIdentity);
    // A stored session is reused only by the same person: never an old user's session for a new one.
    const token = saved.token && saved.user === user ? saved.token : undefined;
    return createCustomerClient({
      url: options.apiUrl,
      siteKey: options.siteKey,
      identity: nextIdentity,
      token,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.EventSource ? { EventSource: options.EventSource } : {}),
    });
  }

  function describe(error: unknown): string {
    const code = error instanceof CloseloopError ? error.code : 'NETWORK';
    return t.value(ERROR_TEXT[code] ?? 'errorGeneric');
  }

  /** Shows an error where it happened, unless the session itself failed: that is said once, above everything. */
  function report(target: { value: string | null }, error: unknown) {
    if (!sessionError.value) target.value = describe(error);
  }

  /** Runs a call; a stored session that stopped working is dropped and the call tried once more. */
  async function withSession<T>(call: (c: CustomerClient) => Promise<T>): Promise<T> {
    try {
      const result = await call(client);
      remember();
      return result;
    } catch (error) {
      if (!(error instanceof CloseloopError) || error.code !== 'UNAUTHORIZED') throw error;
      if (identity && !client.session.token) {
        sessionError.value = t.value('errorSession');
        throw error;
      }
      storage.update((s) => ({ ...s, token: undefined, user: undefined }));
      client = makeClient(identity);
      const result = await call(client);
      remember();
      return result;
    }
  }

  function remember() {
    const token = client.session.token;
    verified.value = client.session.customer?.verified ?? verified.value;
    if (client.session.site) site.value = client.session.site;
    if (token && storage.read().token !== token) storage.update((s) => ({ ...s, token, user: identitySubject(identity) }));
  }

  function setTickets(list: CustomerTicket[]) {
    // A status that changed under the customer's eyes is announced, whichever way the news came
    // (a live event, or a catch-up after a reconnect).
    const before = new Map((tickets.value ?? []).map((x) => [x.id, x]));
    // Answers can arrive out of order (a catch-up started before a live event, finishing after it):
    // a ticket never goes back to an older version.
    list = list.map((x) => (before.get(x.id)?.version ?? 0) > x.version ? before.get(x.id)! : x);
    const changed = list.find((x) => before.has(x.id) && before.get(x.id)!.status !== x.status);
    if (changed) announcement.value = `${changed.subject}: ${t.value('statusChanged', { status: statusWord(changed.status) })}`;
    tickets.value = list;
    if (unread.value !== lastUnread) {
      lastUnread = unread.value;
      options.emit('unread', unread.value);
    }
    syncLive();
  }

  function upsertTicket(ticket: CustomerTicket) {
    const others = (tickets.value ?? []).filter((x) => x.id !== ticket.id);
    setTickets([ticket, ...others].sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt)));
  }

  const statusWord = (status: string) =>
    t.value(`status${status.charAt(0).toUpperCase()}${status.slice(1)}` as keyof Messages);

  /* ---------- live updates ---------- */

  const wantsLive = () =>
    (tickets.value ?? []).some((x) => x.status !== 'closed') && (typeof document === 'undefined' || document.visibilityState !== 'hidden');

  /** Open only while someone has a ticket that is not closed and the tab is visible; it heals its own drops. */
  function syncLive() {
    if (wantsLive() && !stopLive && client.session.token) {
      const stop = client.subscribe(onChange, {
        ...(lastEventId ? { lastEventId } : {}),
        // On every (re)connect, whatever changed while it was away is fetched once: the list and
        // the ticket on screen (an agent may have answered while it was connecting).
        onStarted: catchUp,
        // A refusal that stays (the session ended): the next sync starts afresh.
        onError: () => {
          if (stopLive === stop) stopLive = null;
        },
      });
      stopLive = stop;
    } else if (!wantsLive() && stopLive) {
      stopLive();
      stopLive = null;
    }
  }

  let catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  let catchUpFailures = 0;

  /**
   * Brings the list and the ticket on screen up to date. When that fails (offline as an
   * event arrived), it is tried again with backoff and as soon as the browser is back
   * online, so the thread and the unread count converge without a reload.
   */
  async function catchUp() {
    clearTimeout(catchUpTimer);
    const shown = view.value;
    const ok = (await Promise.all([refreshTickets({ quiet: true }), shown.name === 'ticket' ? loadTicket(shown.id, { quiet: true }) : true])).every(Boolean);
    if (ok) catchUpFailures = 0;
    else catchUpTimer = setTimeout(catchUp, Math.min(30_000, 1000 * 2 ** catchUpFailures++));
  }

  function onChange(change: CustomerChange, eventId: string) {
    lastEventId = eventId;
    upsertTicket(change.ticket);
    if (change.type === 'resolved') options.emit('ticket:resolved', change.ticket);
    if (change.type === 'resolution_confirmed' || change.type === 'closed' || change.type === 'auto_closed') {
      options.emit('ticket:closed', change.ticket);
    }
    if (change.type === 'reopened') options.emit('ticket:reopened', change.ticket);
    const shown = view.value;
    if (shown.name === 'ticket' && shown.id === change.ticketId) {
      void loadTicket(change.ticketId, { quiet: true }).then((ok) => {
        if (!ok) void catchUp();
      });
    }
  }

  /* ---------- loading ---------- */

  /** Loads the first page of tickets; false when it failed (shown unless quiet and a list is already there). */
  async function refreshTickets(opts: { quiet?: boolean } = {}): Promise<boolean> {
    ticketsLoading.value = tickets.value === null;
    if (!opts.quiet) ticketsError.value = null;
    try {
      const page = await withSession((c) => c.tickets.list({ limit: 20 }));
      // A session resumed from storage started nothing: the site's texts and settings are fetched once.
      if (!client.session.site) void client.loadSite().then(remember, () => undefined);
      batch(() => {
        setTickets(page.items);
        ticketsCursor.value = page.nextCursor;
        ticketsError.value = null;
      });
      return true;
    } catch (error) {
      if (!opts.quiet || tickets.value === null) report(ticketsError, error);
      return false;
    } finally {
      ticketsLoading.value = false;
    }
  }

  async function loadMore() {
    const cursor = ticketsCursor.value;
    if (!cursor) return;
    ticketsLoading.value = true;
    try {
      const page = await withSession((c) => c.tickets.list({ limit: 20, cursor }));
      batch(() => {
        setTickets([...(tickets.value ?? []), ...page.items.filter((x) => !tickets.value?.some((y) => y.id === x.id))]);
        ticketsCursor.value = page.nextCursor;
      });
    } catch (error) {
      report(ticketsError, error);
    } finally {
      ticketsLoading.value = false;
    }
  }

  /** Loads one ticket (and marks it read when the panel shows it); false when that failed. */
  async function loadTicket(id: string, opts: { quiet?: boolean } = {}): Promise<boolean> {
    if (!opts.quiet) {
      currentLoading.value = true;
      currentError.value = null;
    }
    try {
      const loaded = await withSession((c) => c.tickets.get({ ticketId: id }));
      const shown = current.value?.ticket;
      if (!shown || shown.id !== id || shown.version <= loaded.ticket.version) current.value = loaded;
      upsertTicket(loaded.ticket);
      // Not awaited: the ticket's buttons need not wait for a second round trip.
      if (loaded.ticket.unread && open.value) void withSession((c) => c.tickets.markRead({ ticketId: id })).then(upsertTicket, () => undefined);
      return true;
    } catch (error) {
      if (!opts.quiet) report(currentError, error);
      return false;
    } finally {
      currentLoading.value = false;
    }
  }

  /* ---------- ticket actions ---------- */

  /** Runs an action on the shown ticket; on success the view shows the new state, on failure the text stays. */
  async function act(run: (c: CustomerClient, ticket: CustomerTicket) => Promise<CustomerTicket>): Promise<boolean> {
    const shown = current.value;
    if (!shown || busy.value) return false;
    busy.value = true;
    actionError.value = null;
    try {
      const ticket = await withSession((c) => run(c, shown.ticket));
      upsertTicket(ticket);
      await loadTicket(ticket.id, { quiet: true });
      announcement.value = `${ticket.subject}: ${t.value('statusChanged', { status: statusWord(ticket.status) })}`;
      return true;
    } catch (error) {
      const code = error instanceof CloseloopError ? error.code : null;
      // The window closed while this view was open: reloaded, the ticket offers a follow-up instead,
      // which says why; an error under a button that can no longer work would only confuse.
      if (code !== 'REOPEN_WINDOW_EXPIRED') report(actionError, error);
      if (code === 'VERSION_CONFLICT' || code === 'REOPEN_WINDOW_EXPIRED') await loadTicket(shown.ticket.id, { quiet: true });
      return false;
    } finally {
      busy.value = false;
    }
  }

  const announce = (name: WidgetEvent) => (ticket: CustomerTicket) => {
    options.emit(name, ticket);
    return ticket;
  };

  const replyDraftKey = (id: string) => `reply:${id}`;

  /** A follow-up's subject in the customer's language ("Järg: …"), when the earlier ticket is at hand. */
  function followUpSubject(ticketId: string): { subject?: string } {
    const earlier = current.value?.ticket.id === ticketId ? current.value.ticket : tickets.value?.find((x) => x.id === ticketId);
    return earlier ? { subject: t.value('followUpSubject', { subject: earlier.subject }).slice(0, 200) } : {};
  }

  return {
    t,
    ready,
    locale,
    open,
    view,
    tickets,
    ticketsCursor,
    ticketsLoading,
    ticketsError,
    current,
    currentLoading,
    currentError,
    actionError,
    busy,
    verified,
    online,
    sessionError,
    site,
    announcement,
    unread,
    now,

    /** Starts (or restarts) with this identity and language; loads the customer's tickets. */
    async boot(opts: { identity?: string | undefined; locale?: string | undefined; context?: Record<string, unknown> | undefined } = {}) {
      if (opts.context) siteFields = contextFields(opts.context);
      if (opts.locale) useLocale(pickLocale([opts.locale, locale.value]));
      if (opts.identity !== identity || !client) {
        identity = opts.identity;
        stopLive?.();
        stopLive = null;
        lastEventId = undefined;
        sessionError.value = null;
        client = makeClient(identity);
        tickets.value = null;
      }
      if (storage.read().token || identity || open.value) await refreshTickets();
    },

    /** Whether the portal can offer sign-in by email (the server sends email for this site). */
    emailSignIn: () => client.session.site?.emailSignIn === true && !client.session.customer?.email,

    /** Emails a portal sign-in link; resolves with an error text, or null when asked for. */
    async requestEmailLink(email: string): Promise<string | null> {
      try {
        await client.requestEmailLink({ email, locale: locale.value, returnUrl: location.href.split('#')[0] });
        return null;
      } catch (error) {
        return describe(error);
      }
    },

    /** Spends the one-time code an email link brought back: this browser then sees that address's tickets. */
    async signInWithCode(code: string, ticketId?: string) {
      try {
        await client.signInWithEmailCode(code);
        remember();
        await refreshTickets();
        if (ticketId) this.showTicket(ticketId);
      } catch {
        ticketsError.value = t.value('errorSignInLink');
      }
    },

    /** Forgets the session on this browser (and ends it on the server). */
    async shutdown() {
      stopLive?.();
      stopLive = null;
      const ending = client;
      storage.clear();
      identity = undefined;
      client = makeClient(undefined);
      batch(() => {
        tickets.value = null;
        current.value = null;
        view.value = { name: 'home' };
        open.value = false;
      });
      await ending.endSession().catch(() => undefined);
    },

    openPanel() {
      open.value = true;
      if (tickets.value === null && !ticketsLoading.value) void refreshTickets();
      const shown = view.value;
      if (shown.name !== 'ticket') return;
      // A ticket remembered from before a reload that is gone (or another user's) is simply not returned to.
      const restoring = restoredTicket === shown.id;
      restoredTicket = undefined;
      void loadTicket(shown.id, { quiet: !restoring }).then((ok) => {
        if (!ok && restoring && view.value === shown) {
          currentError.value = null;
          view.value = { name: 'home' };
        }
      });
    },
    closePanel() {
      open.value = false;
    },
    showHome() {
      actionError.value = null;
      view.value = { name: 'home' };
      if (tickets.value === null) void refreshTickets();
    },
    newTicket(prefill: { subject?: string; message?: string } = {}, followUpOf?: string) {
      const id = followUpOf ? `follow:${followUpOf}` : 'new';
      if (prefill.subject || prefill.message) storage.saveDraft(id, { ...storage.draft(id), ...prefill });
      actionError.value = null;
      view.value = followUpOf ? { name: 'new', followUpOf } : { name: 'new' };
    },
    showTicket(id: string) {
      actionError.value = null;
      current.value = current.value?.ticket.id === id ? current.value : null;
      view.value = { name: 'ticket', id };
      void loadTicket(id);
    },
    refreshTickets,
    loadMore,
    reloadTicket: (id: string) => loadTicket(id),

    draft: (id: string) => storage.draft(id),
    saveDraft: (id: string, draft: Draft | null) => storage.saveDraft(id, draft),
    replyDraftKey,

    /** Sends the new-ticket (or follow-up) form. The draft, with its idempotency key, is kept until it succeeds. */
    async submitTicket(form: Required<Pick<Draft, 'message'>> & Draft, followUpOf?: string, attachmentIds: string[] = []): Promise<boolean> {
      if (busy.value) return false;
      const draftId = followUpOf ? `follow:${followUpOf}` : 'new';
      const idempotencyKey = storage.draft(draftId).idempotencyKey ?? crypto.randomUUID();
      storage.saveDraft(draftId, { ...form, idempotencyKey });
      busy.value = true;
      actionError.value = null;
      try {
        const ticket = await withSession((c) =>
          followUpOf
            ? c.tickets.createFollowUp({ ticketId: followUpOf, message: form.message, idempotencyKey, ...followUpSubject(followUpOf) })
            : c.tickets.create({
                subject: form.subject ?? '',
                message: form.message,
                idempotencyKey,
                context: pageContext(siteFields),
                locale: locale.value,
                ...(form.topicId ? { topicId: form.topicId } : {}),
                ...(attachmentIds.length ? { attachmentIds } : {}),
                ...(form.email ? { email: form.email } : {}),
                ...(form.name ? { name: form.name } : {}),
              }),
        );
        storage.saveDraft(draftId, null);
        upsertTicket(ticket);
        options.emit('ticket:created', ticket);
        view.value = { name: 'ticket', id: ticket.id };
        await loadTicket(ticket.id);
        return true;
      } catch (error) {
        report(actionError, error);
        return false;
      } finally {
        busy.value = false;
      }
    },

    async reply(message: string, attachmentIds: string[] = []) {
      const ok = await act((c, x) => c.tickets.reply({ ticketId: x.id, message, ...(attachmentIds.length ? { attachmentIds } : {}) }));
      if (ok && current.value) storage.saveDraft(replyDraftKey(current.value.ticket.id), null);
      return ok;
    },
    // Announced to the host page as soon as the server has closed it, before the thread is
    // reloaded: the page may already show "closed" by then, and must not see it first.
    confirmResolution: () => act((c, x) => c.tickets.confirmResolution({ ticketId: x.id }).then(announce('ticket:closed'))),
    /** Uploads one file (the upload code loads on first use); rejects with the refusal in the customer's words. */
    upload: (file: File, onProgress: (sent: number, total: number) => void) =>
      withSession(async (c) => {
        // A browser cannot read the server's early "too large" while it is still sending: said here, before a byte goes.
        await c.getToken();
        if (file.size > (c.session.site?.maxAttachmentBytes ?? Infinity)) throw new CloseloopError('ATTACHMENT_TOO_LARGE', '', 413);
        return c.attachments.upload(file, file.name || 'file', { onProgress, thumbnail: true });
      }).catch((error: unknown) =>
        Promise.reject(error instanceof CloseloopError && /^ATTACHMENT_(?!UNCHECKED)|^RATE/.test(error.code) ? describe(error) : t.value('attachFailed')),
      ),
    rejectResolution: (message: string) => act((c, x) => c.tickets.rejectResolution({ ticketId: x.id, message })),
    reopen: (reason: string) =>
      act((c, x) => c.tickets.reopen({ ticketId: x.id, ...(reason ? { reason } : {}) }).then(announce('ticket:reopened'))),
    rate: (rating: number, comment: string) =>
      act((c, x) => c.tickets.rate({ ticketId: x.id, rating, ...(comment ? { comment } : {}) })),

    /** Back online: reconnect the live stream now (not after its backoff) and catch up. */
    setOnline(value: boolean) {
      online.value = value;
      if (!value) return;
      stopLive?.();
      stopLive = null;
      syncLive();
      void catchUp();
    },
    /** The tab was hidden or shown: the live connection follows. */
    visibilityChanged() {
      syncLive();
      if (wantsLive()) void refreshTickets();
    },
    /** Stops the live connection (the widget is going away). */
    stop() {
      clearTimeout(catchUpTimer);
      stopLive?.();
      stopLive = null;
    },
    setLocale(next: string) {
      useLocale(pickLocale([next, locale.value]));
    },
    get token() {
      return client.session.token;
    },
  };
}

export type Controller = ReturnType<typeof createController>;
