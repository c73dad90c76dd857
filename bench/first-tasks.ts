// `npm run bench:first-tasks`: how many new calls' first workflow tasks one workflow worker runs a second. Each run
// starts a Temporal dev server of its own, places --calls call workflows as the ingest does (signal-with-start with
// the call's CHANNEL_CREATE and CHANNEL_ANSWER) while no workflow worker polls, then starts one workflow worker
// process (bin/handoff.ts --role workflows, a bundle built once beforehand) with the run's slot setting and times how
// fast it empties that backlog: the rate a cluster admits new calls at before their first events wait in a queue.
// Settings: `2` (fixed slots, WORKFLOW_TASK_SLOTS), `2-8` (the SDK's resource-based supplier between 2 and 8 slots,
// WORKFLOW_TASK_SLOTS_MAX), `2-8@0.7` (and its CPU target, WORKFLOW_TASK_SLOTS_CPU). Writes
// bench/RESULTS-first-tasks.md (or --out). See bench/README.md ("First tasks").
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { repoRoot } from '../config/index.ts';
import { callWorkflowId, WORKFLOW_TASK_TIMEOUT } from '../contracts/ids.ts';
import { channelEventsSignal, type ChannelEvent } from '../contracts/messages.ts';
import { findTemporalCli, startDevServer, type DevServer } from '../scripts/lib/temporal-dev-server.ts';
import { writeWorkflowBundle } from '../workers/workflow-worker.ts';
import { cpuMeter, describeMachine, findPid, loadAverage, machineTable, processSeconds } from './machine.ts';
import { intOption, runAsScript } from './options.ts';
import { summarise, table } from './stats.ts';
import { workflowBacklog } from './task-queue.ts';

const USAGE = `npm run bench:first-tasks -- [--settings 2,4,8,2-8] [--calls 600] [--rounds 2] [--out FILE]`;

const EventType = proto.temporal.api.enums.v1.EventType;
export const TASK_QUEUE = 'first-tasks';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One slot setting of the workflow worker, as its environment gives it. */
export interface SlotSetting {
  label: string;
  slots: number;
  /** Resource-based up to this many; undefined: fixed. */
  max?: number;
  cpu?: number;
}

/** `4` → 4 fixed slots; `2-8` → resource-based between 2 and 8; `2-8@0.7` → and a CPU target of 70 %. */
export function parseSlotSetting(text: string): SlotSetting {
  const m = /^(\d+)(?:-(\d+)(?:@(0(?:\.\d+)?|1(?:\.0+)?))?)?$/.exec(text.trim());
  if (!m) throw new Error(`--settings: "${text}" is not N, N-M or N-M@CPU (e.g. 2, 2-8, 2-8@0.7)`);
  const slots = Number(m[1]);
  const max = m[2] === undefined ? undefined : Number(m[2]);
  if (slots < 2) throw new Error(`--settings: "${text}": a workflow worker needs at least 2 slots`);
  if (max !== undefined && max <= slots) throw new Error(`--settings: "${text}": the maximum must exceed ${slots}`);
  const cpu = m[3] === undefined ? undefined : Number(m[3]);
  if (cpu !== undefined && !(cpu > 0)) throw new Error(`--settings: "${text}": the CPU target must be above 0`);
  return { label: text.trim(), slots, max, cpu };
}

/** The worker's environment for a setting (config/index.ts). */
export function slotEnv(s: SlotSetting): Record<string, string> {
  return {
    WORKFLOW_TASK_SLOTS: String(s.slots),
    WORKFLOW_TASK_SLOTS_MAX: String(s.max ?? 0),
    ...(s.cpu !== undefined ? { WORKFLOW_TASK_SLOTS_CPU: String(s.cpu) } : {}),
  };
}

