// `npm run bench`: control latency of attended transfers against the floor (one signal → one activity → one switch
// command), and Temporal cost per call, on a Temporal dev server of its own (or TEMPORAL_ADDRESS) and the simulator.
// Writes bench/RESULTS.md and prints the tables. See bench/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig, repoRoot } from '../config/index.ts';
import { isTemporalConnectionVariable } from '../config/temporal.ts';
import { connectionOptions } from '../temporal/connection.ts';
import {
  FAST_TIMER_SHIFT_MS,
  findTemporalCli,
  startDevServer,
  waitForTemporal,
  type DevServer,
} from '../scripts/lib/temporal-dev-server.ts';
import { placeCall, startPairIngest } from '../test/support/engine.ts';
import { startBenchEngine, type Engine } from './engine.ts';
import type { Ingest } from '../workers/ingest/index.ts';
import {
  CallFailure,
  METRICS,
  pressedAgain,
  Timeline,
  enginePart,
  controlCall,
  inLanes,
  plainCall,
  sleep,
  targetFeatureCodeProbe,
  transferredCall,
  type CostCall,
  type Metric,
  type Samples,
  type Timed,
} from './calls.ts';
import {
  COST_HEAD,
  BEFORE_961F9FE,
  actionsOf,
  costRow,
  countHistory,
  mergedTimeline,
  timerLateness,
  totalOf,
  type HistoryCount,
} from './cost.ts';
import { callWorkflowId } from '../contracts/ids.ts';
import { eslRoundTrips, runFloor, type FloorSample } from './floor.ts';
import { cpuLine, cpuMeter, describeMachine, findPid, loadAverage, machineTable, type CpuWindow } from './machine.ts';
import { ms, ratio, summarise, table, type Summary } from './stats.ts';
import { forceTcpNoDelay } from './what-if.ts';
import { earlyActionRun, earlyTable, type EarlyResult } from './early.ts';
import { intOption } from './options.ts';

// `--load`: the load benchmark (bench/load.ts), a mode of its own with its own flags.
if (process.argv.includes('--load')) {
  const { runLoad } = await import('./load.ts');
  process.exit(await runLoad(process.argv.slice(2)).catch((err: unknown) => (console.error(err), 1)));
}

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '5' },
    'solo-calls': { type: 'string', default: '20' },
    floor: { type: 'string', default: '60' },
    'early-samples': { type: 'string', default: '10' },
    'digit-timeout-ms': { type: 'string', default: '300' },
    'think-ms': { type: 'string', default: '400' },
    'max-seconds': { type: 'string', default: '660' },
    out: { type: 'string', default: path.join(repoRoot, 'bench', 'RESULTS.md') },
    'tcp-nodelay': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(
    'npm run bench -- [--calls 200] [--concurrency 5] [--solo-calls 20] [--floor 60] [--early-samples 10] ' +
      '[--digit-timeout-ms 300] [--think-ms 400] [--max-seconds 660] [--out bench/RESULTS.md] [--tcp-nodelay] [--keep]\n' +
      'npm run bench -- --load --help: the load benchmark',
  );
  process.exit(0);
}

const int = intOption;

const settings = {
  calls: int('calls', flags.calls, 1, 1000),
  concurrency: int('concurrency', flags.concurrency, 1, 50),
  soloCalls: int('solo-calls', flags['solo-calls'], 0, 1000),
  floorSamples: int('floor', flags.floor, 5, 5000),
  earlySamples: int('early-samples', flags['early-samples'], 0, 1000),
  digitTimeoutMs: int('digit-timeout-ms', flags['digit-timeout-ms'], 50, 5000),
  thinkMs: int('think-ms', flags['think-ms'], 0, 10_000),
  maxSeconds: int('max-seconds', flags['max-seconds'], 30, 3600),
};

if (flags['tcp-nodelay']) forceTcpNoDelay();

const log = (line: string) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
const t0 = Date.now();
/** The control run and the floor stop starting new work after this; the process gives up 60 s later. */
const deadline = t0 + settings.maxSeconds * 1000;
/** The control run places no new call after this share of the time: step (a) by way of ending and the floor follow. */
const controlDeadline = t0 + settings.maxSeconds * 600;

/**
 * The run's own directory (gitignored): the Temporal dev server's SQLite database and log, and for each failed call a
 * log of its legs' events and switch commands. Kept when a call failed, the run did not finish, or `--keep`; removed
 * after a clean run.
 */
const runDir = path.join(repoRoot, 'data', 'bench', new Date(t0).toISOString().replace(/[:.]/g, '-'));
let keepRunDir = true;

