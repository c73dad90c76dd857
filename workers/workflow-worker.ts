// The workflow worker: runs call and transfer workflows from the shared task queue. Stateless, so any number of them
// can run side by side; each keeps hot workflows in its cache (sticky queues) and any other picks them up if it dies.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  Worker,
  type InjectedSinks,
  type NativeConnection,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import {
  DEFAULT_WORKFLOW_DEADLOCK_TIMEOUT_MS,
  DEFAULT_WORKFLOW_TASK_SLOTS,
  DEFAULT_WORKFLOW_TASK_SLOTS_CPU,
  WORKFLOW_TASK_QUEUE,
  WORKFLOW_WORKER_MEMORY_TARGET,
} from '../contracts/ids.ts';
import type { Config } from '../config/index.ts';
import { dataConverter } from '../temporal/connection.ts';
import type { HandoffSinks } from '../workflows/sinks.ts';
import { transfersEnded } from '../observability/metrics.ts';

// Compiled (dist/) or run from source: the workflows sit beside this file either way.
const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const workflowsPath = fileURLToPath(new URL(`../workflows/index.${extension}`, import.meta.url));
const interceptorsPath = fileURLToPath(new URL(`../workflows/interceptors.${extension}`, import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundled once per process: webpack does not run again for every worker. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [interceptorsPath],
    // The worker runs every workflow in one reused V8 context, which by default evaluates each module a workflow
    // imports again for every new workflow (a module cache of its own): ~1.5 ms of the workflow thread before a new
    // call's or transfer's first task can run, re2js about half of it. Preloaded, the workflows and everything they
    // import are evaluated once per worker thread and shared. The price: a workflow module keeps no state at module
    // level (constants only; the SDK freezes what the modules export, so writing to an exported object throws).
    preloadModules: [workflowsPath, interceptorsPath],
    logger: quietBundlerLogger,
  });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};

/** Builds the bundle once and writes it to `file`, for WORKFLOW_BUNDLE (scripts/bundle-workflows.ts, the chaos harness). */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await workflowBundle();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
}

export interface WorkflowWorkerOptions {
  connection: NativeConnection;
  /** The payload codec (temporal/connection.ts `dataConverter`); the same on every client and worker. */
  dataConverter?: DataConverter;
  namespace: string;
  /** How long a workflow task waits for the worker that has the workflow cached before any worker may take it. */
  stickyScheduleToStartMs: number;
  shutdownGraceMs: number;
  taskQueue?: string;
  /** A bundle built ahead of time (WORKFLOW_BUNDLE); without it the process bundles the workflows itself, once. */
  bundleFile?: string;
  /** Workflow tasks taken at once (WORKFLOW_TASK_SLOTS; default DEFAULT_WORKFLOW_TASK_SLOTS). */
  taskSlots?: number;
  /**
   * Above `taskSlots`, up to this many while the machine's CPU stays under `taskSlotsCpu` (WORKFLOW_TASK_SLOTS_MAX,
   * WORKFLOW_TASK_SLOTS_CPU): the SDK's resource-based slot supplier. Unset or not above `taskSlots`: fixed slots.
   */
  taskSlotsMax?: number;
  /** The machine's CPU use (0–1) under which the resource-based supplier hands out more slots. */
  taskSlotsCpu?: number;
  /** The SDK's stack trace query (WORKFLOW_STACK_TRACES): a stack captured for every promise a workflow creates. */
  stackTraces?: boolean;
  /**
   * How long a workflow task's code may run without yielding before its task fails as a potential deadlock
   * (WORKFLOW_DEADLOCK_TIMEOUT_MS; the SDK's 5 s by default); 0: no deadlock detection.
   */
  deadlockTimeoutMs?: number;
}

/**
 * The worker's options as the configuration gives them: the one reading of the WORKFLOW_* settings that every process
 * running a workflow worker (the `workflows` role, `npm start`, the tests' engine) takes, so a setting cannot hold in
 * one and be ignored in another.
 */
export function workflowWorkerOptions(config: Config, connection: NativeConnection): WorkflowWorkerOptions {
  return {
    connection,
    dataConverter: dataConverter(config),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.WORKFLOW_TASK_QUEUE,
    stickyScheduleToStartMs: config.STICKY_SCHEDULE_TO_START_MS,
    taskSlots: config.WORKFLOW_TASK_SLOTS,
    taskSlotsMax: config.WORKFLOW_TASK_SLOTS_MAX,
    taskSlotsCpu: config.WORKFLOW_TASK_SLOTS_CPU,
    stackTraces: config.WORKFLOW_STACK_TRACES,
    deadlockTimeoutMs: config.WORKFLOW_DEADLOCK_TIMEOUT_MS,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    bundleFile: config.WORKFLOW_BUNDLE,
  };
}

/**
 * How many workflow tasks the worker takes at once: `taskSlots` fixed, or the SDK's resource-based supplier between
 * `taskSlots` and `taskSlotsMax`, which gives a slot beyond the minimum only while the machine's CPU (and memory) stay
 * under their targets. Off by default: it reads the machine's CPU, not this worker's (a worker on a starved core of a
 * machine with an idle one takes more than it can run in time), and in SDK 1.24 a worker above its CPU target stopped
 * polling for new workflows' first tasks (docs/operations.md, "Sizing workflow workers").
 */