interface Run {
  setting: SlotSetting;
  round: number;
  calls: number;
  /** worker ready → last first task completed (s). */
  drainS: number;
  /** first tasks a second over the whole drain. */
  rate: number;
  /** first tasks a second between the 10th and the 90th percentile completion: the rate once the worker runs. */
  steadyRate: number;
  /** the worker process's CPU seconds from its start to the end of the measurement, and that time (s). */
  workerCpuS: number;
  wallS: number;
  temporalCpuS?: number;
  /** cores other processes of the machine used meanwhile (contention). */
  othersCores?: number;
  /** calls with a workflow task that timed out, and the most times one did. */
  timedOutCalls: number;
  maxTimeouts: number;
  /** calls whose first task was not completed when the run gave up. */
  missing: number;
  /** worker ready → half, 90 % and all of the first tasks completed (s). */
  halfS: number;
  ninetyS: number;
  load: string;
}

interface Settings {
  settings: SlotSetting[];
  calls: number;
  rounds: number;
  out: string;
}

function settingsFrom(argv: string[]): Settings {
  const { values: f } = parseArgs({
    args: argv,
    options: {
      settings: { type: 'string', default: '2,4,8,2-8' },
      calls: { type: 'string', default: '600' },
      rounds: { type: 'string', default: '2' },
      out: { type: 'string', default: path.join(repoRoot, 'bench', 'RESULTS-first-tasks.md') },
      help: { type: 'boolean', default: false },
    },
  });
  if (f.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    settings: f.settings.split(',').map(parseSlotSetting),
    calls: intOption('calls', f.calls, 10, 20_000),
    rounds: intOption('rounds', f.rounds, 1, 20),
    out: path.resolve(f.out),
  };
}

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** A leg's events as the ingest makes them, numbered in order. */
export function legEvents(callId: string): (name: ChannelEvent['name'], extra?: Partial<ChannelEvent>) => ChannelEvent {
  let seq = 0;
  return (name, extra = {}) => ({
    name,
    uuid: callId,
    coreUuid: 'core-first-tasks',
    seq: ++seq,
    at: Date.now(),
    node: 'fs1',
    ...extra,
  });
}

/** A new call as the ingest starts it: its workflow (on TASK_QUEUE) with the call's CHANNEL_CREATE and CHANNEL_ANSWER. */
export async function startCall(
  client: Client,
  callId: string,
  accountId: string,
  event = legEvents(callId),
): Promise<void> {
  await client.workflow.signalWithStart('callWorkflow', {
    workflowId: callWorkflowId(callId),
    taskQueue: TASK_QUEUE,
    args: [{ callId, node: 'fs1' }],
    signal: channelEventsSignal,
    signalArgs: [[event('CHANNEL_CREATE', { leg: { accountId } }), event('CHANNEL_ANSWER')]],
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
  });
}

/** New calls, no worker polling yet. */
async function placeCalls(client: Client, count: number): Promise<string[]> {
  const calls = Array.from({ length: count }, () => crypto.randomUUID());
  const accountId = crypto.randomUUID().replaceAll('-', '');
  await inParallel(calls, 16, (callId) => startCall(client, callId, accountId));
  return calls;
}

/** One workflow worker process (bin/handoff.ts --role workflows) on TASK_QUEUE, resolved once it polls. */
export function startWorker(
  address: string,
  bundle: string,
  setting: SlotSetting,
  logFile: string,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'bin', 'handoff.ts'), '--role', 'workflows'],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: address,
        WORKFLOW_TASK_QUEUE: TASK_QUEUE,
        WORKFLOW_BUNDLE: bundle,
        SHUTDOWN_GRACE_MS: '1000',
        ...slotEnv(setting),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the workflow worker did not start in 60 s')), 60_000);
    // Its log goes on being read (to a file): a full pipe would stop the worker's writes, and so the worker.
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    child.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (chunk.toString().includes('workflow worker running')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`the workflow worker exited with ${code}`)));
  });
}

interface FirstTask {
  completedAt?: number;
  timeouts: number;
}

