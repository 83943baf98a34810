/** The support lead's dashboard: the lifecycle's figures for a range, read at a glance. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Outputs } from '../../sdk/index.js';
import { BarChart, Legend, LineChart, Share, type Series } from './charts.js';

type Summary = Outputs['agent']['metrics']['summary'];
type Site = Outputs['agent']['site']['get'];

async function call<T>(action: string, input: unknown = {}): Promise<T> {
  const res = await fetch(`/console/api/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
  const body = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

const RANGES = [7, 30, 90];
const DAY = 86_400_000;
const COLORS = { created: '#1d4ed8', resolved: '#16a34a', firstReply: '#7c3aed', resolution: '#ea580c', missed: '#b91c1c', backlog: '#0f766e' };

/** A duration as a lead reads it: "35 min", "4.2 h", "2.5 days". */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  const minutes = ms / 60_000;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(1)} h`;
  return `${(minutes / 1440).toFixed(1)} days`;
}
const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 100)}%`);
const hours = (ms: number) => (ms === 0 ? '0 h' : `${(ms / 3_600_000).toFixed(ms < 36_000_000 ? 1 : 0)} h`);
const shortDay = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

function Tile({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div class="tile">
      <p class="tile-label">{label}</p>
      <p class="tile-value">{value}</p>
      {detail && <p class="tile-detail">{detail}</p>}
    </div>
  );
}

