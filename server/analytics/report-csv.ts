/**
 * A metrics summary as CSV for spreadsheets: a header row of figure names
 * (percentiles as `firstReplyMs.p50`), then one row per group, or one row of totals.
 */
type Flat = Record<string, string | number | null>;

function flatten(figures: Record<string, unknown>, prefix = ''): Flat {
  const out: Flat = {};
  for (const [name, value] of Object.entries(figures)) {
    if (value !== null && typeof value === 'object') Object.assign(out, flatten(value as Record<string, unknown>, `${prefix}${name}.`));
    else out[`${prefix}${name}`] = value as string | number | null;
  }
  return out;
}

const cell = (value: string | number | null) => {
  if (value === null) return '';
  const text = String(value);
  // Quoted when needed, and a leading = + - @ cannot become a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export function summaryCsv(summary: { totals: Record<string, unknown>; groups?: ({ key: string | null } & Record<string, unknown>)[] }): string {
  const rows: Flat[] = summary.groups
    ? summary.groups.map(({ key, ...figures }) => ({ group: key, ...flatten(figures) }))
    : [flatten(summary.totals)];
  const header = Object.keys(rows[0] ?? {});
  return [header.join(','), ...rows.map((r) => header.map((h) => cell(r[h] ?? null)).join(','))].join('\n');
}
