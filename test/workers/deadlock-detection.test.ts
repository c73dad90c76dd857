// WORKFLOW_DEADLOCK_TIMEOUT_MS: with a timeout, a workflow task whose code runs past it without yielding fails as a
// potential deadlock and the worker goes on with other workflows (the SDK's guard); with 0 the patch in patches/ calls
// into the sandbox without Node's per-call watchdog thread, and a task runs to its end however long it takes (past the
// SDK's own 5 s, which a worker without the patch keeps). The workflow is a test one (test/support/spin-workflow.ts),
// timed in this process first so that it runs past each timeout here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import anyTest, { type TestFn } from 'ava';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, type NativeConnection } from '@temporalio/worker';
import { connectNative } from '../../temporal/connection.ts';
import { createWorkflowWorker } from '../../workers/workflow-worker.ts';
import { startEngine, type Engine } from '../support/engine.ts';
import { EventType, type HistoryEvent } from '../support/history.ts';
import { sleep } from '../support/scenario.ts';
import { spin } from '../support/spin-workflow.ts';

const TIMEOUT_MS = 150;

interface Context {
  e: Engine;
  connection: NativeConnection;
  dir: string;
  bundleFile: string;
  /** Rounds of `spin` that take ten timeouts in this process (the sandbox was seen to run them up to twice as fast). */
  rounds: number;
}
const test = anyTest as TestFn<Context>;

function roundsLasting(ms: number): number {
  // Warmed up first: the optimised loop is what runs in the sandbox for seconds, and the first rounds run slower.
  for (let i = 0; i < 5; i++) spin(1_000_000);
  for (let rounds = 1_000_000; ; rounds *= 2) {
    const start = performance.now();
    spin(rounds);
    const took = performance.now() - start;
    if (took >= 100) return Math.ceil((rounds * ms) / took);
  }
}

test.before(async (t) => {
  const e = await startEngine({}, { workflowWorker: false, nodeWorker: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-deadlock-'));
  const bundleFile = path.join(dir, 'spin.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../support/spin-workflow.ts', import.meta.url)),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  fs.writeFileSync(bundleFile, code);
  t.context = {
    e,
    connection: await connectNative(e.config),
    dir,
    bundleFile,
    rounds: roundsLasting(10 * TIMEOUT_MS),
  };
});
test.after.always(async (t) => {
  await t.context.connection?.close();
  await t.context.e?.stop();
  if (t.context.dir) fs.rmSync(t.context.dir, { recursive: true, force: true });
});

/** Runs `body` with a workflow worker on a task queue of its own, serving the spin workflow. */
async function withWorker(
  t: { context: Context; title: string },
  deadlockTimeoutMs: number,
  body: (taskQueue: string) => Promise<void>,
): Promise<void> {
  const taskQueue = `deadlock-${deadlockTimeoutMs}-${process.pid}-${Date.now()}`;
  const worker = await createWorkflowWorker({
    connection: t.context.connection,
    namespace: t.context.e.config.TEMPORAL_NAMESPACE,
    taskQueue,
    stickyScheduleToStartMs: 1000,
    shutdownGraceMs: 1000,
    bundleFile: t.context.bundleFile,
    deadlockTimeoutMs,
  });
  const running = worker.run();
  try {
    await body(taskQueue);
  } finally {
    worker.shutdown();
    await running;
  }
}

test.serial(
  'with a timeout, a task that runs past it fails as a potential deadlock and the worker goes on',
  async (t) => {
    const { e, rounds } = t.context;
    await withWorker(t, TIMEOUT_MS, async (taskQueue) => {
      const stuck = await e.client.workflow.start('spinWorkflow', {
        taskQueue,
        workflowId: `spin-stuck-${Date.now()}`,
        args: [rounds],
      });
      try {
        let failure: string | undefined;
        for (const until = Date.now() + 20_000; failure === undefined && Date.now() < until; await sleep(100)) {
          const events = (await stuck.fetchHistory()).events ?? [];
          const failed = events.find((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
          failure = failed?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
        }
        t.regex(failure ?? 'no task failed', /timed out after 150ms/);
        // The worker's thread is free again: another workflow runs to its end on it.
        const quick = await e.client.workflow.execute('spinWorkflow', {
          taskQueue,
          workflowId: `spin-quick-${Date.now()}`,
          args: [1000],
        });
        t.is(quick, spin(1000));
      } finally {
        await stuck.terminate('test over');
      }
    });
  },
);

/** How long the run's first workflow task took, by the server's clock. */
async function firstTaskMs(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const at = (type: number) => {
    const time = events.find((ev) => ev.eventType === type)?.eventTime;
    return time ? Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6) : NaN;
  };
  return at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) - at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
}

test.serial('with 0, a task runs to its end past the SDK’s own 5 s', async (t) => {
  const { e, rounds } = t.context;
  await withWorker(t, 0, async (taskQueue) => {
    const run = async (n: number) => {
      const handle = await e.client.workflow.start('spinWorkflow', {
        taskQueue,
        workflowId: `spin-free-${n}-${Date.now()}`,
        args: [n],
      });
      return { handle, result: await handle.result() };
    };
    // The sandbox's own speed first, by the server's clock: then rounds that last past the SDK's 5 s there.
    const short = await run(rounds);
    t.is(short.result, spin(rounds));
    const long = Math.ceil((rounds * 7000) / Math.max(1, await firstTaskMs(short.handle)));
    const handle = await e.client.workflow.start('spinWorkflow', {
      taskQueue,
      workflowId: `spin-free-${long}-${Date.now()}`,
      args: [long],
    });
    let events: HistoryEvent[] = [];
    const ended = [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED];
    for (const until = Date.now() + 30_000; Date.now() < until; await sleep(200)) {
      events = (await handle.fetchHistory()).events ?? [];
      if (events.some((ev) => ended.includes(ev.eventType as number))) break;
    }
    const failed = events.find((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    if (failed) await handle.terminate('test over');
    t.is(failed?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined, undefined);
    t.true(events.some((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED));
    const took = await firstTaskMs(handle);
    t.true(took > 5000, `the task took ${took} ms, not past the SDK's 5 s: the test proves nothing`);
  });
});