async function firstTask(client: Client, callId: string): Promise<FirstTask> {
  const history = await client.workflow.getHandle(callWorkflowId(callId)).fetchHistory();
  const events = history.events ?? [];
  const done = events.find((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const seconds = done?.eventTime?.seconds;
  return {
    completedAt: done?.eventTime
      ? Number(seconds ?? 0) * 1000 + Math.floor((done.eventTime.nanos ?? 0) / 1e6)
      : undefined,
    timeouts: events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length,
  };
}

async function runOnce(
  cli: string,
  dir: string,
  bundle: string,
  setting: SlotSetting,
  round: number,
  calls: number,
): Promise<Run> {
  const dbFile = path.join(dir, `temporal-${setting.label}-${round}.sqlite`);
  const server: DevServer = await startDevServer({ cli, dbFile, logFile: path.join(dir, 'temporal.log') });
  let worker: ChildProcess | undefined;
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const ids = await placeCalls(client, calls);
    await sleep(1000);
    const load = loadAverage();
    worker = await startWorker(server.address, bundle, setting, path.join(dir, 'worker.log'));
    const ready = Date.now();
    const meter = cpuMeter(findPid(dbFile));
    const worker0 = processSeconds(worker.pid!) ?? 0;
    // Until the queue is empty (each task taken), then until every taken task is done or the time is up.
    const until = ready + 60_000 + calls * 200;
    while (Date.now() < until && (await workflowBacklog(client, TASK_QUEUE)) > 0) await sleep(250);
    const tasks = new Map<string, FirstTask>();
    // Read at least once: a run that gave up still says how many it did.
    for (let pending = ids; pending.length; await sleep(500)) {
      await inParallel(pending, 16, async (id) => void tasks.set(id, await firstTask(client, id)));
      pending = ids.filter((id) => tasks.get(id)?.completedAt === undefined);
      if (Date.now() > until) break;
    }
    const cpu = meter();
    const workerCpuS = (processSeconds(worker.pid!) ?? worker0) - worker0;
    const done = [...tasks.values()]
      .map((t) => t.completedAt)
      .filter((at): at is number => at !== undefined)
      .sort((a, b) => a - b);
    const last = done.at(-1) ?? ready;
    const drainS = Math.max(0.001, (last - ready) / 1000);
    const s = summarise(done);
    const p10 = done[Math.floor(done.length * 0.1)] ?? ready;
    const steadyRate =
      done.length > 10 ? ((s.p90 - p10) / 1000 > 0 ? (0.8 * done.length) / ((s.p90 - p10) / 1000) : 0) : 0;
    const timeouts = [...tasks.values()].map((t) => t.timeouts);
    return {
      setting,
      round,
      calls,
      drainS,
      rate: done.length / drainS,
      steadyRate,
      workerCpuS,
      wallS: cpu.wallS,
      temporalCpuS: cpu.temporalS,
      othersCores:
        cpu.othersS !== undefined ? Math.max(0, cpu.othersS - workerCpuS) / Math.max(0.001, cpu.wallS) : undefined,
      timedOutCalls: timeouts.filter((n) => n > 0).length,
      maxTimeouts: Math.max(0, ...timeouts),
      missing: ids.length - done.length,
      halfS: (s.p50 - ready) / 1000,
      ninetyS: (s.p90 - ready) / 1000,
      load,
    };
  } finally {
    worker?.kill('SIGKILL');
    await connection.close().catch(() => undefined);
    await server.stop();
    fs.rmSync(dbFile, { force: true });
    fs.rmSync(`${dbFile}-wal`, { force: true });
    fs.rmSync(`${dbFile}-shm`, { force: true });
  }
}

const f1 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1));
const f2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(2));

function describeSetting(s: SlotSetting): string {
  return s.max === undefined
    ? `${s.slots} fixed`
    : `${s.slots}–${s.max} resource-based, CPU ${Math.round((s.cpu ?? 0.8) * 100)} %`;
}

