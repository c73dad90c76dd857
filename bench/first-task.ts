// `npm run bench:first-task`: how long a new workflow's first workflow task takes, against its later ones. A Temporal
// dev server of its own and one workflow worker process (bin/handoff.ts --role workflows, a bundle built once); then,
// one at a time so that nothing else queues, --calls new call workflows (started as the ingest starts them, with the
// call's CHANNEL_CREATE and CHANNEL_ANSWER, then a key press: a later task) and as many transfer workflows (started
// with a plan as a transferor's call workflow starts them; their activities go to a node's queue nobody polls, so only
// their first task and the one after the failed signal to the transferee run). Task times are the server's
// (WorkflowTaskStarted -> WorkflowTaskCompleted). The worker's first call and first transfer are shown apart: the first
// workflows a worker runs pay for its warm-up. Writes bench/RESULTS-first-task.md (or --out). bench/README.md.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { repoRoot } from '../config/index.ts';
import { callWorkflowId, DEFAULT_WORKFLOW_TASK_SLOTS, WORKFLOW_TASK_TIMEOUT } from '../contracts/ids.ts';
import { channelEventsSignal } from '../contracts/messages.ts';
import { findTemporalCli, startDevServer } from '../scripts/lib/temporal-dev-server.ts';
import { writeWorkflowBundle } from '../workers/workflow-worker.ts';
import type { TransferPlan } from '../workflows/transfer.ts';
import { legEvents, startCall, startWorker, TASK_QUEUE } from './first-tasks.ts';
import { describeMachine, loadAverage, machineTable } from './machine.ts';
import { intOption, runAsScript } from './options.ts';
import { summarise, table } from './stats.ts';

const USAGE = 'npm run bench:first-task -- [--calls 30] [--out FILE]';
const EventType = proto.temporal.api.enums.v1.EventType;
const ACCOUNT = 'be000000000000000000000000000001';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What taskTimes reads of a history event (the seconds a Long in a fetched history). */
interface TimedEvent {
  eventType?: proto.temporal.api.enums.v1.EventType | null;
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
}

/** Each completed workflow task's time on the server (ms), in the order they ran; one that timed out or failed is none. */
export function taskTimes(events: readonly TimedEvent[]): number[] {
  const at = (ev: TimedEvent) =>
    Number(ev.eventTime?.seconds ?? 0) * 1000 + Math.floor((ev.eventTime?.nanos ?? 0) / 1e6);
  const times: number[] = [];
  let started: number | undefined;
  for (const ev of events) {
    if (ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) started = at(ev);
    else if (ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && started !== undefined) {
      times.push(at(ev) - started);
      started = undefined;
    }
  }
  return times;
}