const stoppers: (() => Promise<void>)[] = [];
let stopping: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const stop of stoppers.reverse()) await stop().catch((err) => console.error('stop:', err));
  })();
  return stopping;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`${sig}: stopping what the benchmark started`);
    void stopAll().then(() => process.exit(130));
  });
}
const watchdog = setTimeout(
  () => {
    console.error(`the benchmark ran past --max-seconds + 60 s: stopping`);
    void stopAll().then(() => process.exit(2));
  },
  (settings.maxSeconds + 60) * 1000,
);
watchdog.unref();

interface FailedCall {
  /** `call <n>`, or `solo call <n>` for the one-at-a-time run. */
  label: string;
  reason: string;
  /** The phones split a code with a pause (bench/calls.ts, PhonesPaused): the benchmark's fault, not the engine's. */
  phones: boolean;
  legs: string[];
  workflowIds: string[];
}

/**
 * Workflow tasks that timed out or failed in the failed call's workflows (a worker starved of CPU for longer than
 * WORKFLOW_TASK_TIMEOUT, say): the other way a step can stall for seconds. Empty when none did.
 */
async function taskProblems(e: Engine, workflowIds: string[]): Promise<string> {
  const found: string[] = [];
  for (const id of workflowIds) {
    try {
      const c = await countHistory(e.client, id);
      if (c.taskProblems) found.push(`${c.taskProblems} workflow task(s) of ${id} timed out or failed`);
    } catch {
      // never started (a transfer the code did not reach), or not readable: nothing to say
    }
  }
  return found.join('; ');
}

/** One line per event of the call's legs and per switch command naming one, in time order: what the switch saw. */
function writeCallLog(tl: Timeline, f: FailedCall): string {
  const file = path.join(runDir, `${f.label.replaceAll(' ', '-')}.log`);
  const legs = new Set(f.legs);
  const name = (uuid: string | undefined) => {
    const i = uuid === undefined ? -1 : f.legs.indexOf(uuid);
    return i < 0 ? (uuid ?? '-') : (['transferor', 'transferee'][i] ?? `target${i - 1}`);
  };
  const lines: [number, string][] = [];
  for (const ev of tl.e.phones.events) {
    const uuid = ev.headers['Unique-ID'];
    const other = ev.headers['Other-Leg-Unique-ID'];
    if (!(uuid && legs.has(uuid)) && !(other && legs.has(other))) continue;
    const extra = ['DTMF-Digit', 'Application', 'Application-Data', 'Hangup-Cause']
      .filter((h) => ev.headers[h] !== undefined)
      .map((h) => `${h}=${ev.headers[h]}`);
    lines.push([tl.at(ev), `event ${ev.name} ${name(uuid)}${other ? ` other=${name(other)}` : ''} ${extra.join(' ')}`]);
  }
  for (const j of tl.e.journal.entries) {
    if (!f.legs.some((leg) => j.command.includes(leg))) continue;
    let command = j.command;
    for (const leg of f.legs) command = command.replaceAll(leg, `<${name(leg)}>`);
    lines.push([j.at, `reply to ${command} → ${j.reply.replace(/\s+/g, ' ').slice(0, 120)}`]);
  }
  lines.sort((x, y) => x[0] - y[0]);
  const head = [
    `${f.label}: ${f.reason}`,
    ...f.legs.map((leg) => `${name(leg)} = ${leg}`),
    `workflows: ${f.workflowIds.join(' ')}`,
    '',
  ];
  fs.writeFileSync(file, [...head, ...lines.map(([t, l]) => `${new Date(t).toISOString()} ${l}`), ''].join('\n'));
  return file;
}

interface ControlResult {
  /** TimerFired − TimerStarted − requested duration, for the transferors' call workflows' timers. */
  timerLate: number[];
  samples: Samples;
  outcomes: Record<string, number>;
  failures: string[];
  failedCalls: FailedCall[];
  /** Codes the phones split where nothing could have started, and pressed again (bench/calls.ts, pressCode). */
  pressedAgain: number;
  callsRun: number;
  wallS: number;
  cpu: CpuWindow;
  loopDelay: { p50: number; p99: number; max: number };
}

