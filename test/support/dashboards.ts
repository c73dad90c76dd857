// The metrics the repository's Grafana dashboard and Prometheus alert rules use, read from the files themselves.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../config/index.ts';

export const DASHBOARD = path.join(repoRoot, 'observability/grafana/handoff.json');
export const ALERTS = path.join(repoRoot, 'observability/prometheus/alerts.yml');

/** PromQL expressions of the dashboard's panels. */
export function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/** PromQL expressions of the alert rules (`expr:` values, one line or a `|` block). */
export function alertExpressions(): string[] {
  const lines = fs.readFileSync(ALERTS, 'utf8').split('\n');
  const exprs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]!);
    if (!m) continue;
    if (m[2] !== '|') {
      exprs.push(m[2]!);
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || /^\s/.test(lines[i + 1]!))) {
      const next = lines[i + 1]!;
      if (next.length - next.trimStart().length <= m[1]!.length && next.trim() !== '') break;
      block.push(next.trim());
      i++;
    }
    exprs.push(block.join(' '));
  }
  return exprs;
}

/** The metric families an expression reads (histogram series named by their family). */
export function metricFamilies(expr: string): string[] {
  const names = expr.match(/\b(?:handoff|temporal|process|nodejs)_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))];
}

/** The metric families of a Prometheus text exposition (`# TYPE name type` lines). */
export function exportedFamilies(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
}