export function report(runs: readonly Run[], machine: string, calls: number): string {
  const rows = runs.map((r) => [
    describeSetting(r.setting),
    r.round,
    f1(r.rate),
    f1(r.steadyRate),
    `${f1(r.halfS)} / ${f1(r.ninetyS)} / ${f1(r.drainS)}`,
    f1(r.workerCpuS),
    `${Math.round((100 * r.workerCpuS) / r.wallS)} %`,
    f1(r.temporalCpuS),
    f2(r.othersCores),
    `${r.timedOutCalls} (max ${r.maxTimeouts})`,
    r.missing,
    r.load,
  ]);
  const bySetting = new Map<string, Run[]>();
  for (const r of runs) bySetting.set(r.setting.label, [...(bySetting.get(r.setting.label) ?? []), r]);
  const range = (rs: readonly Run[], pick: (r: Run) => number, format: (v: number) => string) => {
    const v = rs.map(pick).sort((a, b) => a - b);
    return v[0] === v.at(-1) ? format(v[0]!) : `${format(v[0]!)}–${format(v.at(-1)!)}`;
  };
  const ranges = [...bySetting.values()].map((rs) => [
    describeSetting(rs[0]!.setting),
    rs.length,
    range(rs, (r) => r.rate, f1),
    range(rs, (r) => r.steadyRate, f1),
    range(
      rs,
      (r) => (100 * r.workerCpuS) / r.wallS,
      (v) => `${Math.round(v)} %`,
    ),
    rs.reduce((n, r) => n + r.missing, 0),
    rs.reduce((n, r) => n + r.timedOutCalls, 0),
  ]);
  return `# First workflow tasks a second, one workflow worker

Generated by \`npm run bench:first-tasks\` (bench/first-tasks.ts). Each run: a Temporal dev server of its own,
${calls} new calls' workflows started (the call's CHANNEL_CREATE and CHANNEL_ANSWER, as the ingest sends them) while no
workflow worker polls, then one workflow worker process with the run's slot setting; timed from the worker's start to
the last first task completed (first tasks/s), and between the 10th and 90th percentile completions (steady); a run
gives up after 60 s plus 0.2 s a call (not done: first tasks still not completed then). The worker's CPU is its
process's (all its threads) from its start to the end of the measurement; others: the cores the rest of the machine used meanwhile (the
benchmark's own client and Temporal excluded). Runs interleave the settings.

${machine}

## By setting (lowest–highest of its runs)

${table(
  [
    'slots',
    'runs',
    'first tasks/s',
    'steady /s',
    'worker CPU (of one core)',
    'not done',
    'calls with a task timed out',
  ],
  ranges,
)}

## Runs

${table(
  [
    'slots',
    'round',
    'first tasks/s',
    'steady /s',
    'half / 90 % / all done (s)',
    'worker CPU s',
    'of one core',
    'Temporal CPU s',
    'others (cores)',
    'calls with a task timed out',
    'not done',
    'load average',
  ],
  rows,
)}
`;
}

async function main(): Promise<void> {
  const s = settingsFrom(process.argv.slice(2));
  const cli = findTemporalCli(process.env.TEMPORAL_CLI);
  const machine = describeMachine(cli);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'first-tasks-'));
  const bundle = path.join(dir, 'workflows.js');
  console.log('building the workflow bundle');
  await writeWorkflowBundle(bundle);
  const runs: Run[] = [];
  try {
    for (let round = 1; round <= s.rounds; round++) {
      // Every other round backwards: a setting is not always the one run after the same other.
      const order = round % 2 ? s.settings : [...s.settings].reverse();
      for (const setting of order) {
        const run = await runOnce(cli, dir, bundle, setting, round, s.calls);
        runs.push(run);
        console.log(
          `${describeSetting(setting)} (round ${round}): ${f1(run.rate)} first tasks/s (steady ${f1(run.steadyRate)}), ` +
            `half/90 %/all in ${f1(run.halfS)}/${f1(run.ninetyS)}/${f1(run.drainS)} s, ` +
            `worker ${f1(run.workerCpuS)} CPU s, others ${f2(run.othersCores)} cores, ` +
            `${run.timedOutCalls} calls with a task timed out, ${run.missing} not done, load ${run.load}`,
        );
      }
    }
  } finally {
    fs.rmSync(bundle, { force: true });
  }
  const text = report(runs, machineTable(machine, 'a dev server per run (SQLite, WAL)', loadAverage()), s.calls);
  fs.writeFileSync(s.out, text);
  console.log(`wrote ${s.out} (the servers' and workers' logs: ${dir})`);
}

runAsScript(import.meta.url, main);