async function tasksOf(client: Client, workflowId: string, count: number): Promise<number[]> {
  for (const until = Date.now() + 20_000; ; await sleep(20)) {
    const times = taskTimes((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []);
    if (times.length >= count) return times;
    if (Date.now() > until) throw new Error(`${workflowId}: ${times.length} of ${count} workflow tasks in 20 s`);
  }
}

/** A new call's workflow with its first events, then a key press; its first two tasks. */
async function oneCall(client: Client): Promise<number[]> {
  const callId = crypto.randomUUID();
  const event = legEvents(callId);
  const workflowId = callWorkflowId(callId);
  await startCall(client, callId, ACCOUNT, event);
  await tasksOf(client, workflowId, 1);
  await sleep(100);
  await client.workflow.getHandle(workflowId).signal(channelEventsSignal, [event('DTMF', { digit: '5' })]);
  return tasksOf(client, workflowId, 2);
}

/** A transfer's plan as a transferor's call workflow starts it (the values of test/support's engine). */
function plan(): TransferPlan {
  const transferor = crypto.randomUUID();
  const transferee = crypto.randomUUID();
  return {
    transferId: `transfer:${transferor}:${transferee}`,
    node: 'fs1',
    type: 'attended',
    transferor,
    transferee,
    target: '2600',
    targetLeg: crypto.randomUUID(),
    jobUuid: crypto.randomUUID(),
    dialString: 'loopback/2600/default',
    takebackDtmf: '*1',
    moh: 'local_stream://moh',
    ringback: 'tone_stream://%(2000,4000,440,480);loops=-1',
    ringTimeoutS: 4,
    bridgeConfirmMs: 2000,
    digitTimeoutMs: 1000,
    codes: { takeback: '*1', three_way: '*3', swap: '*4' },
    callerIdNumber: '1001',
    vars: {},
    accountId: ACCOUNT,
    startedBy: 'dtmf',
    featureCode: '*2',
    requestedAt: Date.now(),
  };
}

/** A new transfer's workflow; its first task and the one after its signal to the (absent) transferee failed. */
async function oneTransfer(client: Client): Promise<number[]> {
  const p = plan();
  await client.workflow.start('transferWorkflow', {
    workflowId: p.transferId,
    taskQueue: TASK_QUEUE,
    args: [p],
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
  });
  return tasksOf(client, p.transferId, 2);
}

interface Samples {
  /** The worker's first workflow of the kind: its first task, then the later ones. */
  cold: number[];
  first: number[];
  later: number[];
}

const row = (label: string, s: Samples) => {
  const f = summarise(s.first);
  const l = summarise(s.later);
  return [label, s.cold.join(' / '), s.first.length, f.p50, f.p90, f.max, l.p50, l.p90];
};

export function report(calls: Samples, transfers: Samples, machine: string): string {
  return `# A new workflow's first workflow task

Generated by \`npm run bench:first-task\` (bench/first-task.ts) on ${new Date().toISOString().slice(0, 19)}Z. One
workflow worker process, a Temporal dev server of its own; new call and transfer workflows one at a time (nothing else
queued), alternately; server times (WorkflowTaskStarted → WorkflowTaskCompleted). Later tasks: a call's key press, a
transfer's task after its signal to the (absent) transferee failed. The worker's first workflow of each kind is shown
apart (its first task / its later one): it pays for the worker's warm-up. See bench/README.md ("First task").

${machine}

${table(
  [
    'workflow task (ms)',
    "worker's first (first / later)",
    'n',
    'first p50',
    'first p90',
    'first max',
    'later p50',
    'later p90',
  ],
  [row('call', calls), row('transfer', transfers)],
)}
`;
}

async function main(): Promise<void> {
  const { values: f } = parseArgs({
    options: {
      calls: { type: 'string', default: '30' },
      out: { type: 'string', default: path.join(repoRoot, 'bench', 'RESULTS-first-task.md') },
      help: { type: 'boolean', default: false },
    },
  });
  if (f.help) {
    console.log(USAGE);
    return;
  }
  const count = intOption('calls', f.calls, 5, 1000);
  const cli = findTemporalCli(process.env.TEMPORAL_CLI);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-first-task-'));
  const bundle = path.join(dir, 'workflows.js');
  await writeWorkflowBundle(bundle);
  const machine = describeMachine(cli);
  const server = await startDevServer({
    cli,
    dbFile: path.join(dir, 'temporal.sqlite'),
    logFile: path.join(dir, 't.log'),
  });
  const connection = await Connection.connect({ address: server.address });
  const worker = await startWorker(
    server.address,
    bundle,
    { label: 'default', slots: DEFAULT_WORKFLOW_TASK_SLOTS },
    path.join(dir, 'worker.log'),
  );
  try {
    const client = new Client({ connection, namespace: 'default' });
    const calls: Samples = { cold: await oneCall(client), first: [], later: [] };
    const transfers: Samples = { cold: await oneTransfer(client), first: [], later: [] };
    for (let i = 0; i < count; i++) {
      for (const [one, samples] of [
        [oneCall, calls],
        [oneTransfer, transfers],
      ] as const) {
        const [first, later] = await one(client);
        samples.first.push(first!);
        samples.later.push(later!);
        await sleep(100);
      }
      if ((i + 1) % 10 === 0) console.log(`first-task: ${i + 1} of ${count}`);
    }
    const text = report(
      calls,
      transfers,
      machineTable(machine, 'a dev server started by the benchmark', loadAverage()),
    );
    fs.writeFileSync(path.resolve(f.out), text);
    const c = summarise(calls.first);
    const t = summarise(transfers.first);
    console.log(
      `first-task: call first ${c.p50} ms p50 (later ${summarise(calls.later).p50}), transfer first ${t.p50} ms ` +
        `(later ${summarise(transfers.later).p50}); the worker's first call ${calls.cold[0]} ms, first transfer ` +
        `${transfers.cold[0]} ms; written to ${path.resolve(f.out)}`,
    );
  } finally {
    worker.kill('SIGTERM');
    await connection.close().catch(() => undefined);
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runAsScript(import.meta.url, main);
