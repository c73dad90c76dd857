// Every patched() in the workflow code has both of its sides in test/histories, which test/replay replays: a history
// recorded since the patch (its marker is there) and one recorded with the code from before it that went through the
// same place (no marker: on replay the patch answers false and the old branch must give the same commands).
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { repoRoot } from '../../config/index.ts';

/**
 * Per patch: histories recorded with the code from before it, each passing where the patch now decides. Emptied when
 * the release baseline folded every patch of the unreleased builds (docs/operations.md, "Workflow code changes"): a
 * new patched() comes with its histories of both sides and its line here.
 */
const BEFORE: Record<string, string[]> = {
  // hold-retry, the resolve's hold hung: given up (every attempt hung), and refused (the transferor gone meanwhile).
  // Before, the parties were left on hold.
  'give-back-held': ['hold-retry-61661e7c-callWorkflow-2.json', 'hold-retry-6852a4b1-callWorkflow-1.json'],
  // paced-digits, `*22` from a paced ingest: its timer decided at once (a transfer to 2), the `604` came after it.
  'paced-digits-grace': ['paced-digits-a2c5bf7b-callWorkflow-1.json'],
  // held-digits and late-worker-digits: a late digit timer waited for held digits without asking the ingest.
  'ask-ingest-held': [
    'held-digits-39feef28-callWorkflow-2.json',
    'held-digits-81448454-callWorkflow-2.json',
    'late-worker-digits-9b15dfa1-callWorkflow-2.json',
  ],
  // paced-digits, `*22` then `604` paced: each code's deadline counted from the press's arrival. With the credit the
  // deadline of a press delivered hundreds of ms late comes before the running timer's, which is cancelled there.
  'digit-lag-credit': ['paced-digits-3fadafe4-callWorkflow-1.json'],
  // attended, its codes' timers kept as before the shift was weighed, by a workflow worker of then under a node worker
  // whose policy carried TEMPORAL_TIMER_SHIFT_MS (1 s): the rule of now would have started them again at the digits.
  'digit-timer-shift': [
    'attended-429fb44e-callWorkflow-1.json',
    'attended-429fb44e-callWorkflow-2.json',
    'attended-429fb44e-callWorkflow-3.json',
  ],
  // fine-timer-shift, *22600 with keys 75 ms apart under a 100 ms shift: each key started the timer again (6 timers),
  // each restart ending the code some 25 ms sooner had it been the last key. Since, the timer is kept (2).
  'digit-timer-worth-it': ['fine-timer-shift-1db78107-callWorkflow-2.json'],
  // attended, *22600 sent whole by the ingest with the leg's quiet after it (workers/ingest/code-hold.ts): the code's
  // timer started, as before the quiet ended the code at once.
  'ingest-quiet': ['attended-10350ca9-callWorkflow-2.json'],
  // late-digits: the `4` of *22604 first, then the whole code (the `4` did nothing and was taken again after the rest,
  // as now); and *22600's `*` at once, its `0` from the other ingest, then the held `2260` taken after the `0`: *02260.
  // Since, the presses of an open collection are taken again from before the first one a late press precedes.
  'presses-in-switch-order': ['late-digits-388eec59-callWorkflow-1.json', 'late-digits-f5e9be3f-callWorkflow-2.json'],
  // originate-once, the originate's reply lost (the target busy, the target answering): the switch read at once and the
  // command never sent again. Since, the transfer first gives the switch time to tell of the leg (a timer), and sends
  // the command again if it neither shows nor told of it.
  'originate-sent-again': [
    'originate-once-22010ef6-transferWorkflow-1.json',
    'originate-once-22010ef6-transferWorkflow-2.json',
  ],
};

const workflowsDir = path.join(repoRoot, 'workflows');
const historiesDir = path.join(repoRoot, 'test', 'histories');

function patchIds(): Set<string> {
  const ids = new Set<string>();
  for (const file of fs.readdirSync(workflowsDir).filter((f) => f.endsWith('.ts'))) {
    const source = fs.readFileSync(path.join(workflowsDir, file), 'utf8');
    for (const m of source.matchAll(/\bpatched\('([^']+)'\)/g)) ids.add(m[1]!);
  }
  return ids;
}

/** The patch IDs whose markers a history holds. */
function markers(file: string): Set<string> {
  const history = JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8')) as {
    events: { markerRecordedEventAttributes?: { details?: Record<string, { payloads?: { data?: string }[] }> } }[];
  };
  const ids = new Set<string>();
  for (const event of history.events) {
    const data = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    if (data) ids.add((JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id);
  }
  return ids;
}

test('every patch has a history from since it (its marker) and one from before it', (t) => {
  const files = fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
  const ids = patchIds();
  t.deepEqual([...ids].sort(), Object.keys(BEFORE).sort(), 'each patch in the code is listed here, and only those');
  for (const id of ids) {
    t.true(
      files.some((f) => markers(f).has(id)),
      `${id}: a history recorded since the patch`,
    );
    for (const before of BEFORE[id] ?? []) {
      t.true(files.includes(before), `${id}: ${before} is in test/histories`);
      if (files.includes(before)) t.false(markers(before).has(id), `${id}: ${before} predates the patch`);
    }
  }
});
