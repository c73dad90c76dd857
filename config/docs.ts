// The README's configuration table, made from the schema in ./index.ts: one row per variable, its default and its
// description. `npm run docs:config` writes it into README.md; test/config/readme-table.test.ts checks it is current.
import type { z } from 'zod';
import { CONFIG_SCHEMA, VARIABLE_FAMILIES } from './index.ts';

export const TABLE_START = '<!-- configuration table: written by `npm run docs:config` from config/index.ts -->';
export const TABLE_END = '<!-- end of configuration table -->';

interface Row {
  name: string;
  shownDefault: string;
  description: string | undefined;
}

/** The default a schema applies when the variable is unset, looking through coercions, pipes and transforms. */
function defaultOf(schema: z.ZodType): unknown {
  const def = schema._zod.def as { type: string; defaultValue?: unknown; in?: z.ZodType; innerType?: z.ZodType };
  if (def.type === 'default') return def.defaultValue;
  if (def.type === 'pipe' && def.in) return defaultOf(def.in);
  if (def.innerType) return defaultOf(def.innerType);
  return undefined;
}

function shown(value: unknown): string {
  if (value === undefined || value === '') return '—';
  if (typeof value === 'number') return String(value);
  return `\`${String(value)}\``;
}

export function configRows(): Row[] {
  const rows = Object.entries(CONFIG_SCHEMA.shape).map(([name, schema]): Row => {
    const meta = (schema as z.ZodType).meta() as { description?: string; shownDefault?: string } | undefined;
    return {
      name,
      shownDefault: meta?.shownDefault ?? shown(defaultOf(schema as z.ZodType)),
      description: meta?.description,
    };
  });
  for (const family of VARIABLE_FAMILIES) rows.push({ ...family, shownDefault: '—' });
  return rows;
}

/** The variables without a description: each must have one, or the table would say nothing of it. */
export function undescribed(): string[] {
  return configRows()
    .filter((r) => !r.description)
    .map((r) => r.name);
}

export function configTable(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    TABLE_START,
    '| variable | default | meaning |',
    '|---|---|---|',
    ...configRows().map((r) => `| \`${r.name}\` | ${cell(r.shownDefault)} | ${cell(r.description ?? '')} |`),
    TABLE_END,
  ].join('\n');
}

/** The README with its configuration table replaced by the current one. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${TABLE_START}" ... "${TABLE_END}" section`);
  return readme.slice(0, start) + configTable() + readme.slice(end + TABLE_END.length);
}
