// Replays recorded histories of every scenario (test/histories, recorded from the end-to-end tests with
// HANDOFF_RECORD_HISTORIES) against the current workflow code: a change that would break calls in flight fails here.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import proto from '@temporalio/proto';

const { temporal } = proto;
import { Worker } from '@temporalio/worker';
import { repoRoot } from '../../config/index.ts';
import { workflowBundle, workflowSinks } from '../../workers/workflow-worker.ts';

const dir = path.join(repoRoot, 'test', 'histories');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];

test('recorded histories exist for both workflow types', (t) => {
  t.true(files.some((f) => f.includes('-callWorkflow-')));
  t.true(files.some((f) => f.includes('-transferWorkflow-')));
});

test('every recorded history replays without nondeterminism', async (t) => {
  const histories = files.map((file) => ({
    workflowId: file,
    history: temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))),
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await workflowBundle(), sinks: workflowSinks() },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  t.deepEqual(failures, []);
  t.log(`${histories.length} histories replayed`);
});