function Dashboard() {
  const [days, setDays] = useState(30);
  const [data, setData] = useState<{ byDay: Summary; byTopic: Summary; site: Site } | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let current = true;
    // Whole days: from midnight `days` days ago to the end of today, in this browser's zone.
    const end = new Date();
    end.setHours(24, 0, 0, 0);
    const range = { from: new Date(end.getTime() - days * DAY).toISOString(), to: end.toISOString(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone };
    setError('');
    Promise.all([call<Summary>('metrics', { ...range, groupBy: 'day' }), call<Summary>('metrics', { ...range, groupBy: 'topic' }), call<Site>('site')]).then(
      ([byDay, byTopic, site]) => current && setData({ byDay, byTopic, site }),
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [days]);

  const totals = data?.byDay.totals;
  const groups = data?.byDay.groups ?? [];
  const labels = groups.map((g) => shortDay(g.key!));
  const volume: Series[] = [
    { name: 'Created', color: COLORS.created, values: groups.map((g) => g.created) },
    { name: 'Resolved', color: COLORS.resolved, values: groups.map((g) => g.resolved) },
  ];
  const speed: Series[] = [
    { name: 'First reply (median)', color: COLORS.firstReply, values: groups.map((g) => g.firstReplyMs.p50) },
    { name: 'Full resolution (median)', color: COLORS.resolution, values: groups.map((g) => g.fullResolutionMs.p50) },
  ];
  const ages: [string, number][] = totals
    ? [
        ['< 1 day', totals.backlogUnder1d],
        ['1–3 days', totals.backlog1to3d],
        ['3–7 days', totals.backlog3to7d],
        ['7–30 days', totals.backlog7to30d],
        ['> 30 days', totals.backlogOver30d],
      ]
    : [];
  const topicName = (id: string | null) => (id === null ? 'No topic' : (data?.site.topics.find((t) => t.id === id)?.labels.en ?? id));

  return (
    <>
      <header>
        <h1>Agent console · Acme Shop</h1>
        <nav>
          <a href="./">Tickets</a>
          <a href="./dashboard.html" aria-current="page">
            Dashboard
          </a>
        </nav>
      </header>
      <main class="dashboard">
        <div class="dash-head">
          <h2>Support at a glance</h2>
          <div class="filters" role="group" aria-label="Range">
            {RANGES.map((n) => (
              <button type="button" aria-pressed={days === n} onClick={() => setDays(n)}>
                Last {n} days
              </button>
            ))}
          </div>
        </div>
        {error && (
          <p class="error" role="alert">
            Could not load the figures: {error}
          </p>
        )}
        {!data && !error && <p class="empty">Loading the figures…</p>}
        {data && totals && (
          <>
            {totals.created === 0 && totals.resolved === 0 && <p class="empty">No tickets in this range yet: open one from the shop, and the figures fill in.</p>}
            <section class="tiles" aria-label="Totals">
              <Tile label="Created" value={String(totals.created)} detail={`${totals.resolved} resolutions`} />
              <Tile label="First reply" value={duration(totals.firstReplyMs.p50)} detail={`median · 90% within ${duration(totals.firstReplyMs.p90)}`} />
              <Tile label="Full resolution" value={duration(totals.fullResolutionMs.p50)} detail={`median · 90% within ${duration(totals.fullResolutionMs.p90)}`} />
              <Tile label="Customer wait" value={duration(totals.requesterWaitMs.p50)} detail="median time waiting on us" />
              <Tile
                label="Satisfied (CSAT)"
                value={percent(totals.csatSatisfiedShare)}
                detail={totals.ratings ? `${totals.csatAverage!.toFixed(1)} / 5 average · ${totals.ratings} ratings` : 'no ratings yet'}
              />
              <Tile label="Missed targets" value={String(totals.slaBreaches)} detail="first reply, next reply, resolution" />
              <Tile label="Reopened" value={percent(totals.reopenRate)} detail={`of closes · follow-ups ${percent(totals.followUpRate)}`} />
              <Tile label="One-touch" value={String(totals.oneTouchResolutions)} detail="resolved with at most one reply" />
            </section>

            <section class="panel-grid">
              <figure class="card">
                <figcaption>Created and resolved per day</figcaption>
                <Legend series={volume} />
                <BarChart labels={labels} series={volume} summary={`${totals.created} tickets created and ${totals.resolved} resolutions in ${days} days`} />
              </figure>
              <figure class="card">
                <figcaption>Time to first reply and to resolution (median per day)</figcaption>
                <Legend series={speed} />
                <LineChart labels={labels} series={speed} format={hours} summary={`Median first reply ${duration(totals.firstReplyMs.p50)}, median full resolution ${duration(totals.fullResolutionMs.p50)}`} />
              </figure>
              <figure class="card">
                <figcaption>What customers did with resolutions</figcaption>
                <Share label="Confirmed" value={totals.confirmationRate} of={`of ${totals.resolved} resolutions: the customer said it is solved`} color={COLORS.resolved} />
                <Share label="Rejected" value={totals.rejectionRate} of={`of ${totals.resolved} resolutions: "not solved yet"`} color={COLORS.missed} />
                <Share label="Auto-closed" value={totals.autoCloseShare} of={`of ${totals.closed} closes: no answer, closed by the rule`} color="#6b7280" />
              </figure>
              <figure class="card">
                <figcaption>
                  Backlog now: {totals.backlog} unsolved ({totals.backlogNew} new, {totals.backlogOpen} open, {totals.backlogAnswered} waiting on the customer, {totals.backlogPostponed} postponed)
                </figcaption>
                <BarChart
                  labels={ages.map(([label]) => label)}
                  series={[{ name: 'Unsolved tickets', color: COLORS.backlog, values: ages.map(([, n]) => n) }]}
                  summary={`Backlog by age: ${ages.map(([label, n]) => `${label} ${n}`).join(', ')}`}
                />
              </figure>
              <figure class="card">
                <figcaption>Missed targets per day</figcaption>
                <BarChart labels={labels} series={[{ name: 'Missed targets', color: COLORS.missed, values: groups.map((g) => g.slaBreaches) }]} summary={`${totals.slaBreaches} missed targets in ${days} days`} />
              </figure>
              <figure class="card">
                <figcaption>By topic</figcaption>
                <table class="topics">
                  <thead>
                    <tr>
                      <th scope="col">Topic</th>
                      <th scope="col">Created</th>
                      <th scope="col">First reply</th>
                      <th scope="col">Resolution</th>
                      <th scope="col">Confirmed</th>
                      <th scope="col">Rejected</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(data.byTopic.groups ?? []).map((g) => (
                      <tr key={g.key ?? 'none'}>
                        <th scope="row">{topicName(g.key)}</th>
                        <td>{g.created}</td>
                        <td>{duration(g.firstReplyMs.p50)}</td>
                        <td>{duration(g.fullResolutionMs.p50)}</td>
                        <td>{percent(g.confirmationRate)}</td>
                        <td>{percent(g.rejectionRate)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </figure>
            </section>
          </>
        )}
      </main>
    </>
  );
}

render(<Dashboard />, document.getElementById('app')!);
