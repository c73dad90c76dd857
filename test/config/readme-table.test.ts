// The README's configuration table is the schema's: every variable has a description, and the table in README.md is
// the one `npm run docs:config` writes from config/index.ts.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { configRows, undescribed, withConfigTable } from '../../config/docs.ts';
import { CONFIG_SCHEMA, repoRoot } from '../../config/index.ts';

test('every configuration variable has a description', (t) => {
  t.deepEqual(undescribed(), [], "describe them in config/index.ts (.describe('...'))");
});

test("README.md's configuration table is current (else: npm run docs:config)", (t) => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  t.is(readme, withConfigTable(readme), 'run `npm run docs:config` and commit README.md');
});

test('the table has a row per variable of the schema, with the default the schema applies', (t) => {
  const rows = new Map(configRows().map((r) => [r.name, r]));
  for (const name of Object.keys(CONFIG_SCHEMA.shape)) t.true(rows.has(name), name);
  t.is(rows.get('DIGIT_TIMEOUT_MS')?.shownDefault, '800');
  t.is(rows.get('DEFAULT_TAKEBACK_DTMF')?.shownDefault, '`*1`');
  t.is(rows.get('ACCOUNT_VARIABLES')?.shownDefault.startsWith('`ecallmgr_Account-ID,'), true);
  t.is(rows.get('DEFAULT_ACCOUNT_ID')?.shownDefault, '—');
});
