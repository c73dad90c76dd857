// A workflow bundle built ahead of time (WORKFLOW_BUNDLE, `npm run bundle:workflows`): a workflow worker loads it
// instead of running webpack, and runs the transfers from it. A missing file is refused at start-up, by name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { connectNative } from '../../temporal/connection.ts';
import { createWorkflowWorker, writeWorkflowBundle } from '../../workers/workflow-worker.ts';
import { placeCall, startEngine, type Engine } from '../support/engine.ts';
import { commandsFrom, consulting, transferByDigits } from '../support/scenario.ts';

const test = anyTest as TestFn<{ e: Engine; dir: string }>;

test.before(async (t) => {
  t.context = {
    e: await startEngine({}, { workflowWorker: false }),
    dir: fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-bundle-')),
  };
});
test.after.always(async (t) => {
  await t.context.e?.stop();
  if (t.context.dir) fs.rmSync(t.context.dir, { recursive: true, force: true });
});

test('WORKFLOW_BUNDLE naming no file stops the process with the variable named', (t) => {
  const err = t.throws(() => loadConfig({ ...process.env, WORKFLOW_BUNDLE: '/nonexistent/workflows.js' }), {
    instanceOf: ConfigError,
  });
  t.regex(err!.message, /WORKFLOW_BUNDLE: no such file/);
});

test('a workflow worker from a pre-built bundle runs a transfer', async (t) => {
  const { e, dir } = t.context;
  const file = path.join(dir, 'workflows.js');
  await writeWorkflowBundle(file);
  t.is(loadConfig({ ...process.env, WORKFLOW_BUNDLE: file }).WORKFLOW_BUNDLE, file);
  const connection = await connectNative(e.config);
  const worker = await createWorkflowWorker({
    connection,
    namespace: e.config.TEMPORAL_NAMESPACE,
    taskQueue: e.config.WORKFLOW_TASK_QUEUE,
    stickyScheduleToStartMs: e.config.STICKY_SCHEDULE_TO_START_MS,
    shutdownGraceMs: 1000,
    bundleFile: file,
  });
  const running = worker.run();
  try {
    const { alice, bob } = await placeCall(e);
    const carol = await transferByDigits(e, alice, '*22600', commandsFrom(e));
    await consulting(t, e, alice, bob, carol);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
});
