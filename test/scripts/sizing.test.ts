// docs/operations.md's sizing tables are computed from its inputs table (scripts/lib/sizing.ts): the tables in the
// file are the ones the inputs give, and the arithmetic holds what the page says of it.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { repoRoot } from '../../config/index.ts';
import { parseInputs, sizing, withSizingTables, INPUTS_END, INPUTS_START } from '../../scripts/lib/sizing.ts';

const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'operations.md'), 'utf8');

test("docs/operations.md's sizing tables are current (else: npm run docs:sizing)", (t) => {
  t.is(doc, withSizingTables(doc), 'run `npm run docs:sizing` and commit docs/operations.md');
});

test('rates grow with the concurrent calls; shards are a power of two, never below the minimum', (t) => {
  const inputs = parseInputs(doc);
  const small = sizing(inputs, 10_000);
  const large = sizing(inputs, 100_000);
  t.is(Math.round(large.signals[0]), Math.round(small.signals[0] * 10));
  t.is(large.signals[1], large.signals[0] * inputs['peak.factor']);
  for (const s of [small, large, sizing(inputs, 10)]) {
    t.true(Number.isInteger(Math.log2(s.historyShards)), String(s.historyShards));
    t.true(s.historyShards >= inputs['shards.minimum']);
    t.true(s.workflowWorkers >= 2);
    t.is(s.nodeWorkers, s.switches * 2);
  }
  // All plain calls: a call costs exactly the plain call's measured signals.
  const plain = sizing({ ...inputs, 'calls.transferShare': 0 }, 18_000);
  t.is(plain.signals[0], (18_000 / inputs['calls.meanDurationS']) * inputs['plain.signals']);
});

test('an inputs table with a key missing, unknown or given twice is refused by name', (t) => {
  const block = doc.slice(doc.indexOf(INPUTS_START), doc.indexOf(INPUTS_END));
  const without = doc.replace(block, block.replace(/^\| `peak\.factor`.*\n/m, ''));
  t.throws(() => parseInputs(without), { message: /missing sizing inputs: peak\.factor/ });
  const extra = doc.replace(INPUTS_END, `| \`peak.factr\` | 3 | typo | |\n${INPUTS_END}`);
  t.throws(() => parseInputs(extra), { message: /unknown sizing inputs: peak\.factr/ });
  const twice = doc.replace(INPUTS_END, `| \`peak.factor\` | 4 | again | |\n${INPUTS_END}`);
  t.throws(() => parseInputs(twice), { message: /peak\.factor is given twice/ });
});

test('on demand a plain call costs Temporal nothing, a transferred one its on-demand measurement', (t) => {
  const inputs = parseInputs(doc);
  const plain = sizing({ ...inputs, 'calls.transferShare': 0 }, 18_000, 'on_demand');
  t.is(plain.signals[0], 0);
  t.is(plain.actions[0], 0);
  t.is(plain.openWorkflows, 0);
  t.is(plain.projectionEvents[0], sizing({ ...inputs, 'calls.transferShare': 0 }, 18_000).projectionEvents[0]);
  const transferred = sizing({ ...inputs, 'calls.transferShare': 1 }, 18_000, 'on_demand');
  t.is(transferred.signals[0], (18_000 / inputs['calls.meanDurationS']) * inputs['onDemand.transferred.signals']);
});