export function workflowTaskSlots(
  opts: Pick<WorkflowWorkerOptions, 'taskSlots' | 'taskSlotsMax' | 'taskSlotsCpu'>,
): Pick<WorkerOptions, 'maxConcurrentWorkflowTaskExecutions' | 'tuner'> {
  const minimum = opts.taskSlots ?? DEFAULT_WORKFLOW_TASK_SLOTS;
  const maximum = opts.taskSlotsMax ?? 0;
  if (maximum <= minimum) return { maxConcurrentWorkflowTaskExecutions: minimum };
  const tunerOptions = {
    targetCpuUsage: opts.taskSlotsCpu ?? DEFAULT_WORKFLOW_TASK_SLOTS_CPU,
    targetMemoryUsage: WORKFLOW_WORKER_MEMORY_TARGET,
  };
  // This worker runs no activities: one slot each keeps the tuner whole without polling for them.
  const none = { type: 'fixed-size', numSlots: 1 } as const;
  return {
    tuner: {
      workflowTaskSlotSupplier: { type: 'resource-based', minimumSlots: minimum, maximumSlots: maximum, tunerOptions },
      activityTaskSlotSupplier: none,
      localActivityTaskSlotSupplier: none,
      nexusTaskSlotSupplier: none,
    },
  };
}

export async function createWorkflowWorker(opts: WorkflowWorkerOptions): Promise<Worker> {
  // The SDK installs a promise hook in its workflow thread that captures a stack, mapped through the bundle's source
  // map, for every promise a workflow creates: about a quarter of this worker's CPU per call, and the latency of every
  // step on a busy machine (docs/operations.md, "Workflow stack traces"). SDK 1.24 has no option for it; the package's
  // patch (patches/, applied by `npm ci`) reads this variable in the thread, which copies the environment as
  // Worker.create starts it.
  process.env.TEMPORAL_WORKFLOW_STACK_TRACES = opts.stackTraces ? 'on' : 'off';
  // Node enforces the deadlock timeout with a watchdog thread it creates and joins for every call into the workflow
  // sandbox (about three per workflow task): under load the join waits for the CPU like any thread, and every step of
  // every call waits behind it (docs/operations.md, "Deadlock detection"). The SDK cannot turn the timeout off; the same
  // patch reads this variable in the thread.
  const deadlockTimeoutMs = opts.deadlockTimeoutMs ?? DEFAULT_WORKFLOW_DEADLOCK_TIMEOUT_MS;
  process.env.TEMPORAL_WORKFLOW_DEADLOCK_DETECTION = deadlockTimeoutMs > 0 ? 'on' : 'off';
  return Worker.create({
    connection: opts.connection,
    dataConverter: opts.dataConverter,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? WORKFLOW_TASK_QUEUE,
    workflowBundle: opts.bundleFile ? { codePath: opts.bundleFile } : await workflowBundle(),
    stickyQueueScheduleToStartTimeout: opts.stickyScheduleToStartMs,
    // A task's start-to-close timeout (WORKFLOW_TASK_TIMEOUT, 2 s) runs from when a poll hands it to this worker, but
    // the worker's one workflow thread runs its tasks one at a time: the SDK's default of 40 at once lets a worker
    // restarted with a backlog take far more than it can run in 2 s on a busy CPU; they time out, and each retry, a
    // full replay on a cold cache, queues behind the others and times out again. A few slots keep the clock to the
    // task's own work; the server holds the rest, where the clock does not run yet.
    ...workflowTaskSlots(opts),
    shutdownGraceTime: opts.shutdownGraceMs,
    ...isolateExecutionTimeout(deadlockTimeoutMs),
    sinks: workflowSinks(),
  });
}

/**
 * The SDK's deadlock timeout. SDK 1.24 reads `isolateExecutionTimeout` from the worker's options (default 5 s) but no
 * longer declares it, so it is passed beside the declared ones; 0 leaves the SDK's value, which the patch then ignores.
 */
function isolateExecutionTimeout(ms: number): { isolateExecutionTimeout?: number } {
  return ms > 0 ? { isolateExecutionTimeout: ms } : {};
}

/** Transfers counted once per run in this process, whatever re-executes their last workflow task here. */
const endedRuns = new Set<string>();

/**
 * What workflows tell this process (workflows/sinks.ts): called when a workflow task runs for the first time, never on
 * replay. A task that fails and runs again on another worker may count twice; that is the price of not adding an
 * activity to every transfer.
 */
export function workflowSinks(): InjectedSinks<HandoffSinks> {
  return {
    handoffMetrics: {
      transferEnded: {
        fn: (info, outcome) => {
          if (endedRuns.has(info.runId)) return;
          endedRuns.add(info.runId);
          if (endedRuns.size > 10_000) endedRuns.delete(endedRuns.values().next().value as string);
          transfersEnded.inc({ outcome });
        },
        callDuringReplay: false,
      },
    },
  };
}
