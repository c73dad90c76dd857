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
import { bundleWorkflowCode, type NativeConnection } from '@temporalio/worker';
import { connectNative } from '../../temporal/connection.ts';
import { createWorkflowWorker } from '../../workers/workflow-worker.ts';
import { startEngine, type Engine } from '../support/engine.ts';
import { eventTime } from '../../bench/cost.ts';
import { EventType, workflowHistoryReaches, type HistoryEvent } from '../support/history.ts';
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

/** Starts the spin workflow for `rounds` on `taskQueue`. */
function startSpin(e: Engine, taskQueue: string, name: string, rounds: number) {
  return e.client.workflow.start('spinWorkflow', {
    taskQueue,
    workflowId: `spin-${name}-${Date.now()}`,
    args: [rounds],
    // Past Temporal's 10 s a task times out and runs again, over and over, holding a core that other test files need:
    // a spin aimed at 10 s may take longer on a loaded machine.
    workflowTaskTimeout: '1 minute',
  });
}

const isType = (type: number) => (ev: HistoryEvent) => ev.eventType === type;
const taskFailed = isType(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
const completed = isType(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

test.serial(
  'with a timeout, a task that runs past it fails as a potential deadlock and the worker goes on',
  async (t) => {
    const { e, rounds } = t.context;
    await withWorker(t, TIMEOUT_MS, async (taskQueue) => {
      const stuck = await startSpin(e, taskQueue, 'stuck', rounds);
      try {
        const events = await workflowHistoryReaches(stuck, (evs) => evs.some(taskFailed), 20_000);
        const failure = events.find(taskFailed)?.workflowTaskFailedEventAttributes?.failure?.message;
        t.regex(failure ?? 'no task failed', /timed out after 150ms/);
        // The worker's thread is free again: another workflow runs to its end on it.
        t.is(await (await startSpin(e, taskQueue, 'quick', 1000)).result(), spin(1000));
      } finally {
        await stuck.terminate('test over');
      }
    });
  },
);

/** How long a run's first workflow task took, by the server's clock, from its history's events. */
function firstTaskMs(events: HistoryEvent[]): number {
  const at = (type: number) => {
    const ev = events.find(isType(type));
    return ev ? eventTime(ev as Record<string, unknown>) : NaN;
  };
  return at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) - at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
}

test.serial('with 0, a task runs to its end past the SDK’s own 5 s', async (t) => {
  const { e, rounds } = t.context;
  await withWorker(t, 0, async (taskQueue) => {
    // The sandbox's own speed first, by the server's clock: then rounds that last past the SDK's 5 s there. Aimed at
    // twice that: a short run measured while other tests load the cores, or before the loop is compiled, makes a long
    // one run faster than its measure (7 s aimed for once took 4.96).
    const short = await startSpin(e, taskQueue, 'free', rounds);
    t.is(await short.result(), spin(rounds));
    const shortMs = firstTaskMs((await short.fetchHistory()).events ?? []);
    const long = Math.ceil((rounds * 10_000) / Math.max(1, shortMs));
    const handle = await startSpin(e, taskQueue, 'free', long);
    t.teardown(() => handle.terminate('test over').catch(() => undefined));
    const events = await workflowHistoryReaches(handle, (evs) => evs.some((ev) => completed(ev) || taskFailed(ev)));
    const failed = events.find(taskFailed);
    t.is(failed?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined, undefined);
    t.true(events.some(completed));
    const took = firstTaskMs(events);
    t.true(took > 5000, `the task took ${took} ms, not past the SDK's 5 s: the test proves nothing`);
  });
});
