/**
 * Small SVG charts for the dashboard: no chart library, a few hundred bytes each.
 * Every chart is an image with a spoken summary, and each bar or point has a tooltip.
 */

export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
}

const W = 640;
const H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/** A round top for an axis: 1, 2, 5 × a power of ten, at least the largest value. */
function niceMax(max: number) {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * power).find((m) => m >= max)!;
}

/** Day labels thinned to about eight along the axis. */
const every = (labels: string[]) => Math.max(1, Math.ceil(labels.length / 8));

function Axis({ top, labels, format }: { top: number; labels: string[]; format: (v: number) => string }) {
  const innerH = H - PAD.top - PAD.bottom;
  const step = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  return (
    <g class="axis">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={PAD.left} x2={W - PAD.right} y1={PAD.top + innerH * (1 - f)} y2={PAD.top + innerH * (1 - f)} />
          <text x={PAD.left - 6} y={PAD.top + innerH * (1 - f) + 4} text-anchor="end">
            {format(top * f)}
          </text>
        </g>
      ))}
      {labels.map((label, i) =>
        i % every(labels) === 0 ? (
          <text key={label} x={PAD.left + step * (i + 0.5)} y={H - 8} text-anchor="middle">
            {label}
          </text>
        ) : null,
      )}
    </g>
  );
}

/** Bars per label, one per series side by side. */
export function BarChart({ labels, series, summary, format = String }: { labels: string[]; series: Series[]; summary: string; format?: (v: number) => string }) {
  const top = niceMax(Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0))));
  const innerH = H - PAD.top - PAD.bottom;
  const step = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  const width = (step * 0.8) / series.length;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} class="chart">
      <Axis top={top} labels={labels} format={format} />
      {series.map((s, si) =>
        s.values.map((v, i) => {
          const h = ((v ?? 0) / top) * innerH;
          return (
            <rect key={`${si}-${i}`} x={PAD.left + step * i + step * 0.1 + width * si} y={PAD.top + innerH - h} width={Math.max(1, width - 1)} height={h} fill={s.color}>
              <title>{`${labels[i]} · ${s.name}: ${v === null ? '—' : format(v)}`}</title>
            </rect>
          );
        }),
      )}
    </svg>
  );
}

/** Lines through the values of each series; a gap where a day has none. */
export function LineChart({ labels, series, summary, format = String }: { labels: string[]; series: Series[]; summary: string; format?: (v: number) => string }) {
  const top = niceMax(Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0))));
  const innerH = H - PAD.top - PAD.bottom;
  const step = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  const point = (v: number, i: number) => [PAD.left + step * (i + 0.5), PAD.top + innerH - (v / top) * innerH] as const;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} class="chart">
      <Axis top={top} labels={labels} format={format} />
      {series.map((s) => {
        const path = s.values
          .map((v, i) => (v === null ? null : `${s.values[i - 1] == null ? 'M' : 'L'}${point(v, i).join(' ')}`))
          .filter(Boolean)
          .join(' ');
        return (
          <g key={s.name}>
            <path d={path} fill="none" stroke={s.color} stroke-width="2" />
            {s.values.map((v, i) =>
              v === null ? null : (
                <circle key={i} cx={point(v, i)[0]} cy={point(v, i)[1]} r="3" fill={s.color}>
                  <title>{`${labels[i]} · ${s.name}: ${format(v)}`}</title>
                </circle>
              ),
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** A share as a filled bar with its percentage. */
export function Share({ label, value, of, color }: { label: string; value: number | null; of: string; color: string }) {
  const percent = value === null ? null : Math.round(value * 100);
  return (
    <div class="share">
      <div class="share-head">
        <span>{label}</span>
        <strong>{percent === null ? '—' : `${percent}%`}</strong>
      </div>
      <div class="share-track" role="img" aria-label={`${label}: ${percent === null ? 'no data' : `${percent}%`} ${of}`}>
        <div class="share-fill" style={{ width: `${percent ?? 0}%`, background: color }} />
      </div>
      <p class="share-of">{of}</p>
    </div>
  );
}

/** The series' colour key. */
export function Legend({ series }: { series: Pick<Series, 'name' | 'color'>[] }) {
  return (
    <ul class="legend">
      {series.map((s) => (
        <li key={s.name}>
          <span class="swatch" style={{ background: s.color }} /> {s.name}
        </li>
      ))}
    </ul>
  );
}