async function controlRun(
  tl: Timeline,
  temporalPid: number | undefined,
  run: { calls: number; concurrency: number; until: number; solo?: boolean } = {
    calls: settings.calls,
    concurrency: settings.concurrency,
    until: controlDeadline,
  },
): Promise<ControlResult> {
  const samples: Samples = { a: [], b: [], c: [], d: [] };
  const transferors: string[] = [];
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  const failedCalls: FailedCall[] = [];
  const pressedBefore = pressedAgain.count;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu = cpuMeter(temporalPid, tl.e.switchPid);
  const started = Date.now();
  const callsRun = await inLanes(
    run.calls,
    run.concurrency,
    async (n) => {
      try {
        for (const o of await controlCall(
          tl,
          { digitTimeoutMs: settings.digitTimeoutMs, thinkMs: settings.thinkMs },
          samples,
          transferors,
        ))
          outcomes[o] = (outcomes[o] ?? 0) + 1;
      } catch (err) {
        const ids = err instanceof CallFailure ? err.workflowIds : [];
        const problems = await taskProblems(tl.e, ids);
        const reason = `${err instanceof Error ? err.message : String(err)}${problems ? ` (${problems})` : ''}`;
        const f: FailedCall = {
          label: `${run.solo ? 'solo ' : ''}call ${n}`,
          reason,
          phones: err instanceof CallFailure && err.phones,
          legs: err instanceof CallFailure ? err.legs : [],
          workflowIds: ids,
        };
        failedCalls.push(f);
        failures.push(
          `${f.label}${f.phones ? ' (phones)' : ''}: ${reason}; workflows: ${f.workflowIds.map((id) => `\`${id}\``).join(', ')}`,
        );
        log(`${f.label} failed: ${reason}; workflows: ${f.workflowIds.join(' ')}; ${writeCallLog(tl, f)}`);
      }
      if ((n + 1) % 10 === 0) log(`${n + 1} calls placed`);
    },
    () => Date.now() < run.until,
  );
  loop.disable();
  const wallS = (Date.now() - started) / 1000;
  const cpuWindow = cpu();
  // How late Temporal fired the inter-digit timers of the transferors' call workflows (a Temporal timer each).
  const timerLate: number[] = [];
  for (const alice of transferors) {
    try {
      timerLate.push(...(await timerLateness(tl.e.client, callWorkflowId(alice))));
    } catch (err) {
      failures.push(`timer lateness of call:${alice}: ${String(err)}`);
    }
  }
  return {
    timerLate,
    samples,
    outcomes,
    failures,
    failedCalls,
    pressedAgain: pressedAgain.count - pressedBefore,
    callsRun,
    wallS,
    cpu: cpuWindow,
    // The histogram counts the timer's own 10 ms resolution: what is left is the delay.
    loopDelay: {
      p50: loop.percentile(50) / 1e6 - 10,
      p99: loop.percentile(99) / 1e6 - 10,
      max: loop.max / 1e6 - 10,
    },
  };
}

interface FloorRun {
  concurrency: number;
  samples: FloorSample[];
  errors: string[];
  cpu: CpuWindow;
}

interface CostResult {
  call: CostCall;
  counts: HistoryCount[];
  total: HistoryCount;
  /** Two ingests on the node (an HA pair): each delivers every event. */
  pair?: boolean;
}

async function cost(e: Engine, call: CostCall, pair?: Ingest): Promise<CostResult> {
  await pair?.idle();
  const counts: HistoryCount[] = [];
  for (const id of call.workflowIds) counts.push(await countHistory(e.client, id));
  const label = `${call.kind} call${pair ? ', HA pair' : ''}, total`;
  return { call, counts, total: totalOf(label, counts), ...(pair ? { pair: true } : {}) };
}

/** Actions per call against the figures at commit 961f9fe (bench/cost.ts), one line per measured call. */
function actionsSummary(results: CostResult[]): string {
  return results
    .map((r) => {
      const before = BEFORE_961F9FE[r.call.kind][r.pair ? 'pair' : 'one'];
      const now = actionsOf(r.total);
      return (
        `- ${r.call.kind} call, ${r.pair ? 'HA pair (two ingests)' : 'one ingest'}: **${now} actions** ` +
        `(${r.total.markers} patch markers besides), ${before} at 961f9fe: ${((now / before) * 100).toFixed(0)} %`
      );
    })
    .join('\n');
}

function shortId(id: string, legs: Record<string, string>): string {
  let out = id;
  for (const [uuid, name] of Object.entries(legs)) out = out.replaceAll(uuid, name);
  return out;
}

function legNames(call: CostCall): Record<string, string> {
  // call:<alice>, call:<bob>, then the transfer's pair and the target, in the order calls.ts lists them.
  const names = ['alice', 'bob', '', 'carol'];
  const legs: Record<string, string> = {};
  call.workflowIds.forEach((id, i) => {
    const uuid = id.startsWith('call:') ? id.slice(5) : undefined;
    if (uuid && names[i]) legs[uuid] = `<${names[i]}>`;
  });
  return legs;
}

function latencyTable(samples: Samples, floors: FloorRun[]): string {
  const fs = floors.map((f) => summarise(f.samples.map((x) => x.total)));
  const rows = (Object.keys(METRICS) as Metric[]).map((m) => {
    const s = summarise(samples[m].map((t) => t.total));
    return [METRICS[m].title, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), ...fs.map((f) => ratio(s.p50, f.p50))];
  });
  floors.forEach((f, i) => {
    const s = fs[i]!;
    rows.push([
      `floor, ${f.concurrency} in flight: signal → activity → uuid_exists reply`,
      s.n,
      ms(s.p50),
      ms(s.p90),
      ms(s.p99),
      ms(s.max),
      ...fs.map((g) => ratio(s.p50, g.p50)),
    ]);
  });
  return table(
    [
      'latency (ms)',
      'n',
      'p50',
      'p90',
      'p99',
      'max',
      ...floors.map((f) => `p50 ÷ floor p50 (${f.concurrency} in flight)`),
    ],
    rows,
  );
}

/** The engine's part of each step (the step minus the switch's modelled delays) against the floor proper. */
function engineTable(samples: Samples, floor: Summary): { table: string; line: string } {
  const rows: (string | number)[][] = [];
  const verdicts: string[] = [];
  for (const m of Object.keys(METRICS) as Metric[]) {
    const values = samples[m].map((t) => enginePart(m, t)).filter((v): v is number => v !== undefined);
    const s = summarise(values);
    const goal = METRICS[m].goal;
    const met = Number.isFinite(s.p50) && floor.p50 > 0 ? (s.p50 <= goal * floor.p50 ? 'yes' : 'no') : '—';
    rows.push([
      `(${m})`,
      s.n,
      ms(s.p50),
      ms(s.p90),
      ms(s.p99),
      ms(s.max),
      ratio(s.p50, floor.p50),
      ratio(s.p99, floor.p50),
      `≤ ${goal}×`,
      met,
    ]);
    verdicts.push(`(${m}) ${ratio(s.p50, floor.p50)} (p99 ${ms(s.p99)} ms, n ${s.n})`);
  }
  return {
    table: table(
      ['engine part (ms)', 'n', 'p50', 'p90', 'p99', 'max', 'p50 ÷ floor p50', 'p99 ÷ floor p50', 'goal (p50)', 'met'],
      rows,
    ),
    line: `steps: engine part p50 ÷ floor p50 ${ms(floor.p50)} ms: ${verdicts.join(', ')}`,
  };
}

function segmentTable(samples: Samples, floor: Summary): string {
  // Engine segments against the floor proper (one in flight).
  const rows: (string | number)[][] = [];
  for (const m of Object.keys(METRICS) as Metric[]) {
    const list: Timed[] = samples[m];
    for (const name of METRICS[m].segments) {
      const values = list.map((t) => t.segments[name]).filter((v): v is number => v !== undefined);
      const s = summarise(values);
      const engine = !name.startsWith('switch:');
      rows.push([`${m}: ${name}`, s.n, ms(s.p50), ms(s.p90), ms(s.max), engine ? ratio(s.p50, floor.p50) : '(switch)']);
    }
  }
  return table(['segment (ms)', 'n', 'p50', 'p90', 'max', 'p50 ÷ floor p50 (1 in flight)'], rows);
}

function floorTable(floors: FloorRun[]): string {
  const rows: (string | number)[][] = [];
  for (const f of floors) {
    const part = (label: string, values: number[]) => {
      const s = summarise(values);
      return [`${f.concurrency} in flight: ${label}`, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
    };
    rows.push(
      part(
        'signal sent → activity started (Temporal)',
        f.samples.map((s) => s.toActivity),
      ),
      part(
        'activity started → switch reply (ESL)',
        f.samples.map((s) => s.command),
      ),
      part(
        'total',
        f.samples.map((s) => s.total),
      ),
    );
  }
  return table(['floor (ms)', 'n', 'p50', 'p90', 'p99', 'max'], rows);
}

function costTables(results: CostResult[]): string {
  const parts: string[] = [];
  for (const r of results) {
    const legs = legNames(r.call);
    parts.push(
      `**${r.call.kind} call${r.pair ? ', HA pair (two ingests on the node)' : ''}**` +
        (r.call.outcome ? ` (transfer outcome: ${r.call.outcome})` : '') +
        `: ${r.pair ? 'the first ' : ''}ingest sent ${r.call.ingestSignals} signals carrying ${r.call.ingestEvents} events; ` +
        `the engine sent ${r.call.switchCommands} switch commands; ` +
        `the last leg was hung up by ${r.call.secondHangup === 'switch' ? 'the switch' : 'the benchmark (the switch left it up)'}.\n\n` +
        table(COST_HEAD, [...r.counts.map((c) => costRow(c, shortId(c.workflowId, legs))), costRow(r.total)]),
    );
  }
  return parts.join('\n\n');
}

async function main(): Promise<void> {
  fs.mkdirSync(runDir, { recursive: true });
  stoppers.push(async () => {
    if (keepRunDir)
      console.error(`kept ${path.relative(process.cwd(), runDir)}/ (README.md there says how to read it)`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  });
  const config = loadConfig();
  let address = config.TEMPORAL_ADDRESS;
  let server: DevServer | undefined;
  let cli: string | undefined;
  const dbFile = path.join(runDir, 'temporal.sqlite');
  if (!address) {
    // Our own dev server: no stray TEMPORAL_* setting (namespace, TLS) of the shell may point the engine elsewhere.
    for (const name of Object.keys(process.env)) if (isTemporalConnectionVariable(name)) delete process.env[name];
    cli = findTemporalCli(process.env.TEMPORAL_CLI);
    server = await startDevServer({ cli, dbFile, logFile: path.join(runDir, 'temporal.log'), fastTimers: true });
    stoppers.push(() => server!.stop());
    address = server.address;
    log(`temporal dev server ${address} (SQLite ${dbFile}, WAL, synchronous=OFF)`);
  } else log(`using TEMPORAL_ADDRESS=${address}`);
  await waitForTemporal(
    server ? address : connectionOptions(config.temporal, address),
    server ? 'default' : config.TEMPORAL_NAMESPACE,
  );
  const temporalPid = server ? findPid(dbFile) : undefined;
  const machine = describeMachine(cli);
  process.env.TEMPORAL_ADDRESS = address;

  const e = await startBenchEngine({
    DIGIT_TIMEOUT_MS: String(settings.digitTimeoutMs),
    TEMPORAL_TIMER_SHIFT_MS: String(FAST_TIMER_SHIFT_MS),
    // One ingest on the switch: a code's presses go in one signal (README, Feature codes).
    INGEST_CODE_HOLD: 'true',
  });
  stoppers.push(() => e.stop());
  log(
    `engine up: simulator ${e.sw.host}:${e.sw.port} in the switch process (pid ${e.switchPid}), task queue ` +
      e.config.WORKFLOW_TASK_QUEUE,
  );
  const tl = new Timeline(e);
  const callOpts = { digitTimeoutMs: settings.digitTimeoutMs, thinkMs: settings.thinkMs };

  // 0. What one switch command costs, before any Temporal work.
  const rtt = await eslRoundTrips({ name: 'rtt', host: e.sw.host, port: e.sw.port, password: e.sw.password }, e.phones);
  log(
    `ESL round trip p50: EslNode ${ms(summarise(rtt.eslNode).p50)} ms, raw client ${ms(summarise(rtt.rawClient).p50)} ms`,
  );

  // 1. Cost per call, one call at a time on a quiet engine (these calls also warm it up for the control run). One
  // transferred call first, uncounted: a new workflow worker's first call and first transfer run cold (bench/README.md,
  // "First task"), and the cost section's histories on one clock are read as a warm engine's task times.
  await transferredCall(tl, callOpts);
  const plain = await cost(e, await plainCall(tl, settings.thinkMs));
  const transferred = await cost(e, await transferredCall(tl, callOpts));
  // The same with a second ingest on the node, as production runs them (an HA pair): each delivers every event.
  const second = await startPairIngest(e);
  let pairStopped = false;
  const stopPair = async () => {
    if (!pairStopped) await second.stop();
    pairStopped = true;
  };
  stoppers.push(stopPair);
  const plainPair = await cost(e, await plainCall(tl, settings.thinkMs), second);
  const transferredPair = await cost(e, await transferredCall(tl, callOpts), second);
  await stopPair();
  const costs = [plain, transferred, plainPair, transferredPair];
  log(`cost (actions): ${costs.map((c) => `${c.total.workflowId} ${actionsOf(c.total)}`).join(', ')}`);
  const probe = await targetFeatureCodeProbe(tl, callOpts);
  log(`probe (target's feature code after a completed transfer): ${probe.detail}`);
  await e.nodeWorker!.ingest.idle();
  await sleep(500);

  // 2. Control latency.
  log(`control run: ${settings.calls} calls, ${settings.concurrency} at a time`);
  const control = await controlRun(tl, temporalPid);
  log(
    `control run done in ${control.wallS.toFixed(1)} s, ${control.failures.length} failed ` +
      `(${control.failedCalls.filter((f) => f.phones).length} of them a code the phones split); ` +
      `codes the phones split and pressed again: ${control.pressedAgain}`,
  );
  await e.nodeWorker!.ingest.idle();
  await sleep(1000);

  // 2b. Step (a) with each way a code ends: the timer, and the early actions (one call at a time).
  const early = await earlyActionRun(tl, { samples: settings.earlySamples, thinkMs: settings.thinkMs, deadline });
  log(`step (a) by way of ending: ${early.map((r) => `${r.samples.length}/${r.failures.length} failed`).join(', ')}`);

  // 2c. The same calls as the control run, one at a time: the steps' hops without other calls' work queued for the CPU.
  const solo = settings.soloCalls
    ? await controlRun(tl, temporalPid, {
        calls: settings.soloCalls,
        concurrency: 1,
        until: deadline - 90_000,
        solo: true,
      })
    : undefined;
  if (solo) log(`solo run: ${solo.callsRun} calls one at a time, ${solo.failures.length} failed`);
  await e.nodeWorker!.ingest.idle();

  // 3. The floor, on the same server and switch: alone (the floor proper), then as many in flight as calls ran at once.
  const { alice } = await placeCall(e);
  const floors: FloorRun[] = [];
  for (const concurrency of [...new Set([1, settings.concurrency])]) {
    const meter = cpuMeter(temporalPid, e.switchPid);
    const run = await runFloor({
      config: e.config,
      address,
      client: e.client,
      node: { name: 'floor', host: e.sw.host, port: e.sw.port, password: e.sw.password },
      uuid: alice.uuid,
      samples: settings.floorSamples,
      concurrency,
      warmup: 2,
      gapMs: 100,
      deadline: deadline + 20_000,
    });
    floors.push({ concurrency, ...run, cpu: meter() });
    log(`floor, ${concurrency} in flight: ${run.samples.length} samples, ${run.errors.length} errors`);
  }
  const loadAfter = loadAverage();
  const failed =
    control.failures.length +
    (solo?.failures.length ?? 0) +
    early.reduce((n, r) => n + r.failures.length, 0) +
    floors.reduce((n, f) => n + f.errors.length, 0);
  keepRunDir = flags.keep || failed > 0;
  if (keepRunDir) writeRunReadme([...control.failedCalls, ...(solo?.failedCalls ?? [])], server !== undefined);

  const report = render({
    machine,
    address: server ? `dev server started by the benchmark (${address})` : `TEMPORAL_ADDRESS=${address}`,
    engine: e,
    control,
    solo,
    floors,
    costs,
    early,
    probe,
    loadAfter,
    rtt,
    kept: keepRunDir && server ? path.relative(repoRoot, runDir) : undefined,
  });
  console.log(`\n${report.printed}`);
  fs.writeFileSync(flags.out, report.markdown(readHandWritten(flags.out)));
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
  console.log(report.engineLine);
}

/** How to read a kept run: its dev server's database holds every workflow's history. */
function writeRunReadme(failed: FailedCall[], ownServer: boolean): void {
  const cli = process.env.TEMPORAL_CLI ?? 'temporal';
  const text = `# Benchmark run ${path.basename(runDir)}

${
  ownServer
    ? `- \`temporal.sqlite\` (with its \`-wal\`/\`-shm\` files): the run's Temporal dev server database; \`temporal.log\`: its log.
  To read the histories, copy the database files elsewhere (the server writes to them) and start a server on the copy:

  \`\`\`sh
  cp temporal.sqlite* /tmp/ && ${cli} server start-dev --db-filename /tmp/temporal.sqlite --port 7299 --ui-port 7298 --headless &
  ${cli} workflow list --address 127.0.0.1:7299
  ${cli} workflow show --address 127.0.0.1:7299 -w '<workflow id>'
  \`\`\`
`
    : '- The run used TEMPORAL_ADDRESS: its histories are on that server.\n'
}- \`call-<n>.log\` (\`solo-call-<n>.log\` for the one-at-a-time run): each failed control call's leg events (as the phones received them) and the switch commands that
  named its legs, with their replies, in time order.

## Failed control calls

${failed.map((f) => `- ${f.label}${f.phones ? ' (phones)' : ''}: ${f.reason}\n  workflows: ${f.workflowIds.join(' ')}`).join('\n') || '- none'}
`;
  fs.writeFileSync(path.join(runDir, 'README.md'), text);
}

const HAND_START = '<!-- reading:start -->';
const HAND_END = '<!-- reading:end -->';

/** The hand-written reading of an earlier RESULTS.md, kept across runs (it says which run it read). */
function readHandWritten(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const i = text.indexOf(HAND_START);
    const j = text.indexOf(HAND_END);
    return i >= 0 && j > i ? text.slice(i, j + HAND_END.length) : undefined;
  } catch {
    return undefined;
  }
}

interface ReportInput {
  early: EarlyResult[];
  machine: ReturnType<typeof describeMachine>;
  address: string;
  engine: Engine;
  control: ControlResult;
  /** The control run's calls again, one at a time (--solo-calls; none with 0). */
  solo: ControlResult | undefined;
  floors: FloorRun[];
  costs: CostResult[];
  probe: Awaited<ReturnType<typeof targetFeatureCodeProbe>>;
  loadAfter: string;
  rtt: { eslNode: number[]; rawClient: number[] };
  /** The run's directory, relative to the repository, when it was kept with the dev server's database. */
  kept?: string;
}

function render(r: ReportInput) {
  const c = r.engine.config;
  const m = r.machine;
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const outcomes = Object.entries(r.control.outcomes)
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');
  const latency = latencyTable(r.control.samples, r.floors);
  const floorProper = summarise(r.floors[0]!.samples.map((s) => s.total));
  const segments = segmentTable(r.control.samples, floorProper);
  const engine = engineTable(r.control.samples, floorProper);
  const soloEngine = r.solo ? engineTable(r.solo.samples, floorProper) : undefined;
  const soloSection = r.solo
    ? `## Engine part with one call in flight

The control run's calls again, ${r.solo.callsRun} of them one at a time (${r.solo.failures.length} failed), after it:
the same steps and hops with no other call's work queued for the two cores. Against the same floor proper.

${soloEngine!.table}
`
    : '';
  const floor = floorTable(r.floors);
  const late = summarise(r.control.timerLate);
  const timers = table(
    ['Temporal timer fired later than asked (ms)', 'n', 'p50', 'p90', 'p99', 'max'],
    [
      [
        "inter-digit timers of the transferors' call workflows",
        late.n,
        ms(late.p50),
        ms(late.p90),
        ms(late.p99),
        ms(late.max),
      ],
    ],
  );
  const costs = costTables(r.costs);
  const actions = actionsSummary(r.costs);
  const rttRow = (label: string, v: number[]) => {
    const s = summarise(v);
    return [label, s.n, ms(s.p50), ms(s.p90), ms(s.max)];
  };
  const rtt = table(
    ['one `api uuid_exists` to the simulator (ms)', 'n', 'p50', 'p90', 'max'],
    [
      rttRow("engine's wrapper (EslNode → modesl)", r.rtt.eslNode),
      rttRow("phones' raw client (node:net, TCP_NODELAY), in the switch process", r.rtt.rawClient),
    ],
  );
  const failures = r.control.failures.length
    ? r.control.failures.map((f) => `- ${f}`).join('\n') +
      (r.kept
        ? `\n\nThe run's Temporal database, its log and a log per failed call are kept in ${r.kept}/ (its README.md).`
        : '')
    : '- none: every call ran both transfers to the expected outcome';
  const printed = [
    '## ESL round trip',
    rtt,
    '## Control latency',
    latency,
    '## Engine part of each step',
    engine.table,
    ...(soloEngine ? ['## Engine part, one call in flight', soloEngine.table] : []),
    '## Step (a) by the way the code ends',
    earlyTable(r.early, c.DIGIT_TIMEOUT_MS),
    '## Where the time goes (segments)',
    segments,
    '## Temporal timers',
    timers,
    '## The floor',
    floor,
    '## Temporal cost per call',
    actions,
    costs,
  ].join('\n\n');

  const markdown = (hand: string | undefined) =>
    `# Benchmark results

Generated by \`npm run bench${flags['tcp-nodelay'] ? ' -- --tcp-nodelay' : ''}\` (bench/run.ts) on ${when}. Method and
caveats: [README.md](README.md).${
      flags['tcp-nodelay']
        ? '\n\n**What-if run (`--tcp-nodelay`)**: TCP_NODELAY forced on every socket of this process, i.e. the engine ' +
          'as it would be with Nagle turned off on its ESL connections. Not the engine as committed.'
        : ''
    }

## Machine

${machineTable(m, r.address, r.loadAfter)}

CPU during the control run: ${cpuLine(r.control.cpu, r.control.callsRun)}.
Main event-loop delay during the control run (the engine process: ingest, switch activities, workflow worker and
the benchmark's driving of the calls; the simulator and the phones run in the switch process): p50 ${r.control.loopDelay.p50.toFixed(1)} ms, p99 ${r.control.loopDelay.p99.toFixed(1)} ms,
max ${r.control.loopDelay.max.toFixed(1)} ms.
${r.floors.map((f) => `CPU during the floor with ${f.concurrency} in flight: ${cpuLine(f.cpu, f.samples.length, 'sample')}.`).join('\n')}

## Settings

- ${r.control.callsRun} calls, ${settings.concurrency} at a time; each call runs two attended transfers to 2600 (answers
  at once): the first is taken back with \`*1\`, the second completed by the transferor's hangup. So (a) and (b) have
  two samples per call, (c) and (d) one. A ${settings.thinkMs} ms pause between steps stands for the people.
- Digits pressed as \`press()\` does (60 ms apart). \`DIGIT_TIMEOUT_MS=${c.DIGIT_TIMEOUT_MS}\` (the inter-digit timeout:
  the caller's own wait, subtracted from (a)); \`BRIDGE_CONFIRM_TIMEOUT_MS=${c.BRIDGE_CONFIRM_TIMEOUT_MS}\`,
  \`TARGET_RING_TIMEOUT_S=${c.TARGET_RING_TIMEOUT_S}\`, \`STICKY_SCHEDULE_TO_START_MS=${c.STICKY_SCHEDULE_TO_START_MS}\`
  (test/support/engine.ts's values); \`WORKFLOW_STACK_TRACES=${c.WORKFLOW_STACK_TRACES}\`,
  \`WORKFLOW_DEADLOCK_TIMEOUT_MS=${c.WORKFLOW_DEADLOCK_TIMEOUT_MS}\` (the floor's workers the same).
- The engine's roles in one process (test/support/engine.ts's startEngineRoles): node worker (ESL, ingest, switch
  activities) and workflow worker. The simulator and the phones in a process of their own (bench/switch-process.ts,
  driven over Node's IPC channel; the phones pace their key presses there). Times are when the phones' ESL client
  received an event (stamped in the switch process) or when a journalled switch command's reply came back (stamped
  in the engine process): both Date.now(), one clock for every process of the machine, so no offset is needed.
- Floor: ${settings.floorSamples} samples per run (after 2 discarded per workflow), first with one floor workflow
  (the floor proper), then with ${settings.concurrency} in parallel (the control run's concurrency); 100–200 ms
  (random) between two signals to one workflow; workflow and activity on two task queues (as the engine's call
  workflows and switch activities are); activity = \`api uuid_exists <live uuid>\` through the engine's ESL wrapper
  (EslNode), on its own connection to the same simulator. Floor errors:
  ${r.floors.map((f) => `${f.errors.length} (${f.concurrency} in flight)`).join(', ')}.

## One switch command

${rtt}

## Control latency

p99 over ${r.control.samples.a.length} samples or fewer is the largest or second-largest value: read it as such.

${latency}

Transfer outcomes: ${outcomes || 'none'}. Failed calls (${r.control.failedCalls.filter((f) => f.phones).length} of
${r.control.failedCalls.length} marked "(phones)": the phones paused inside a code for longer than the digit timeout, by
the switch's clock, and the engine rightly ended the code there; see bench/README.md):
${failures}

Codes the phones split where nothing could have started (\`*\` or \`*2\`, a pause longer than the digit timeout), and
pressed again: ${r.control.pressedAgain}.

## Engine part of each step

Each step minus the switch's own modelled delays (the \`switch:\` segments of "Where the time goes"): what the ingest,
Temporal, the workers and the ESL commands take. Against the floor proper (one in flight, p50, this run); the goal is
the engine's part at p50 within 3× the floor for (a), which needs a timer, an activity, a child start and another
activity, and within 2× for (b), (c) and (d). (a) and (b) have two samples per call, (c) and (d) one.

${engine.table}

${soloSection}
## Step (a) by the way the code ends

${settings.earlySamples} calls per row, one at a time, after the control run: Alice presses the code, Bob hears music,
Alice takes him back with \`*1\`. Timed from the code's last DTMF event to Bob's PLAYBACK_START, nothing subtracted
(README, Feature codes).

${earlyTable(r.early, c.DIGIT_TIMEOUT_MS)}

## Where the time goes

p50 of each segment of each step, in order (segments add up to the step; engine segments are compared with the
floor, switch segments are the simulator's modelled delays from the captures).

${segments}

Timers: the collector keeps one Temporal timer per deadline: started at the binding digit and, when it fires before
the last digit's deadline (later digits moved it), once more for what is left; the one that fires at the deadline
ends the collection. From the histories of the control run's transferor call workflows (TimerFired − TimerStarted − the
requested duration; server event times):

${timers}

## The floor

${floor}

## Temporal cost per call

From the workflows' histories (\`fetchHistory\`), each call placed alone on a quiet engine. Signals in = the ingest's
signal-with-starts plus workflow-to-workflow signals; signals out = SignalExternalWorkflowExecution commands. Actions =
Temporal Cloud's billable actions as the histories show them (bench/cost.ts): runs started, signals and Updates
received, search-attribute upserts (the SDK's own TemporalChangeVersion upsert of each patch marker included),
activities and timers; patch markers are counted apart. Each call once with one ingest on the node, then with an HA
pair (two ingests, each delivering every event; the call workflows drop the second copy, but each is a signal).

${actions}

${costs}

<details><summary>The transferred call's histories on one clock (server event times)</summary>

\`\`\`
${(() => {
  const t = r.costs.find((x) => x.call.kind === 'transferred');
  return t ? mergedTimeline(t.counts, (id) => shortId(id, legNames(t.call))) : '';
})()}
\`\`\`

</details>

Target's feature code after a completed transfer (Carol, now talking to Bob, presses \`*22601\`): ${r.probe.detail}.

## Reading

${hand ?? `${HAND_START}\n(not written yet)\n${HAND_END}`}
`;
  return {
    printed,
    markdown,
    engineLine: soloEngine ? `${engine.line}\nsolo ${soloEngine.line}` : engine.line,
  };
}

main()
  .then(
    () => stopAll().then(() => 0),
    async (err) => {
      console.error(err);
      await stopAll();
      return 1;
    },
  )
  .then((code) => {
    clearTimeout(watchdog);
    process.exit(code);
  });
