// `npm run bench -- --load`: how many calls a second Handoff sustains, how fast one ingest turns ESL events into
// signals, and what each role costs as concurrent calls grow. Every role runs as an OS process of its own on the chaos
// harness (test/cluster/: a Temporal dev server, the simulator, a node worker, a workflow worker, an API process), the
// calls are the harness's scenarios judged from the switch alone, and the floor is measured on the same server and
// switch. Writes bench/RESULTS-load.md and ends with one line:
//   load: sustained R calls/s (T transfers/s), 0 lost, p99 answer→bridge X ms (Y× floor)
// See bench/README.md ("Load").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, repoRoot, type Config } from '../config/index.ts';
import { playableStream } from '../contracts/grammar.ts';
import { callWorkflowId } from '../contracts/ids.ts';
import { channelEventsSignal, type ChannelEvent } from '../contracts/messages.ts';
import { findTemporalCli } from '../scripts/lib/temporal-dev-server.ts';
import { WORKFLOW_EVENTS } from '../workers/ingest/convert.ts';
import { Rng } from '../simulator/random.ts';
import { startCluster, type Cluster } from '../test/cluster/cluster.ts';
import type { ManagedProcess } from '../test/cluster/processes.ts';
import { RestClient } from '../test/cluster/rest.ts';
import {
  runScenario,
  type Press,
  type ScenarioEnv,
  type ScenarioKind,
  type ScenarioResult,
} from '../test/cluster/scenarios.ts';
import { splitBy } from './calls.ts';
import { SwitchWatcher, type SwitchEvent } from '../test/cluster/switch-watch.ts';
import { placeCall } from '../test/support/engine.ts';
import { runFloor, type FloorSample } from './floor.ts';
import {
  DEFAULT_MIX,
  STEP_LATENCIES,
  arrivals,
  auditLeg,
  drawKind,
  formatMix,
  highestSustained,
  judgeStep,
  latencySummaries,
  loadLine,
  metricSum,
  parseMix,
  parseRates,
  reachesCallWorkflow,
  transferShare,
  type AuditResult,
  type CallRecord,
  type IngestWindow,
  type StepLatency,
  type StepVerdict,
} from './load-plan.ts';
import { describeMachine, loadAverage, machineTable, processRssMiB, processSeconds } from './machine.ts';
import { intOption } from './options.ts';
import { ms, ratio, summarise, table, type Summary } from './stats.ts';
import { workflowBacklog } from './task-queue.ts';

const USAGE = `npm run bench -- --load [--parts ramp,ingest,growth] [--rates 1,2,3,4,6,8] [--step-seconds 60]
  [--mix plain=70,attended=10,...] [--think-ms 500-2000] [--floor 60] [--audit-legs 400]
  [--firehose-calls 40] [--firehose 5,10,20,40,80] [--firehose-seconds 15]
  [--idle 1000,5000,10000] [--probe 10] [--storm-rps 20] [--storm-calls 10] [--storm-seconds 30] [--digit-timeout-ms 300] [--ha] [--seed N]
  [--out bench/RESULTS-load.md]`;

const PARTS = ['ramp', 'ingest', 'growth', 'storm'] as const;
type Part = (typeof PARTS)[number];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Settings {
  parts: Set<Part>;
  rates: number[];
  stepS: number;
  mix: ReturnType<typeof parseMix>;
  think: [number, number];
  floorSamples: number;
  auditLegs: number;
  firehoseCalls: number;
  firehose: number[];
  firehoseS: number;
  idle: number[];
  probe: number;
  stormRps: number;
  /** Calls whose legs all press keys in the storm (each leg 50 a second: the simulator's own CPU is the bound). */
  stormCalls: number;
  stormS: number;
  ha: boolean;
  seed: number;
  digitTimeoutMs: number;
  ringTimeoutS: number;
  out: string;
}

