// Every patched() in the workflow code has both of its sides in test/histories, which test/replay replays: a history
// recorded since the patch (its marker is there) and one recorded with the code from before it that went through the
// same place (no marker: on replay the patch answers false and the old branch must give the same commands).
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { repoRoot } from '../../config/index.ts';

/** Per patch: histories recorded with the code from before it, each passing where the patch now decides. */
const BEFORE: Record<string, string[]> = {
  // A takeback `*`, then its `1` after the digit timeout: the old code took back.
  'takeback-expires': ['takeback-stale-star-31254319-callWorkflow-2.json'],
  // The transferor's takeback digits during a transfer: the old code matched the takeback alone, by its suffix.
  'transfer-codes': ['takeback-stale-star-31254319-callWorkflow-2.json'],
  // Events arrived while the run waited for a REST hangup's handler: the old code continued as new regardless.
  'continue-as-new-rechecks': ['continue-as-new-waits-70a74884-callWorkflow-2.json'],
  // The originate's reply was lost and the target was busy: the old code dialled again and again for 60 s.
  'originate-once': ['originate-reply-lost-b9050807-transferWorkflow-1.json'],
  // The node worker was down when the no-answer deadline fired: the old code gave up without looking.
  'no-answer-checks-switch': ['no-answer-deadline-d504a1a5-transferWorkflow-1.json'],
  // The transferor's transfer was terminated by hand: the old code let the ingest's sweep resume it, and did not wake
  // (here with a feature-code timer running, which a wake would have cancelled).
  // A completed transfer: the old code signalled the transferor, who had hung up, and the signal failed.
  'end-tells-living-parties': ['attended-e4b0b472-transferWorkflow-1.json'],
  // A party hung up as the last bridge was made, before the settings were restored: the old code ended regardless.
  'restore-watches-pair': [
    'hangup-after-bridge-4e361131-transferWorkflow-1.json',
    'hangup-after-bridge-4e361131-transferWorkflow-2.json',
    'hangup-after-bridge-4e361131-transferWorkflow-3.json',
  ],
  // Codes typed on the code from before: the terminator (`*22600#`), `#` in a pattern, a number nothing extends, a
  // declared length, a pattern that cannot go on. Each waited for its timer; the new code acts at the last digit.
  'feature-code-at-once': [
    'feature-codes-before-34fa484d-callWorkflow-12.json',
    'feature-codes-before-34fa484d-callWorkflow-4.json',
    'feature-codes-before-34fa484d-callWorkflow-6.json',
    'feature-codes-before-34fa484d-callWorkflow-8.json',
    'feature-codes-before-34fa484d-callWorkflow-9.json',
  ],
  // `*22` delivered, `600` held by the ingest, the timer fired late: the old code dialled 2 at once.
  'feature-code-held-digits': ['held-digits-before-8ec8a2c8-callWorkflow-1.json'],
  // A swap `*4` typed during a transfer: the old code waited for the digit timer before swapping.
  'transfer-code-at-once': ['three-way-6e443266-callWorkflow-3.json'],
  // A takeback during the consultation: the old code hung the target up and bridged in two activities.
  'kill-then-bridge': ['takeback-12d8ca08-transferWorkflow-3.json'],
  // Every transfer recorded before it: the old code held the parties only once its signal had reached the transferee.
  'hold-with-join': ['attended-e4b0b472-transferWorkflow-1.json'],
  // A call's phases, each upserted on its own as it changed (answered and ended in one task), `ended` too: the old
  // code's upserts.
  'one-upsert-per-task': ['attended-e4b0b472-callWorkflow-2.json', 'attended-e4b0b472-callWorkflow-3.json'],
  // `*22600` with a digit arriving while the digit timer ran: the old code cancelled it and started another.
  'one-digit-timer': ['attended-44a9876a-callWorkflow-1.json'],
  // Two inputs stepped in one workflow task (the target's answer, then its bridge asked for): the old code upserted
  // both states.
  'transfer-one-upsert-per-task': [
    'attended-e4b0b472-transferWorkflow-1.json',
    'takeback-12d8ca08-transferWorkflow-1.json',
  ],
  // Feature codes typed (*22600#, at once) on the code from before: no metaflow could keep its codes from the peer.
  'private-codes': ['feature-codes-e1fcc9bd-callWorkflow-3.json'],
  // The last digit of `*22604` delivered first, the whole code by the other ingest a second later: the old code
  // dropped the earlier digits as older than the last.
  'late-events': ['late-digits-before-115cdc3d-callWorkflow-2.json'],
  // `*2` delivered, its timer fired on time before the held `2604` got through: the old code ended `*2` as no match for
  // good, and the held digits did nothing.
  'feature-code-reopen': ['reopened-code-before-fba3f585-callWorkflow-2.json'],
  // `*22` delivered at once but taken seconds later by a workflow worker that was away, `600` held by the ingest: the
  // old code took `*22` for held, gave its late timer no wait, and dialled 2.
  'held-digit-stamp': ['late-worker-digits-before-dfc21a08-callWorkflow-2.json'],
  // The transferor's hangup held by the ingest while the target answered: the old code took the refused consultation
  // bridges (`-ERR Invalid uuid`) for three failed attempts and released transferee and target.
  'bridge-failure-audits': ['bridge-refused-before-aed6d840-transferWorkflow-1.json'],
  'resume-lost-transfer': [
    'reconcile-transfers-43576df2-callWorkflow-1.json',
    'lost-transfer-while-collecting-9d970e79-callWorkflow-3.json',
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
  t.true(ids.size > 0);
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
