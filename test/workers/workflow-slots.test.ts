// The workflow worker's settings: its slots (fixed unless WORKFLOW_TASK_SLOTS_MAX is above WORKFLOW_TASK_SLOTS, then
// the SDK's resource-based supplier between them at the CPU target), and the configuration's way to its options.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config/index.ts';
import { workflowTaskSlots, workflowWorkerOptions } from '../../workers/workflow-worker.ts';

test('fixed slots unless WORKFLOW_TASK_SLOTS_MAX is above WORKFLOW_TASK_SLOTS', (t) => {
  t.deepEqual(workflowTaskSlots({ taskSlots: 2 }), { maxConcurrentWorkflowTaskExecutions: 2 });
  t.deepEqual(workflowTaskSlots({}), { maxConcurrentWorkflowTaskExecutions: 2 });
  t.deepEqual(workflowTaskSlots({ taskSlots: 4, taskSlotsMax: 4 }), { maxConcurrentWorkflowTaskExecutions: 4 });
});

test('above it, resource-based workflow slots between the two at the CPU target; no activity slots to speak of', (t) => {
  const tuned = workflowTaskSlots({ taskSlots: 2, taskSlotsMax: 8, taskSlotsCpu: 0.7 });
  t.is(tuned.maxConcurrentWorkflowTaskExecutions, undefined);
  t.like(tuned.tuner, {
    workflowTaskSlotSupplier: {
      type: 'resource-based',
      minimumSlots: 2,
      maximumSlots: 8,
      tunerOptions: { targetCpuUsage: 0.7 },
    },
    activityTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
  });
});

// Every process that runs a workflow worker reads its settings through workflowWorkerOptions; the `workflows` role once
// built them by hand and left WORKFLOW_DEADLOCK_TIMEOUT_MS out, so the setting held under `npm start` and did nothing
// in a cluster.
test('every WORKFLOW_* setting reaches the worker’s options, each a value other than its default', (t) => {
  // The configuration checks that a bundle file exists; its content is not read here.
  const bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-options-')), 'workflows.js');
  fs.writeFileSync(bundle, '');
  t.teardown(() => fs.rmSync(path.dirname(bundle), { recursive: true, force: true }));
  const config = loadConfig({
    HANDOFF_DATA_DIR: os.tmpdir(),
    TEMPORAL_NAMESPACE: 'calls',
    WORKFLOW_TASK_QUEUE: 'handoff-options',
    STICKY_SCHEDULE_TO_START_MS: '1500',
    WORKFLOW_TASK_SLOTS: '3',
    WORKFLOW_TASK_SLOTS_MAX: '9',
    WORKFLOW_TASK_SLOTS_CPU: '0.6',
    WORKFLOW_STACK_TRACES: 'true',
    WORKFLOW_DEADLOCK_TIMEOUT_MS: '0',
    WORKFLOW_BUNDLE: bundle,
    SHUTDOWN_GRACE_MS: '7000',
    PAYLOAD_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  });
  const connection = {} as NativeConnection;
  const options = workflowWorkerOptions(config, connection);
  t.is(options.connection, connection);
  t.is(options.dataConverter?.payloadCodecs?.length, 1);
  t.like(options, {
    namespace: 'calls',
    taskQueue: 'handoff-options',
    stickyScheduleToStartMs: 1500,
    taskSlots: 3,
    taskSlotsMax: 9,
    taskSlotsCpu: 0.6,
    stackTraces: true,
    deadlockTimeoutMs: 0,
    bundleFile: bundle,
    shutdownGraceMs: 7000,
  });
});
