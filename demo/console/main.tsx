/** The demo's agent console: a site's tickets, live, with every agent action the ticket allows. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
// The widget's own: text shown as text, http(s) links clickable, nothing else.
import { MessageText } from '../../widget/app/components/message-text.js';
import { fileSize } from '../../widget/app/format.js';
import type { Outputs, UploadedAttachment } from '../../sdk/index.js';

interface Ticket {
  id: string;
  subject: string;
  status: string;
  lastActivityAt: string;
  customer: { name: string | null; email: string | null; externalId: string | null } | null;
  contactEmail: string | null;
  allowedActions: string[];
  rating: number | null;
  priority: string;
  topicId: string | null;
  tags: string[];
  sla: { firstReplyDueAt: string | null; nextReplyDueAt: string | null; resolutionDueAt: string | null; breached: string[] };
  context: { pageUrl?: string; userAgent?: string; language?: string; fields?: Record<string, string> } | null;
}
interface Email {
  id: string;
  kind: string;
  to: string;
  status: 'queued' | 'sent' | 'failed';
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}
/** A file in the thread, as the agent API answers it. */
type Attachment = Extract<Outputs['agent']['tickets']['get']['timeline'][number], { kind: 'message' }>['attachments'][number];
type Item =
  | { kind: 'message'; id: string; at: string; author: { kind: string; name: string | null }; body: string; internal: boolean; attachments: Attachment[] }
  | { kind: 'event'; id: number; at: string; type: string; from: string | null; to: string; actor: { kind: string; name: string | null }; data: Record<string, unknown> | null };

