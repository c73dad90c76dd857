// How the on-call CLI prints: aligned tables and `key: value` blocks for a person, JSON for scripts.

export type Row = Record<string, string | number | boolean | undefined>;

/** Columns in the order given, each as wide as its widest cell; an empty list says so. */
export function table(rows: Row[], columns: string[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cell = (v: Row[string]) => (v === undefined || v === '' ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join(
    '\n',
  );
}

/** `key: value` lines, keys aligned; undefined values left out. */
export function block(fields: Row): string {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${String(v)}`).join('\n');
}

/** `1h`, `30m`, `2d`, `90s` → milliseconds; undefined when the text is not one. */
export function parseSince(text: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(text);
  if (!m) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export function isoTime(d: Date | undefined): string | undefined {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
}