function settingsFrom(argv: string[]): Settings {
  const { values: f } = parseArgs({
    args: argv,
    options: {
      load: { type: 'boolean', default: true },
      parts: { type: 'string', default: PARTS.join(',') },
      rates: { type: 'string', default: '1,2,3,4,6,8' },
      'step-seconds': { type: 'string', default: '60' },
      mix: { type: 'string' },
      'think-ms': { type: 'string', default: '500-2000' },
      floor: { type: 'string', default: '60' },
      'audit-legs': { type: 'string', default: '400' },
      'firehose-calls': { type: 'string', default: '40' },
      firehose: { type: 'string', default: '5,10,20,40,80' },
      'firehose-seconds': { type: 'string', default: '15' },
      idle: { type: 'string', default: '1000,5000,10000' },
      probe: { type: 'string', default: '10' },
      'storm-rps': { type: 'string', default: '20' },
      'storm-calls': { type: 'string', default: '10' },
      'storm-seconds': { type: 'string', default: '30' },
      'digit-timeout-ms': { type: 'string', default: '300' },
      ha: { type: 'boolean', default: false },
      seed: { type: 'string' },
      out: { type: 'string', default: path.join(repoRoot, 'bench', 'RESULTS-load.md') },
      help: { type: 'boolean', default: false },
    },
  });
  if (f.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = intOption;
  const ints = (name: string, v: string, min: number, max: number) =>
    v.split(',').map((s) => int(name, s.trim(), min, max));
  const parts = new Set(f.parts.split(',') as Part[]);
  for (const p of parts) if (!PARTS.includes(p)) throw new Error(`--parts: unknown part ${p} (${PARTS.join(', ')})`);
  const think = /^(\d+)-(\d+)$/.exec(f['think-ms']);
  if (!think || Number(think[1]) > Number(think[2])) throw new Error('--think-ms: expected LOW-HIGH in ms');
  return {
    parts,
    rates: parseRates(f.rates),
    stepS: int('step-seconds', f['step-seconds'], 5, 3600),
    mix: f.mix ? parseMix(f.mix) : DEFAULT_MIX,
    think: [Number(think[1]), Number(think[2])],
    floorSamples: int('floor', f.floor, 5, 5000),
    auditLegs: int('audit-legs', f['audit-legs'], 0, 100_000),
    firehoseCalls: int('firehose-calls', f['firehose-calls'], 1, 5000),
    firehose: ints('firehose', f.firehose, 1, 10_000).sort((a, b) => a - b),
    firehoseS: int('firehose-seconds', f['firehose-seconds'], 3, 600),
    idle: ints('idle', f.idle, 1, 100_000).sort((a, b) => a - b),
    probe: int('probe', f.probe, 0, 1000),
    stormRps: int('storm-rps', f['storm-rps'], 1, 100_000),
    stormCalls: int('storm-calls', f['storm-calls'], 1, 5000),
    stormS: int('storm-seconds', f['storm-seconds'], 3, 600),
    ha: f.ha,
    seed: f.seed === undefined ? Math.floor(Math.random() * 1e6) : int('seed', f.seed, 0, 2 ** 31 - 1),
    digitTimeoutMs: int('digit-timeout-ms', f['digit-timeout-ms'], 100, 10_000),
    ringTimeoutS: 5,
    out: f.out,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The processes: where their metrics are, what CPU and memory they use.

/** The operations URL a role process announced in its log (`metrics on http://…/metrics`), from its latest start. */
function metricsUrl(p: ManagedProcess): string | undefined {
  const text = fs.readFileSync(p.spec.logFile, 'utf8');
  const all = [...text.matchAll(/metrics on (http:\/\/[^\s"/]+)\/metrics/g)];
  return all.at(-1)?.[1];
}

async function scrape(urls: readonly string[]): Promise<string> {
  const texts = await Promise.all(urls.map(async (u) => (await fetch(`${u}/metrics`)).text()));
  return texts.join('\n');
}

interface IngestReading {
  at: number;
  received: number;
  delivered: number;
  refused: number;
  late: number;
  queued: number;
}

async function readIngest(urls: readonly string[]): Promise<IngestReading> {
  const text = await scrape(urls);
  return {
    at: Date.now(),
    received: metricSum(text, 'handoff_ingest_events_total'),
    delivered: metricSum(text, 'handoff_ingest_delivery_seconds_count'),
    refused: metricSum(text, 'handoff_ingest_events_dropped_total', { reason: 'refused' }),
    late: metricSum(text, 'handoff_ingest_events_dropped_total', { reason: 'late' }),
    queued: metricSum(text, 'handoff_ingest_queue_depth'),
  };
}

/** Until the ingest's queue is empty (or `timeoutMs`); resolves with the last reading. */
async function ingestIdle(urls: readonly string[], timeoutMs: number): Promise<IngestReading> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await readIngest(urls);
    if (r.queued === 0 || Date.now() > until) return r;
    await sleep(250);
  }
}

/**
 * Workflow tasks the workflow workers have run since they started: the SDK core's count of the tasks it polled (each
 * is run, a replay first if the workflow was not cached).
 */
async function workflowTasksRun(urls: readonly string[]): Promise<number> {
  return metricSum(await scrape(urls), 'temporal_workflow_task_schedule_to_start_latency_seconds_count');
}

interface RoleUse {
  name: string;
  role: string;
  /** CPU used over the window, in % of one core. */
  cpuPct?: number;
  rssMiB?: number;
}

/**
 * The benchmark's own process, listed beside the cluster's: the phones (the switch watcher's ESL client, pressing the
 * scenarios' keys), the scenarios' driving and REST requests, and the floor's two workers (idle after the floor). No
 * engine role runs in it; its CPU is the harness's, not the engine's.
 */
const BENCH_PROCESS = { name: 'bench (phones)', role: 'phones', pid: process.pid };

/** CPU of every process of the cluster and of the benchmark's own over a window, and its memory at the window's end. */
function roleMeter(cluster: Cluster): () => RoleUse[] {
  const t0 = Date.now();
  const processes = () => [...cluster.supervisor.processes, BENCH_PROCESS];
  const start = new Map<string, number | undefined>();
  for (const p of processes()) start.set(p.name, p.pid ? processSeconds(p.pid) : undefined);
  return () => {
    const wall = (Date.now() - t0) / 1000;
    return processes().map((p) => {
      const s0 = start.get(p.name);
      const s1 = p.pid ? processSeconds(p.pid) : undefined;
      return {
        name: p.name,
        role: p.role,
        cpuPct: s0 !== undefined && s1 !== undefined && wall > 0 ? ((s1 - s0) / wall) * 100 : undefined,
        rssMiB: p.pid ? processRssMiB(p.pid) : undefined,
      };
    });
  };
}

/**
 * Until the Temporal server and the workflow workers have been nearly idle (under 10 % of a core together) for 3 s, or
 * `timeoutMs`: the signals of the last calls placed are still being handled for a while after the ingest sent them.
 */
async function quiet(cluster: Cluster, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  const busy = () => cluster.supervisor.processes.filter((p) => p.role === 'temporal' || p.role === 'workflows');
  while (Date.now() < until) {
    const meter = roleMeter(cluster);
    await sleep(3000);
    const used = meter()
      .filter((r) => busy().some((p) => p.name === r.name))
      .reduce((sum, r) => sum + (r.cpuPct ?? 0), 0);
    if (used < 10) return true;
  }
  return false;
}

async function runningWorkflows(client: Client, taskQueue: string, type?: string): Promise<number> {
  const query =
    `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` + (type ? ` AND WorkflowType = '${type}'` : '');
  return (await client.workflow.count(query)).count;
}

/** Until no workflow runs on the task queue (or `timeoutMs`); the number still running. */
async function settle(client: Client, taskQueue: string, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const n = await runningWorkflows(client, taskQueue);
    if (n === 0 || Date.now() > until) return n;
    await sleep(1000);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The ramp.

interface Step {
  rate: number;
  calls: CallRecord[];
  ingest: IngestWindow;
  stuck: number;
  verdict: StepVerdict;
  audit?: AuditResult;
  roles: RoleUse[];
  /** Workflow tasks the workflow workers ran over the arrival window (their CPU over it is in `roles`). */
  workflowTasks: number;
  /** Calls in flight: mean over the arrival window (sampled each second) and the most. */
  inFlight: { mean: number; max: number };
  /** The arrival window, s, and how long the step's last calls took to end after it. */
  windowS: number;
  tailS: number;
}

/**
 * A code of the call that the phones split: a pause between two of its presses longer than the digit timeout, by the
 * switch's clock (bench/calls.ts, splitBy), so the engine rightly ended the code there. The phones run in this
 * process: a stall of it (or of the machine) stretches the gap. `dtmf` is the transferor leg's DTMF events in order;
 * a code's presses are the first of them received after it started.
 */
export function phonesSplit(
  presses: readonly Press[],
  dtmf: readonly SwitchEvent[],
  digitTimeoutMs: number,
): string | undefined {
  for (const p of presses) {
    if (p.what !== 'transfer code' && p.what !== 'takeback') continue;
    const keys = dtmf.filter((ev) => ev.at >= p.startedAt).slice(0, p.code.length);
    const pause = splitBy(keys, digitTimeoutMs);
    if (pause)
      return `the phones paused ${pause.ms.toFixed(0)} ms before key ${pause.before + 1} of ${p.code} (switch's clock)`;
  }
  return undefined;
}

function record(r: ScenarioResult, digitTimeoutMs: number, dtmf: ReadonlyMap<string, SwitchEvent[]>): CallRecord {
  const l = r.latencies;
  const byRest = r.presses[0]?.what === 'REST transfer';
  const latencies: CallRecord['latencies'] = {
    consult: l.consult,
    complete: l.complete,
    takeback: l.takeback,
    giveBack: l.giveBack,
  };
  if (l.hold !== undefined) {
    if (byRest) latencies.holdRest = l.hold;
    else latencies.holdCode = l.hold - digitTimeoutMs;
  }
  return {
    kind: r.plan.kind,
    ok: r.verdict === 'ok',
    verdict: r.verdict,
    detail: r.detail,
    ...(r.verdict !== 'ok' && r.alice
      ? { phones: phonesSplit(r.presses, dtmf.get(r.alice) ?? [], digitTimeoutMs) }
      : {}),
    latencies,
    legs: [r.alice, r.bob].filter((x): x is string => !!x),
  };
}

async function rampStep(
  ctx: Ctx,
  rate: number,
  rng: Rng,
  nextId: () => number,
): Promise<Omit<Step, 'verdict' | 'audit'>> {
  const { s, cluster, env } = ctx;
  const times = arrivals(rate, s.stepS * 1000, rng);
  const before = await readIngest(ctx.nodeUrls);
  const tasksBefore = await workflowTasksRun(ctx.workflowUrls);
  const meter = roleMeter(cluster);
  const results: Promise<ScenarioResult>[] = [];
  let inFlight = 0;
  const counts: number[] = [];
  const sampler = setInterval(() => counts.push(inFlight), 1000);
  const t0 = Date.now();
  for (const at of times) {
    const wait = t0 + at - Date.now();
    if (wait > 0) await sleep(wait);
    const kind: ScenarioKind = drawKind(s.mix, rng);
    const plan = {
      id: nextId(),
      kind,
      node: 'fs1',
      thinkMs: Array.from({ length: 4 }, () => rng.int(s.think[0], s.think[1])),
    };
    inFlight++;
    results.push(
      runScenario(env, plan).finally(() => {
        inFlight--;
      }),
    );
  }
  const windowEnd = t0 + s.stepS * 1000;
  if (windowEnd > Date.now()) await sleep(windowEnd - Date.now());
  clearInterval(sampler);
  const roles = meter();
  const workflowTasks = (await workflowTasksRun(ctx.workflowUrls)) - tasksBefore;
  const done = await Promise.all(results);
  const tailS = (Date.now() - windowEnd) / 1000;
  const calls = done.map((r) => record(r, s.digitTimeoutMs, ctx.dtmf));
  const client = await cluster.client();
  const stuck = await settle(client, cluster.taskQueue, 30_000);
  const after = await ingestIdle(ctx.nodeUrls, 30_000);
  for (const w of ctx.watchers) w.forgetEnded(Date.now() - 60_000);
  return {
    rate,
    calls,
    ingest: {
      received: after.received - before.received,
      delivered: after.delivered - before.delivered,
      refused: after.refused - before.refused,
      late: after.late - before.late,
      queuedAtEnd: after.queued,
    },
    stuck,
    roles,
    workflowTasks,
    inFlight: {
      mean: counts.length ? counts.reduce((a, b) => a + b, 0) / counts.length : 0,
      max: Math.max(0, ...counts),
    },
    windowS: s.stepS,
    tailS,
  };
}

/** Every channel event a call workflow received, over all its runs (continue-as-new carries on in a new run). */
async function receivedEvents(client: Client, leg: string): Promise<ChannelEvent[]> {
  const out: ChannelEvent[] = [];
  let runId: string | undefined;
  const workflowId = callWorkflowId(leg);
  for (let runs = 0; runs < 20; runs++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    let next: string | undefined;
    for (const ev of history.events ?? []) {
      const sig = ev.workflowExecutionSignaledEventAttributes;
      if (sig?.signalName === channelEventsSignal.name) {
        const payload = sig.input?.payloads?.[0];
        if (payload) out.push(...defaultPayloadConverter.fromPayload<ChannelEvent[]>(payload as Payload));
      }
      const can = ev.workflowExecutionContinuedAsNewEventAttributes;
      if (can?.newExecutionRunId) next = can.newExecutionRunId;
    }
    if (!next) break;
    runId = next;
  }
  return out;
}

/** Reads the call workflows of up to `limit` legs and compares what each received with what the switch emitted. */
async function audit(ctx: Ctx, calls: readonly CallRecord[], limit: number): Promise<AuditResult> {
  const client = await ctx.cluster.client();
  const legs = calls.flatMap((c) => c.legs).slice(0, limit);
  const result: AuditResult = { legs: 0, events: 0, lost: 0, misrouted: 0, reordered: 0, unreadable: 0, examples: [] };
  let i = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (i < legs.length) {
        const leg = legs[i++]!;
        try {
          const received = await receivedEvents(client, leg);
          const seen = ctx.seen.get(leg) ?? {};
          const a = auditLeg(leg, seen, received);
          result.legs++;
          result.events += Object.values(seen).reduce((sum, n) => sum + n, 0);
          result.lost += a.lost;
          result.misrouted += a.misrouted;
          result.reordered += a.reordered;
          if (a.detail && result.examples.length < 5) result.examples.push(a.detail);
        } catch (err) {
          result.unreadable++;
          if (result.examples.length < 5) result.examples.push(`${leg.slice(0, 8)}: ${String(err)}`);
        }
      }
    }),
  );
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Ingest alone: the simulator as a firehose of key presses on live calls.

interface FirehoseLevel {
  legs: number;
  /** Key presses a second the switch emitted on those legs (as the phones' connection saw them). */
  offeredPerS: number;
  /** Events/s the ingest received and delivered (their signal accepted by Temporal) over the window. */
  receivedPerS: number;
  deliveredPerS: number;
  /** Events waiting in the ingest at the window's end, and how long it took to empty afterwards. */
  queuedAtEnd: number;
  drainS: number;
  refused: number;
  roles: RoleUse[];
}

async function placeCalls(ctx: Ctx, n: number, parallel: number): Promise<string[][]> {
  const out: string[][] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (left > 0) {
        left--;
        const { alice, bob } = await placeCall(ctx.watchers[0]!);
        out.push([alice.uuid, bob.uuid]);
      }
    }),
  );
  return out;
}

/** Each level is pushed to `out.levels` as it is measured. */
async function firehose(ctx: Ctx, out: { levels: FirehoseLevel[]; calls: number }): Promise<void> {
  const { s } = ctx;
  const phones = ctx.watchers[0]!;
  const calls = await placeCalls(ctx, s.firehoseCalls, 8);
  const legs = calls.flat();
  out.calls = calls.length;
  await ingestIdle(ctx.nodeUrls, 60_000);
  ctx.log(`ingest: ${calls.length} calls up`);
  const levels = out.levels;
  // 50 key presses a second per leg: the simulator hands over a leg's digits 20 ms apart.
  const digits = '0'.repeat(50 * s.firehoseS);
  for (const n of s.firehose) {
    if (n > legs.length) break;
    const pressed = legs.slice(0, n);
    const dtmfSeen = () => pressed.reduce((sum, leg) => sum + (ctx.seen.get(leg)?.DTMF ?? 0), 0);
    const before = await readIngest(ctx.nodeUrls);
    const seen0 = dtmfSeen();
    const meter = roleMeter(ctx.cluster);
    await Promise.all(pressed.map((leg) => phones.api(`uuid_recv_dtmf ${leg} ${digits}`)));
    await sleep(s.firehoseS * 1000);
    const roles = meter();
    const end = await readIngest(ctx.nodeUrls);
    const wall = (end.at - before.at) / 1000;
    const offered = dtmfSeen() - seen0;
    const drained = await ingestIdle(ctx.nodeUrls, 120_000);
    const level: FirehoseLevel = {
      legs: n,
      offeredPerS: offered / wall,
      receivedPerS: (end.received - before.received) / wall,
      deliveredPerS: (end.delivered - before.delivered) / wall,
      queuedAtEnd: end.queued,
      drainS: (drained.at - end.at) / 1000,
      refused: drained.refused - before.refused,
      roles,
    };
    levels.push(level);
    ctx.log(
      `ingest: ${n} legs pressing: offered ${level.offeredPerS.toFixed(0)}/s, received ` +
        `${level.receivedPerS.toFixed(0)}/s, delivered ` +
        `${level.deliveredPerS.toFixed(0)}/s, ${end.queued} queued, drained in ${level.drainS.toFixed(2)} s`,
    );
    if (drained.queued > 0) break;
  }
  await Promise.all(legs.map((leg) => phones.api(`uuid_kill ${leg}`).catch(() => undefined)));
  await ingestIdle(ctx.nodeUrls, 60_000);
  await settle(await ctx.cluster.client(), ctx.cluster.taskQueue, 60_000);
}

// ---------------------------------------------------------------------------------------------------------------
// Concurrency growth: idle calls kept up, what each role holds, and what a transfer among them takes.

interface GrowthLevel {
  calls: number;
  /** Calls placed per second to reach this level (the placement's own rate, not a sustained one). */
  placedPerS: number;
  /** Seconds after the last placement until the ingest and the call workflows were idle. */
  settleS: number;
  runningCallWorkflows: number;
  /** Workflow tasks still waiting on the task queue when the measurement began (0 when settled). */
  waitingTasks: number;
  /** Whether the Temporal server and the workflow worker went quiet before it (false: the wait ran out). */
  quiet: boolean;
  roles: RoleUse[];
  latencies: Record<StepLatency, Summary>;
  failed: string[];
}

/** Each level is pushed to `out` as it is measured: a run that fails at 10k keeps 1k and 5k. */
async function growth(ctx: Ctx, rng: Rng, nextId: () => number, out: GrowthLevel[]): Promise<void> {
  const { s, cluster } = ctx;
  const client = await cluster.client();
  let up = 0;
  for (const target of s.idle) {
    const t0 = Date.now();
    await placeCalls(ctx, target - up, 16);
    const placedS = (Date.now() - t0) / 1000;
    const placedPerS = (target - up) / placedS;
    up = target;
    const t1 = Date.now();
    await ingestIdle(ctx.nodeUrls, 600_000);
    let running = 0;
    for (const until = Date.now() + 600_000; Date.now() < until; await sleep(2000)) {
      running = await runningWorkflows(client, cluster.taskQueue, 'callWorkflow');
      if (running >= 2 * up) break;
    }
    let backlog = await workflowBacklog(client, cluster.taskQueue);
    for (const until = Date.now() + 900_000; backlog > 0 && Date.now() < until; await sleep(2000)) {
      backlog = await workflowBacklog(client, cluster.taskQueue);
    }
    const calm = await quiet(cluster, 180_000);
    const settleS = (Date.now() - t1) / 1000;
    ctx.log(
      `growth: ${up} idle calls up (${placedPerS.toFixed(1)} placed/s), settled in ${settleS.toFixed(0)} s` +
        (backlog > 0 ? `; ${backlog} workflow tasks still waiting` : '') +
        (calm ? '' : '; the Temporal server and the workflow worker never went quiet'),
    );
    const meter = roleMeter(cluster);
    await sleep(15_000);
    const roles = meter();
    const calls: CallRecord[] = [];
    const failed: string[] = [];
    for (let k = 0; k < s.probe; k++) {
      const c = await probeTransfer(ctx, rng, nextId);
      calls.push(c);
      if (!c.ok) failed.push(`${c.verdict}: ${c.detail}`);
    }
    out.push({
      calls: up,
      placedPerS,
      settleS,
      runningCallWorkflows: running,
      waitingTasks: backlog,
      quiet: calm,
      roles,
      latencies: latencySummaries(calls),
      failed,
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------

interface Ctx {
  s: Settings;
  cluster: Cluster;
  config: Config;
  watchers: SwitchWatcher[];
  env: ScenarioEnv;
  nodeUrls: string[];
  /** The workflow workers' operations URLs (their /metrics carry the SDK core's, workflow tasks among them). */
  workflowUrls: string[];
  /** Per leg, the events the switch emitted about it that the ingest delivers (for the audit). */
  seen: Map<string, Record<string, number>>;
  /** Per leg, the key presses the switch showed (DTMF events), to tell a code the phones split. */
  dtmf: Map<string, SwitchEvent[]>;
  log: (line: string) => void;
}

/** A cluster of the benchmark's shape, the phones' watcher on its switch, and what the parts need of it. */
async function openCluster(
  s: Settings,
  dir: string,
  log: (line: string) => void,
  dynamicConfig?: Record<string, string | number>,
): Promise<Ctx & { close(): Promise<void> }> {
  const cluster = await startCluster({
    dir,
    nodes: [{ name: 'fs1', workers: s.ha ? 2 : 1 }],
    workflowWorkers: 1,
    apiProcesses: 1,
    seed: s.seed,
    devServer: { fastTimers: true, dynamicConfig },
    env: {
      DIGIT_TIMEOUT_MS: String(s.digitTimeoutMs),
      TARGET_RING_TIMEOUT_S: String(s.ringTimeoutS),
      // One ingest per switch: a code's presses go in one signal (README, Feature codes).
      INGEST_CODE_HOLD: 'true',
    },
  });
  const watchers: SwitchWatcher[] = [];
  const close = async () => {
    for (const w of watchers) await w.close().catch(() => undefined);
    await cluster.stop();
  };
  try {
    const config = loadConfig(cluster.env);
    const node = cluster.nodes[0]!;
    const watcher = await SwitchWatcher.connect({
      node: node.name,
      esl: node.esl,
      accountId: cluster.demo.accountId,
      accountVariable: config.ACCOUNT_ID_VARIABLE,
      // Every wait is registered within moments of its event; a short window keeps the look-back cheap at 10k calls.
      windowMs: 10_000,
    });
    watchers.push(watcher);
    const seen = new Map<string, Record<string, number>>();
    const dtmf = new Map<string, SwitchEvent[]>();
    watcher.follow((ev) => {
      const uuid = ev.headers['Unique-ID'];
      if (uuid && ev.name === 'DTMF') dtmf.set(uuid, [...(dtmf.get(uuid) ?? []), ev]);
      if (!uuid || !WORKFLOW_EVENTS.has(ev.name) || !reachesCallWorkflow(ev)) return;
      const counts = seen.get(uuid) ?? {};
      counts[ev.name] = (counts[ev.name] ?? 0) + 1;
      seen.set(uuid, counts);
    });
    const nodeUrls = node.workers.map((w) => metricsUrl(w)).filter((u): u is string => !!u);
    if (nodeUrls.length !== node.workers.length) throw new Error('a node worker announced no metrics URL in its log');
    const workflowProcesses = cluster.supervisor.processes.filter((p) => p.role === 'workflows');
    const workflowUrls = workflowProcesses.map((p) => metricsUrl(p)).filter((u): u is string => !!u);
    if (workflowUrls.length !== workflowProcesses.length)
      throw new Error('a workflow worker announced no metrics URL in its log');
    log(`cluster up: ${cluster.supervisor.processes.map((p) => p.name).join(', ')}`);
    return {
      s,
      cluster,
      config,
      watchers,
      nodeUrls,
      workflowUrls,
      seen,
      dtmf,
      log,
      close,
      env: {
        watcher,
        rest: new RestClient(
          cluster.apis.map((a) => a.url),
          cluster.demo.accountId,
          cluster.demo.apiKey,
        ),
        moh: config.DEFAULT_MOH,
        ringback: playableStream(config.DEFAULT_RINGBACK) ?? config.DEFAULT_RINGBACK,
        ringTimeoutS: config.TARGET_RING_TIMEOUT_S,
        onStep: () => undefined,
        effectTimeoutMs: 30_000,
        outcomeTimeoutMs: 45_000,
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function runLoad(argv: string[]): Promise<number> {
  const s = settingsFrom(argv);
  const t0 = Date.now();
  const log = (line: string) => console.log(`[load ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  const runDir = path.join(repoRoot, 'data', 'load', `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${s.seed}`);
  fs.mkdirSync(runDir, { recursive: true });
  const machine = describeMachine(findTemporalCli(process.env.TEMPORAL_CLI));
  log(`seed ${s.seed}; logs in ${path.relative(repoRoot, runDir)}`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  // The floor's two workers are this process's only ones: their state changes are not the report's business.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

  const rng = new Rng(s.seed);
  let id = 0;
  const nextId = () => ++id;
  const steps: Step[] = [];
  let ingest: { levels: FirehoseLevel[]; calls: number } | undefined;
  const grown: GrowthLevel[] = [];
  let stormResult: StormResult | undefined;
  let floorSummary = summarise([]);
  let floorErrors = 0;
  let processNames: string[] = [];
  const errors: string[] = [];

  // The report is written after every part, so that a run stopped half-way (or a part that fails) keeps the rest.
  const write = (): string => {
    const best = highestSustained(steps);
    const consult = best ? latencySummaries(best.calls).consult : undefined;
    const line = loadLine({
      rate: best?.rate,
      transferShare: transferShare(s.mix),
      lost: best?.verdict.lost,
      consultP99: consult?.p99,
      floorP50: floorSummary.p50,
    });
    const text = report({
      s,
      machine,
      loadAfter: loadAverage(),
      processNames,
      floor: floorSummary,
      floorErrors,
      steps,
      ingest,
      growth: grown,
      storm: stormResult,
      errors,
      line,
      argv,
    });
    fs.mkdirSync(path.dirname(s.out), { recursive: true });
    fs.writeFileSync(s.out, text);
    return line;
  };
  const part = async (name: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      log(`${name} failed: ${String(err)}`);
    }
    write();
  };

  await part('main cluster', async () => {
    const ctx = await openCluster(s, path.join(runDir, 'main'), log);
    try {
      const { cluster, config, env } = ctx;
      const node = cluster.nodes[0]!;
      processNames = cluster.supervisor.processes.map((p) => p.name);

      // The floor, on a quiet cluster: one signal → one activity → one switch command.
      const { alice } = await placeCall(env.watcher);
      const floor = await runFloor({
        config,
        address: cluster.temporalAddress,
        client: await cluster.client(),
        node: { name: 'floor', host: node.esl.host, port: node.esl.port, password: node.esl.password },
        uuid: alice.uuid,
        samples: s.floorSamples,
        concurrency: 1,
        warmup: 2,
        gapMs: 100,
        deadline: Date.now() + 120_000,
      });
      await env.watcher.api(`uuid_kill ${alice.uuid}`);
      floorSummary = summarise(floor.samples.map((x: FloorSample) => x.total));
      floorErrors = floor.errors.length;
      log(`floor: p50 ${ms(floorSummary.p50)} ms over ${floorSummary.n} samples`);

      if (s.parts.has('ramp'))
        await part('ramp', async () => {
          for (const rate of s.rates) {
            log(`ramp: ${rate} calls/s for ${s.stepS} s`);
            const step = await rampStep(ctx, rate, rng, nextId);
            const verdict = judgeStep({ ...step, durationS: s.stepS });
            steps.push({ ...step, verdict });
            log(
              `ramp: ${rate} calls/s: ${step.calls.length} calls, ${verdict.failedCalls} failed, in flight ≤ ` +
                `${step.inFlight.max}; ${verdict.sustained ? 'sustained' : `not sustained: ${verdict.reasons.join('; ')}`}` +
                splitNote(step.calls),
            );
            if (!verdict.sustained) break;
          }
          // The highest passing step's call workflows are read back: every event there, none elsewhere. A step that
          // fails the audit is not sustained, and the next lower one is read.
          for (;;) {
            const best = highestSustained(steps);
            if (!best || best.audit || s.auditLegs === 0) break;
            log(`audit: reading the call workflows of the ${best.rate} calls/s step`);
            best.audit = await audit(ctx, best.calls, s.auditLegs);
            best.verdict = judgeStep({ ...best, durationS: s.stepS, audit: best.audit });
            log(`audit: ${auditLine(best.audit)}`);
          }
        });
      if (s.parts.has('ingest'))
        await part('ingest', async () => {
          ingest = { levels: [], calls: 0 };
          await firehose(ctx, ingest);
        });
      if (s.parts.has('growth')) await part('growth', () => growth(ctx, rng, nextId, grown));
    } finally {
      await ctx.close();
    }
  });

  if (s.parts.has('storm'))
    await part('storm', async () => {
      log(`storm: a cluster whose dev server allows ${s.stormRps} requests/s per namespace`);
      const stormCtx = await openCluster(s, path.join(runDir, 'storm'), log, { 'frontend.namespaceRPS': s.stormRps });
      try {
        stormResult = await storm(stormCtx, rng, nextId);
      } finally {
        await stormCtx.close();
      }
    });

  const line = write();
  log(`wrote ${path.relative(process.cwd(), s.out)}; logs in ${path.relative(repoRoot, runDir)}`);
  console.log(line);
  return errors.length || (s.parts.has('ramp') && !highestSustained(steps)) ? 1 : 0;
}

function auditLine(a: AuditResult): string {
  return (
    `${a.legs} legs, ${a.events} events, ${a.lost} lost, ${a.misrouted} misrouted, ${a.reordered} out of order` +
    (a.unreadable ? `, ${a.unreadable} unreadable` : '') +
    (a.examples.length ? ` (${a.examples.join(' | ')})` : '')
  );
}

// ---------------------------------------------------------------------------------------------------------------
// A call storm: Temporal answers RESOURCE_EXHAUSTED beyond its namespace rate limit while many legs press keys.

interface StormResult {
  rps: number;
  seconds: number;
  floodLegs: number;
  offeredPerS: number;
  deliveredPerS: number;
  /** Seconds after the flood until the ingest's queue was empty. */
  drainS: number;
  queuedAtEnd: number;
  refused: number;
  /** The node workers' log lines about signals retried, and those naming RESOURCE_EXHAUSTED. */
  retryLines: number;
  exhaustedLines: number;
  /** Attended transfers on quiet calls before the flood, and during it. */
  baseline: CallRecord[];
  during: CallRecord[];
  /** The flooded legs' call workflows against what the switch emitted. */
  audit: AuditResult;
}

function logSize(p: ManagedProcess): number {
  try {
    return fs.statSync(p.spec.logFile).size;
  } catch {
    return 0;
  }
}

function logSince(p: ManagedProcess, from: number): string {
  const fd = fs.openSync(p.spec.logFile, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, size - from));
    fs.readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

async function probeTransfer(ctx: Ctx, rng: Rng, nextId: () => number): Promise<CallRecord> {
  const plan = {
    id: nextId(),
    kind: 'attended' as const,
    node: 'fs1',
    thinkMs: Array.from({ length: 4 }, () => rng.int(300, 600)),
  };
  return record(await runScenario(ctx.env, plan), ctx.s.digitTimeoutMs, ctx.dtmf);
}

async function storm(ctx: Ctx, rng: Rng, nextId: () => number): Promise<StormResult> {
  const { s, cluster } = ctx;
  const phones = ctx.watchers[0]!;
  const workers = cluster.nodes[0]!.workers;
  const calls = await placeCalls(ctx, s.stormCalls, 8);
  const legs = calls.flat();
  await ingestIdle(ctx.nodeUrls, 120_000);
  const baseline: CallRecord[] = [];
  for (let k = 0; k < s.probe; k++) baseline.push(await probeTransfer(ctx, rng, nextId));
  ctx.log(`storm: ${calls.length} calls up, ${baseline.filter((c) => c.ok).length}/${baseline.length} quiet probes ok`);

  const logFrom = workers.map(logSize);
  const dtmfSeen = () => legs.reduce((sum, leg) => sum + (ctx.seen.get(leg)?.DTMF ?? 0), 0);
  const seen0 = dtmfSeen();
  const before = await readIngest(ctx.nodeUrls);
  const digits = '0'.repeat(50 * s.stormS);
  await Promise.all(legs.map((leg) => phones.api(`uuid_recv_dtmf ${leg} ${digits}`)));
  const floodEnd = Date.now() + s.stormS * 1000;
  const during: CallRecord[] = [];
  // Transfers on quiet calls while the flood lasts: their key presses and hangups must not wait behind it.
  while (Date.now() < floodEnd) during.push(await probeTransfer(ctx, rng, nextId));
  if (Date.now() < floodEnd) await sleep(floodEnd - Date.now());
  const end = await readIngest(ctx.nodeUrls);
  const offered = dtmfSeen() - seen0;
  const wall = (end.at - before.at) / 1000;
  const drained = await ingestIdle(ctx.nodeUrls, 300_000);
  const text = workers.map((w, i) => logSince(w, logFrom[i]!)).join('\n');
  const retryLines = (text.match(/signal failed, retrying/g) ?? []).length;
  const exhaustedLines = (text.match(/RESOURCE_EXHAUSTED|ResourceExhausted|resource exhausted/gi) ?? []).length;
  ctx.log(
    `storm: offered ${(offered / wall).toFixed(0)}/s, delivered ${((end.delivered - before.delivered) / wall).toFixed(0)}/s, ` +
      `${end.queued} queued at the end, drained in ${((drained.at - end.at) / 1000).toFixed(1)} s, ` +
      `${retryLines} retries logged (${exhaustedLines} naming RESOURCE_EXHAUSTED)`,
  );
  const floodAudit = await audit(
    ctx,
    [{ kind: 'plain', ok: true, verdict: 'ok', detail: '', latencies: {}, legs }],
    legs.length,
  );
  ctx.log(`storm: audit: ${auditLine(floodAudit)}`);
  await Promise.all(legs.map((leg) => phones.api(`uuid_kill ${leg}`).catch(() => undefined)));
  return {
    rps: s.stormRps,
    seconds: s.stormS,
    floodLegs: legs.length,
    offeredPerS: offered / wall,
    deliveredPerS: (end.delivered - before.delivered) / wall,
    drainS: (drained.at - end.at) / 1000,
    queuedAtEnd: end.queued,
    refused: drained.refused - before.refused,
    retryLines,
    exhaustedLines,
    baseline,
    during,
    audit: floodAudit,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The report.

interface ReportInput {
  s: Settings;
  machine: ReturnType<typeof describeMachine>;
  loadAfter: string;
  processNames: string[];
  floor: Summary;
  floorErrors: number;
  steps: Step[];
  ingest?: { levels: FirehoseLevel[]; calls: number };
  growth: GrowthLevel[];
  storm?: StormResult;
  /** Parts that failed (their figures are missing or partial). */
  errors: string[];
  line: string;
  argv: string[];
}

const ROLE_ORDER = ['temporal', 'simulator', 'nodes', 'workflows', 'api', 'phones'];

function roleHead(roles: RoleUse[]): string[] {
  return [...roles].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role)).map((r) => r.name);
}

function roleCells(roles: RoleUse[], names: string[], what: 'cpu' | 'rss'): string[] {
  return names.map((n) => {
    const r = roles.find((x) => x.name === n);
    const v = what === 'cpu' ? r?.cpuPct : r?.rssMiB;
    return v === undefined ? '—' : what === 'cpu' ? `${v.toFixed(0)} %` : `${v.toFixed(0)} MiB`;
  });
}

/** How many of the failed calls had a code the phones split (phonesSplit), with the first one. */
function splitNote(calls: readonly CallRecord[]): string {
  const split = calls.filter((c) => !c.ok && c.phones);
  const failed = calls.filter((c) => !c.ok).length;
  return failed
    ? `; of the ${failed} failed, ${split.length} had a code the phones split${split.length ? ` (e.g. ${split[0]!.phones})` : ''}`
    : '';
}

/** Why each step that failed failed, and what the audits found: one line each. */
function stepNotes(steps: readonly Step[]): string {
  const lines = [
    ...steps
      .filter((st) => !st.verdict.sustained)
      .map((st) => `- ${st.rate} calls/s: ${st.verdict.reasons.join('; ')}${splitNote(st.calls)}`),
    ...steps.flatMap((st) =>
      st.audit?.examples.length ? [`- audit at ${st.rate} calls/s: ${st.audit.examples.join(' | ')}`] : [],
    ),
  ];
  return lines.length ? lines.join('\n') : '- every step run was sustained';
}

function report(r: ReportInput): string {
  const m = r.machine;
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const floorP50 = r.floor.p50;
  const parts: string[] = [];
  parts.push(`# Load benchmark results

Generated by \`npm run bench -- ${['--load', ...r.argv.filter((a) => a !== '--load')].join(' ')}\` (bench/load.ts)
on ${when}, seed ${r.s.seed}. Method and caveats: [README.md](README.md), "Load".

**${r.line}**
${r.errors.length ? `\n**Parts that failed** (their figures are missing or partial):\n\n${r.errors.map((e) => `- ${e}`).join('\n')}\n` : ''}
## Machine

${machineTable(m, 'dev server started by the benchmark (SQLite, WAL, synchronous=OFF, precise timers)', r.loadAfter)}

Processes (each an OS process, as the chaos harness starts them): ${r.processNames.join(', ')}; and the
benchmark's own, ${BENCH_PROCESS.name}: the phones and the scenarios, no engine role.
\`DIGIT_TIMEOUT_MS=${r.s.digitTimeoutMs}\`, \`TARGET_RING_TIMEOUT_S=${r.s.ringTimeoutS}\`; everything else the roles' defaults.

## The floor

One signal → one activity → \`api uuid_exists\` reply, one in flight, on the quiet cluster before the ramp
(bench/floor.ts): p50 ${ms(floorP50)} ms, p90 ${ms(r.floor.p90)} ms, p99 ${ms(r.floor.p99)} ms over ${r.floor.n}
samples (${r.floorErrors} errors). Latencies below are compared with this p50.`);

  if (r.steps.length) {
    const head = roleHead(r.steps[0]!.roles);
    parts.push(`## Sustained rate

Open-loop arrivals (Poisson) at each rate for ${r.s.stepS} s; mix: ${formatMix(r.s.mix)}. A person's pauses
${r.s.think[0]}–${r.s.think[1]} ms. A rate is sustained when every call reached its outcome (judged from the switch), the
ingest lost nothing (no refused signal, an empty queue afterwards), no workflow was left running, and the highest such
step's call workflows hold every event the switch emitted for their leg and none about another channel (the audit).

${table(
  [
    'calls/s',
    'calls',
    'failed',
    'in flight (mean / max)',
    'tail s',
    'events in / delivered',
    'refused',
    'stuck',
    'audit: legs, events, lost, misrouted, reordered',
    'verdict',
  ],
  r.steps.map((st) => [
    st.rate,
    st.calls.length,
    st.verdict.failedCalls,
    `${st.inFlight.mean.toFixed(1)} / ${st.inFlight.max}`,
    st.tailS.toFixed(0),
    `${st.ingest.received} / ${st.ingest.delivered}`,
    st.ingest.refused,
    st.stuck,
    st.audit
      ? `${st.audit.legs}, ${st.audit.events}, ${st.audit.lost}, ${st.audit.misrouted}, ${st.audit.reordered}`
      : '—',
    st.verdict.sustained ? 'sustained' : 'no',
  ]),
)}

${stepNotes(r.steps)}

### Step latency at each rate (ms; ratio = p50 or p99 ÷ the floor's p50)

${table(
  ['calls/s', 'step', 'n', 'p50', 'p99', 'max', 'p50 ÷ floor', 'p99 ÷ floor'],
  r.steps.flatMap((st) => {
    const sums = latencySummaries(st.calls);
    return (Object.keys(STEP_LATENCIES) as StepLatency[])
      .filter((k) => sums[k].n > 0)
      .map((k) => [
        st.rate,
        STEP_LATENCIES[k],
        sums[k].n,
        ms(sums[k].p50),
        ms(sums[k].p99),
        ms(sums[k].max),
        ratio(sums[k].p50, floorP50),
        ratio(sums[k].p99, floorP50),
      ]);
  }),
)}

### CPU (% of one core) over each arrival window, and memory at its end

${table(
  ['calls/s', ...head.map((h) => `${h} CPU`), ...head.map((h) => `${h} RSS`)],
  r.steps.map((st) => [st.rate, ...roleCells(st.roles, head, 'cpu'), ...roleCells(st.roles, head, 'rss')]),
)}

### The workflow worker's CPU per workflow task

Its CPU over each arrival window (the table above) over the workflow tasks it ran in that window (the SDK core's
\`temporal_workflow_task_schedule_to_start_latency_seconds_count\`): docs/operations.md's sizing input
\`cpu.msPerWorkflowTask\`, measured on the role alone.

${table(
  ['calls/s', 'workflow tasks', 'tasks /s', 'workflow worker CPU', 'CPU ms per task'],
  r.steps.map((st) => {
    const cpuPct = st.roles.filter((x) => x.role === 'workflows').reduce((sum, x) => sum + (x.cpuPct ?? 0), 0);
    const perS = st.workflowTasks / st.windowS;
    return [
      st.rate,
      st.workflowTasks,
      perS.toFixed(1),
      `${cpuPct.toFixed(0)} %`,
      perS > 0 ? ((cpuPct * 10) / perS).toFixed(1) : '—',
    ];
  }),
)}`);
  }

  if (r.ingest) {
    const levels = r.ingest.levels;
    // Saturated: the ingest delivers less than the switch offers, or ends the window a second or more behind.
    const saturated = levels.find((l) => l.deliveredPerS < 0.9 * l.offeredPerS || l.queuedAtEnd > l.offeredPerS);
    const best = [...levels].sort((a, b) => b.deliveredPerS - a.deliveredPerS)[0];
    const head = levels.length ? roleHead(levels[0]!.roles) : [];
    parts.push(`## Ingest alone

${r.ingest.calls} calls up; at each level that many legs receive key presses (\`uuid_recv_dtmf\`, 50 a second per leg,
as the simulator paces them) for ${r.s.firehoseS} s. Offered: the key presses the switch emitted on those legs (as the
phones' own connection saw them); in: every event the node worker's ingest received (\`handoff_ingest_events_total\`,
the loopback halves' copies too, which it drops); delivered: events whose signal Temporal accepted
(\`handoff_ingest_delivery_seconds_count\`). The call workflows and the Temporal server take every signal, so this is the
whole path one node worker feeds, not the ingest's parsing alone. Where offered stops growing with the legs, the
simulator (or the machine) is the limit, not the ingest.

${table(
  [
    'legs pressing',
    'events in /s',
    'delivered /s',
    'queued at end',
    'drained in s',
    'refused',
    ...head.map((h) => `${h} CPU`),
  ],
  levels.map((l) => [
    l.legs,
    l.receivedPerS.toFixed(0),
    l.deliveredPerS.toFixed(0),
    l.queuedAtEnd,
    l.drainS.toFixed(2),
    l.refused,
    ...roleCells(l.roles, head, 'cpu'),
  ]),
)}

${
  best
    ? `Most delivered: ${best.deliveredPerS.toFixed(0)} events/s (${best.legs} legs). ` +
      (saturated
        ? `Saturated at ${saturated.legs} legs: ${saturated.offeredPerS.toFixed(0)} events/s offered, ` +
          `${saturated.deliveredPerS.toFixed(0)} delivered, the rest queued.`
        : 'Not saturated at the highest level: every level was delivered as fast as it came.')
    : 'No level ran.'
}`);
  }

  if (r.growth.length) {
    const head = roleHead(r.growth[0]!.roles);
    parts.push(`## Concurrency growth

Idle calls (two call workflows each, bridged, no key pressed) placed and kept up; once the ingest's queue was empty,
every call workflow running, no workflow task waiting on the task queue (a started workflow may not have run its first
task yet), and the Temporal server and the workflow worker under 10 % of a core for 3 s (settled in; "tasks waiting"
and "quiet" say when a wait ran out instead),
each process's CPU over the next 15 s and its memory; then ${r.s.probe} attended transfers (\`*22600\`, consult, hang up)
one at a time among them. Workflow worker: the SDK's default workflow cache and sticky queue.

${table(
  [
    'idle calls',
    'placed /s',
    'settled in s',
    'tasks waiting',
    'quiet',
    'call workflows running',
    ...head.map((h) => `${h} RSS`),
  ],
  r.growth.map((g) => [
    g.calls,
    g.placedPerS.toFixed(1),
    g.settleS.toFixed(0),
    g.waitingTasks,
    g.quiet ? 'yes' : 'no',
    g.runningCallWorkflows,
    ...roleCells(g.roles, head, 'rss'),
  ]),
)}

${table(
  ['idle calls', ...head.map((h) => `${h} CPU`)],
  r.growth.map((g) => [g.calls, ...roleCells(g.roles, head, 'cpu')]),
)}

${table(
  ['idle calls', 'step', 'n', 'p50', 'p99', 'p50 ÷ floor'],
  r.growth.flatMap((g) =>
    (['holdCode', 'consult', 'complete'] as StepLatency[]).map((k) => [
      g.calls,
      STEP_LATENCIES[k],
      g.latencies[k].n,
      ms(g.latencies[k].p50),
      ms(g.latencies[k].p99),
      ratio(g.latencies[k].p50, floorP50),
    ]),
  ),
)}
${r.growth
  .filter((g) => g.failed.length)
  .map((g) => `\n- ${g.calls} idle calls: ${g.failed.length} transfers failed: ${g.failed.slice(0, 3).join(' | ')}`)
  .join('')}`);
  }

  if (r.storm) {
    const st = r.storm;
    const row = (label: string, calls: CallRecord[]) => {
      const sums = latencySummaries(calls);
      return (['holdCode', 'consult', 'complete'] as StepLatency[]).map((k) => [
        label,
        `${calls.filter((c) => c.ok).length} / ${calls.length}`,
        STEP_LATENCIES[k],
        ms(sums[k].p50),
        ms(sums[k].p99),
        ms(sums[k].max),
      ]);
    };
    const failed = [...st.baseline, ...st.during].filter((c) => !c.ok);
    parts.push(`## Call storm

A cluster of its own whose dev server allows ${st.rps} requests a second per namespace
(\`frontend.namespaceRPS\`; beyond it Temporal answers RESOURCE_EXHAUSTED, as a busy cluster or Temporal Cloud does).
${st.floodLegs} legs press keys for ${st.seconds} s (50 a second each) while attended transfers (\`*22600\`, consult,
hang up) run one after another on quiet calls; the same transfers ran before the flood for comparison. Then the
flooded legs' call workflows are read back against what the switch emitted.

| | |
|---|---|
| key presses offered / delivered | ${st.offeredPerS.toFixed(0)} /s / ${st.deliveredPerS.toFixed(0)} /s |
| queued in the ingest when the flood ended; drained in | ${st.queuedAtEnd}; ${st.drainS.toFixed(1)} s |
| signals retried (node worker log lines); naming RESOURCE_EXHAUSTED | ${st.retryLines}; ${st.exhaustedLines} |
| refused for good | ${st.refused} |
| audit of the flooded legs | ${auditLine(st.audit)} |

${table(['transfers', 'reached their outcome', 'step', 'p50', 'p99', 'max'], [...row('before the flood', st.baseline), ...row('during the flood', st.during)])}
${failed.length ? `\n${failed.map((c) => `- ${c.verdict}: ${c.detail}${c.phones ? `; ${c.phones}: the engine rightly ended the code there` : ''}`).join('\n')}` : ''}`);
  }

  parts.push(`## Caveats

- One machine (${os.availableParallelism()} cores) runs the dev server, the simulator, every role, the phones and the
  benchmark: the roles compete for the same cores, and so do other processes on the machine (load average above).
  Each is an OS process of its own; the phones (and the scenarios that drive them) run in the benchmark's process,
  \`bench (phones)\` in the CPU tables, with no engine role.
- The dev server persists to SQLite with synchronous=OFF and one history shard; a production cluster's limits differ.
- p99 over fewer than 100 samples is one of the largest values.`);
  return `${parts.join('\n\n')}\n`;
}