async function call<T>(action: string, input: unknown = {}): Promise<T> {
  const res = await fetch(`/console/api/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
  const body = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

const FILTERS: [string, string[] | undefined][] = [
  ['Active', undefined],
  ['Resolved', ['resolved']],
  ['Closed', ['closed']],
  ['Spam', ['spam']],
  ['Deleted', ['deleted']],
];
const time = (iso: string) => new Date(iso).toLocaleString();
const RASTER = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;

/** A message's files: images as previews, the rest as links with their size. */
function Files({ files }: { files: Attachment[] }) {
  if (files.length === 0) return null;
  return (
    <ul class="files">
      {files.map((f) => (
        <li key={f.id}>
          <a href={f.url} target="_blank" rel="noopener noreferrer">
            {RASTER.test(f.contentType) ? <img src={f.thumbnailUrl ?? f.url} alt={f.name} loading="lazy" /> : `${f.name} (${fileSize(f.size)})`}
          </a>
        </li>
      ))}
    </ul>
  );
}

/** Sends a file to the console's backend, which uploads it as the agent. */
async function upload(file: File): Promise<UploadedAttachment> {
  const res = await fetch(`/console/api/upload?${new URLSearchParams({ name: file.name })}`, { method: 'POST', body: file });
  const body = (await res.json()) as UploadedAttachment & { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}
type Topic = Outputs['agent']['site']['get']['topics'][number];
const SLA_NAMES: Record<string, string> = { firstReply: 'first reply', nextReply: 'next reply', resolution: 'resolution' };

/** The ticket's service levels: what is due when, and what was missed. */
function Sla({ sla }: { sla: Ticket['sla'] }) {
  const due = (
    [
      ['First reply', sla.firstReplyDueAt],
      ['Next reply', sla.nextReplyDueAt],
      ['Resolution', sla.resolutionDueAt],
    ] as const
  ).filter(([, at]) => at);
  if (due.length === 0 && sla.breached.length === 0) return null;
  return (
    <p class="sla">
      {due.map(([name, at]) => `${name} due ${time(at!)}`).join(' · ')}
      {sla.breached.length > 0 && <span class="missed">{`${due.length ? ' · ' : ''}Missed: ${sla.breached.map((b) => SLA_NAMES[b] ?? b).join(', ')}`}</span>}
    </p>
  );
}

const who = (t: Ticket) => t.customer?.name ?? t.customer?.email ?? t.contactEmail ?? 'Anonymous visitor';

function Console() {
  const [filter, setFilter] = useState(0);
  const [tickets, setTickets] = useState<Ticket[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [detail, setDetail] = useState<{ ticket: Ticket; timeline: Item[] } | null>(null);
  const [emails, setEmails] = useState<Email[]>([]);
  const [text, setText] = useState('');
  const [internal, setInternal] = useState(false);
  const [files, setFiles] = useState<{ key: number; name: string; id?: string; error?: string }[]>([]);
  const [error, setError] = useState('');
  const [live, setLive] = useState(false);
  const [tick, setTick] = useState(0);
  const [query, setQuery] = useState('');
  const [more, setMore] = useState<string | null>(null);
  const [topics, setTopics] = useState<Topic[]>([]);
  const [solveNote, setSolveNote] = useState('');

  useEffect(() => {
    call<{ topics: Topic[] }>('site').then((site) => setTopics(site.topics), () => undefined);
  }, []);

  /** "To solve": the most urgent ticket that is nobody's or already Ada's, now hers. */
  async function takeNext() {
    setSolveNote('');
    try {
      const next = await call<Ticket | null>('next');
      if (!next) return setSolveNote('Nothing to solve right now.');
      setSelected(next.id);
      setTick((n) => n + 1);
    } catch (e) {
      setSolveNote((e as Error).message);
    }
  }

  const listFrom = (cursor?: string) => {
    const status = FILTERS[filter]![1];
    return call<{ items: Ticket[]; nextCursor: string | null }>('list', {
      limit: 50,
      ...(status ? { status } : {}),
      ...(query.trim() ? { q: query.trim() } : {}),
      ...(cursor ? { cursor } : {}),
    });
  };
  useEffect(() => {
    listFrom().then(
      (p) => {
        setTickets(p.items);
        setMore(p.nextCursor);
      },
      (e: Error) => setError(e.message),
    );
  }, [filter, tick, query]);
  const loadMore = () =>
    more &&
    listFrom(more).then(
      (p) => {
        setTickets((shown) => [...shown, ...p.items.filter((x) => !shown.some((y) => y.id === x.id))]);
        setMore(p.nextCursor);
      },
      (e: Error) => setError(e.message),
    );

  useEffect(() => {
    if (!selected) return setDetail(null);
    // Only the latest load is shown: an earlier one (another ticket, or before the last change) may answer last.
    let current = true;
    call<{ ticket: Ticket; timeline: Item[] }>('get', { ticketId: selected }).then(
      (next) => current && setDetail(next),
      () => current && setDetail(null),
    );
    call<{ items: Email[] }>('emails', { ticketId: selected }).then((page) => current && setEmails(page.items), () => current && setEmails([]));
    return () => {
      current = false;
    };
  }, [selected, tick]);

  useEffect(() => {
    const events = new EventSource('/console/api/events');
    events.onopen = () => {
      setLive(true);
      // Catch up on anything that changed while the feed was connecting.
      setTick((n) => n + 1);
    };
    events.onerror = () => setLive(false);
    events.onmessage = () => setTick((n) => n + 1);
    return () => events.close();
  }, []);

  async function act(action: string, input: Record<string, unknown> = {}) {
    if (!detail) return;
    if (action === 'purge' && !confirm('Purge this ticket for good? This cannot be undone.')) return;
    setError('');
    try {
      await call(action, { ticketId: detail.ticket.id, ...input });
      if (action === 'purge') setSelected(null);
      setTick((n) => n + 1);
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    }
  }

  const can = (a: string) => detail?.ticket.allowedActions.includes(a) ?? false;
  // A ticket that takes no public reply (closed, say) still takes an internal note.
  const asNote = internal || !can('reply');
  const attach = (list: FileList | null) => {
    for (const file of list ?? []) {
      const key = Math.random();
      setFiles((now) => [...now, { key, name: file.name }]);
      upload(file).then(
        (done) => setFiles((now) => now.map((f) => (f.key === key ? { ...f, id: done.id } : f))),
        (err: Error) => setFiles((now) => now.map((f) => (f.key === key ? { ...f, error: err.message } : f))),
      );
    }
  };
  const filesReady = files.every((f) => f.id);
  const send = async (e: Event, thenResolve = false) => {
    e.preventDefault();
    if (!text.trim() || !filesReady) return;
    const attachmentIds = files.map((f) => f.id!);
    // Files go with a reply or a note; "send and resolve" sends the reply with them, then resolves.
    const action = asNote ? 'note' : thenResolve && attachmentIds.length === 0 ? 'resolve' : 'reply';
    if (!(await act(action, { message: text.trim(), ...(attachmentIds.length ? { attachmentIds } : {}) }))) return;
    setText('');
    setFiles([]);
    if (thenResolve && action === 'reply') await act('resolve');
  };

  return (
    <>
      <header>
        <h1>Agent console · Acme Shop</h1>
        <nav>
          <a href="./" aria-current="page">
            Tickets
          </a>
          <a href="./dashboard.html">Dashboard</a>
        </nav>
        <span class="live" role="status">{live ? '● Live' : '○ Connecting…'}</span>
      </header>
      <div class="layout">
        <aside aria-label="Tickets">
          <div class="solve">
            <button type="button" onClick={() => void takeNext()}>
              To solve: take the next ticket
            </button>
            {solveNote && <span role="status">{solveNote}</span>}
          </div>
          <div class="filters" role="group" aria-label="Show">
            {FILTERS.map(([label], i) => (
              <button type="button" aria-pressed={filter === i} onClick={() => setFilter(i)}>
                {label}
              </button>
            ))}
          </div>
          <input class="search" type="search" placeholder="Search subjects" aria-label="Search subjects" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
          {tickets.length === 0 && <p class="empty">{query.trim() ? 'No ticket matches.' : 'No tickets here yet. Open one from the shop.'}</p>}
          <ul>
            {tickets.map((t) => (
              <li key={t.id}>
                <button type="button" class="row" aria-current={t.id === selected} onClick={() => setSelected(t.id)}>
                  <span class="subject">{t.subject}</span>
                  <span class="meta">
                    <span class={`status ${t.status}`}>{t.status}</span>
                    <span>{who(t)}</span>
                    <span>{time(t.lastActivityAt)}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {more && (
            <button type="button" class="more" onClick={() => void loadMore()}>
              Show older tickets
            </button>
          )}
        </aside>
        <main>
          {!detail && <p class="empty">Pick a ticket.</p>}
          {detail && (
            <>
              <h2>
                {detail.ticket.subject} <span class={`status ${detail.ticket.status}`}>{detail.ticket.status}</span>
              </h2>
              <p class="who">
                From {who(detail.ticket)}
                {detail.ticket.rating !== null && ` · rated ${detail.ticket.rating}/5`}
              </p>
              <Sla sla={detail.ticket.sla} />
              <div class="sorting">
                {can('setTopic') && (
                  <label>
                    Topic{' '}
                    <select value={detail.ticket.topicId ?? ''} onChange={(e) => void act('setTopic', { topicId: e.currentTarget.value || null })}>
                      <option value="">None</option>
                      {topics.map((t) => (
                        <option value={t.id}>{t.labels.en ?? t.id}</option>
                      ))}
                    </select>
                  </label>
                )}
                {can('setPriority') && (
                  <label>
                    Priority{' '}
                    <select value={detail.ticket.priority} onChange={(e) => void act('setPriority', { priority: e.currentTarget.value })}>
                      {['low', 'normal', 'high', 'urgent'].map((p) => (
                        <option value={p}>{p}</option>
                      ))}
                    </select>
                  </label>
                )}
                {can('setTags') && (
                  <label>
                    Tags{' '}
                    <input
                      key={`${detail.ticket.id}:${detail.ticket.tags.join(',')}`}
                      defaultValue={detail.ticket.tags.join(', ')}
                      placeholder="vip, refund"
                      onChange={(e) => void act('setTags', { tags: e.currentTarget.value.split(',').map((x) => x.trim()).filter(Boolean) })}
                    />
                  </label>
                )}
              </div>
              {detail.ticket.context && (
                <dl class="context">
                  {detail.ticket.context.pageUrl && (
                    <>
                      <dt>Page</dt>
                      <dd>
                        <MessageText text={detail.ticket.context.pageUrl} />
                      </dd>
                    </>
                  )}
                  {detail.ticket.context.language && (
                    <>
                      <dt>Language</dt>
                      <dd>{detail.ticket.context.language}</dd>
                    </>
                  )}
                  {detail.ticket.context.userAgent && (
                    <>
                      <dt>Browser</dt>
                      <dd>{detail.ticket.context.userAgent}</dd>
                    </>
                  )}
                  {Object.entries(detail.ticket.context.fields ?? {}).map(([name, value]) => (
                    <>
                      <dt>{name}</dt>
                      <dd>{value}</dd>
                    </>
                  ))}
                </dl>
              )}
              {emails.length > 0 && (
                <p class="emails">
                  Emails to the customer:{' '}
                  {[...emails].reverse().map((e, i) => (
                    <span key={e.id} class={`email ${e.status}`} title={e.lastError ?? e.to}>
                      {i > 0 && ' · '}
                      {e.kind.replace(/_/g, ' ')} {e.status === 'sent' ? `sent ${time(e.sentAt!)}` : e.status}
                    </span>
                  ))}
                </p>
              )}
              <ol class="thread">
                {detail.timeline.map((item) =>
                  item.kind === 'message' ? (
                    <li key={item.id} class={`msg ${item.author.kind}${item.internal ? ' internal' : ''}`}>
                      <div class="who">
                        {item.internal ? 'Internal note · ' : ''}
                        {item.author.name ?? item.author.kind} · {time(item.at)}
                      </div>
                      <MessageText text={item.body} />
                      <Files files={item.attachments} />
                    </li>
                  ) : (
                    <li key={item.id} class="event">
                      {item.type.replace(/_/g, ' ')}
                      {item.from && item.from !== item.to ? ` (${item.from} → ${item.to})` : ''} · {item.actor.name ?? item.actor.kind} · {time(item.at)}
                      {typeof item.data?.reason === 'string' && <q class="reason">{item.data.reason}</q>}
                    </li>
                  ),
                )}
              </ol>
              {error && <p class="error" role="alert">{error}</p>}
              <div class="actions">
                {can('resolve') && <button onClick={() => act('resolve')}>Resolve</button>}
                {can('postpone') && <button onClick={() => act('postpone', { until: new Date(Date.now() + 86_400_000).toISOString() })}>Postpone 1 day</button>}
                {can('reopen') && <button onClick={() => act('reopen')}>Reopen</button>}
                {can('close') && <button onClick={() => act('close')}>Close</button>}
                {can('markSpam') && <button class="danger" onClick={() => act('markSpam')}>Spam</button>}
                {can('unspam') && <button onClick={() => act('unspam')}>Not spam</button>}
                {can('delete') && <button class="danger" onClick={() => act('delete')}>Delete</button>}
                {can('restore') && <button onClick={() => act('restore')}>Restore</button>}
                {can('purge') && <button class="danger" onClick={() => act('purge')}>Purge</button>}
              </div>
              {(can('reply') || can('note')) && (
                <form onSubmit={(e) => void send(e)}>
                  <div class="mode" role="radiogroup" aria-label="Write">
                    {can('reply') && (
                      <label>
                        <input type="radio" name="mode" checked={!internal} onChange={() => setInternal(false)} /> Reply to customer
                      </label>
                    )}
                    <label>
                      <input type="radio" name="mode" checked={internal || !can('reply')} onChange={() => setInternal(true)} /> Internal note
                    </label>
                  </div>
                  <label for="text" class="who">
                    {asNote ? 'Note (only agents see it)' : 'Reply'}
                  </label>
                  <textarea id="text" value={text} onInput={(e) => setText(e.currentTarget.value)} />
                  <label class="attach">
                    Attach files <input type="file" multiple onChange={(e) => (attach(e.currentTarget.files), (e.currentTarget.value = ''))} />
                  </label>
                  {files.length > 0 && (
                    <ul class="pending" aria-live="polite">
                      {files.map((f) => (
                        <li key={f.key}>
                          {f.name} — {f.error ? <span class="error">{f.error}</span> : f.id ? 'ready' : 'uploading…'}{' '}
                          <button type="button" aria-label={`Remove ${f.name}`} onClick={() => setFiles((now) => now.filter((x) => x.key !== f.key))}>
                            ×
                          </button>
                        </li>
                      ))}
                    </ul>
                  )}
                  <div class="send-row">
                    <button class="primary" type="submit" disabled={!filesReady}>
                      {asNote ? 'Add note' : 'Send reply'}
                    </button>
                    {!asNote && can('resolve') && (
                      <button type="button" onClick={(e) => void send(e, true)}>
                        Send and resolve
                      </button>
                    )}
                  </div>
                </form>
              )}
            </>
          )}
        </main>
      </div>
    </>
  );
}

render(<Console />, document.getElementById('app')!);
