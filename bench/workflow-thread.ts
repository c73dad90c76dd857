// `npm run bench:workflow-thread`: what two of the SDK's workflow-thread settings cost a workflow worker, the per-promise
// stack capture (WORKFLOW_STACK_TRACES) and the deadlock timeout (WORKFLOW_DEADLOCK_TIMEOUT_MS), both switched by the
// patch in patches/. Every recorded history of the end-to-end scenarios (test/histories) is replayed by the workflow
// code, in a process of its own per setting: the SDK's own behaviour (both on), Handoff's default (stack traces off),
// and both off. Replay runs the same workflow code a live worker runs for each task, with no server, switch or other
// process in the figure: the process's CPU (all its threads) per workflow task. The settings alternate, so that a
// machine that gets busier or quieter along the run touches each. Writes bench/RESULTS-workflow-thread.md (or --out).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { repoRoot } from '../config/index.ts';
import { workflowBundle, workflowSinks } from '../workers/workflow-worker.ts';
import { describeMachine, loadAverage, machineTable } from './machine.ts';
import { intOption, runAsScript } from './options.ts';
import { summarise, table } from './stats.ts';

const USAGE = 'npm run bench:workflow-thread -- [--rounds 3] [--out FILE]';
const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;
/** The workflow thread's switches, as the patch reads them from the thread's environment. */
const SETTINGS = {
  sdk: { TEMPORAL_WORKFLOW_STACK_TRACES: 'on', TEMPORAL_WORKFLOW_DEADLOCK_DETECTION: 'on' },
  handoff: { TEMPORAL_WORKFLOW_STACK_TRACES: 'off', TEMPORAL_WORKFLOW_DEADLOCK_DETECTION: 'on' },
  'no-deadlock': { TEMPORAL_WORKFLOW_STACK_TRACES: 'off', TEMPORAL_WORKFLOW_DEADLOCK_DETECTION: 'off' },
} as const;
type Setting = keyof typeof SETTINGS;
const SETTING_NAMES = Object.keys(SETTINGS) as Setting[];
const DESCRIPTIONS: Record<Setting, string> = {
  sdk: 'the SDK’s own: stack traces, deadlock timeout',
  handoff: 'Handoff’s default: deadlock timeout (`WORKFLOW_STACK_TRACES=false`)',
  'no-deadlock': 'neither (`WORKFLOW_DEADLOCK_TIMEOUT_MS=0` too)',
};

/** One child's measurement: the replays after its warm-up one. */
interface Replay {
  setting: Setting;
  histories: number;
  workflowTasks: number;
  /** Process CPU (user + system, every thread) per replay of all histories, ms. */
  cpuMs: number[];
  wallMs: number[];
}

function loadHistories() {
  const dir = path.join(repoRoot, 'test', 'histories');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({
      workflowId: file,
      history: temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))),
    }));
}

/** In the child: replays every history once to warm up, then `times` more, measured. */
async function child(setting: Setting, times: number): Promise<void> {
  // Each replay starts and stops a worker, which the SDK logs at INFO: only what went wrong.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const histories = loadHistories();
  const workflowTasks = histories
    .flatMap((h) => h.history.events ?? [])
    .filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length;
  const bundle = await workflowBundle();
  const result: Replay = { setting, histories: histories.length, workflowTasks, cpuMs: [], wallMs: [] };
  for (let i = 0; i <= times; i++) {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, sinks: workflowSinks() }, histories)) {
      if (r.error) throw new Error(`${r.workflowId}: ${String(r.error)}`);
    }
    if (i === 0) continue;
    const used = process.cpuUsage(cpu);
    result.cpuMs.push((used.user + used.system) / 1000);
    result.wallMs.push(performance.now() - wall);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(setting: Setting, times: number): Promise<Replay> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', setting, String(times)],
      {
        env: { ...process.env, ...SETTINGS[setting] },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as Replay);
      else reject(new Error(`replay child (${setting}) exited ${code}: ${out.slice(-500)}`));
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      out: { type: 'string', default: path.join(repoRoot, 'bench', 'RESULTS-workflow-thread.md') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const rounds = intOption('rounds', values.rounds, 1, 20);
  const times = 2;
  const machine = describeMachine(undefined);
  const replays: Replay[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? SETTING_NAMES : [...SETTING_NAMES].reverse();
    for (const setting of order) {
      const r = await runChild(setting, times);
      console.log(
        `[workflow-thread] round ${round + 1}/${rounds} ${setting}: ${r.cpuMs.map((c) => c.toFixed(0)).join(', ')} ms CPU`,
      );
      replays.push(r);
    }
  }
  const first = replays[0]!;
  const perTask = (s: Setting) =>
    summarise(replays.filter((r) => r.setting === s).flatMap((r) => r.cpuMs.map((c) => (c * 1000) / r.workflowTasks)));
  const wall = (s: Setting) => summarise(replays.filter((r) => r.setting === s).flatMap((r) => r.wallMs));
  const rows = SETTING_NAMES.map((s) => {
    const cpu = perTask(s);
    const w = wall(s);
    return [DESCRIPTIONS[s], cpu.n, cpu.p50.toFixed(0), cpu.min.toFixed(0), cpu.max.toFixed(0), w.p50.toFixed(0)];
  });
  const p50 = (s: Setting) => perTask(s).p50;
  const walls = (s: Setting) => wall(s).p50;
  const fewer = (before: number, after: number) => `${((1 - after / before) * 100).toFixed(0)} %`;
  const less = (from: Setting, to: Setting) => fewer(p50(from), p50(to));
  const report = `# The workflow thread: what stack traces and the deadlock timeout cost a workflow worker

Generated by \`npm run bench:workflow-thread\` (bench/workflow-thread.ts) on ${new Date().toISOString()}.

## Machine

${machineTable(machine, 'none (replay only)', loadAverage())}

## Method

Each of the ${first.histories} recorded histories of the end-to-end scenarios (test/histories: ${first.workflowTasks}
workflow tasks of call and transfer workflows) replayed by the workflow code, in a process of its own for each setting
(one warm-up replay, then ${times} measured), ${rounds} round${rounds > 1 ? 's' : ''} with the settings alternating.
CPU is the process's (user + system, all threads: the SDK's core and its workflow thread), per workflow task replayed.
Stack traces: a stack captured and source-mapped for every promise a workflow creates (the Temporal UI's Stack Trace
tab). Deadlock timeout: Node enforces it with a watchdog thread it creates and joins for each call into the workflow
sandbox, about three per task. Handoff's patch (patches/) switches each off.

## Results

${table(['setting', 'replays', 'CPU per workflow task p50 (µs)', 'min', 'max', 'wall per replay of all, p50 (ms)'], rows)}

Stack traces off (Handoff's default) saves **${less('sdk', 'handoff')}** of the CPU per workflow task
(p50 ${p50('sdk').toFixed(0)} → ${p50('handoff').toFixed(0)} µs). The deadlock timeout off as well saves a further
**${less('handoff', 'no-deadlock')}** (→ ${p50('no-deadlock').toFixed(0)} µs) and ${fewer(walls('handoff'), walls('no-deadlock'))} of the wall time of a replay of all
(${walls('handoff').toFixed(0)} → ${walls('no-deadlock').toFixed(0)} ms: the thread no longer waits for a watchdog's join).
`;
  fs.writeFileSync(values.out, report);
  console.log(
    `workflow thread: CPU per workflow task ${SETTING_NAMES.map((s) => `${s} ${p50(s).toFixed(0)} µs`).join(', ')}`,
  );
}

runAsScript(import.meta.url, () =>
  process.argv[2] === '--child' ? child(process.argv[3] as Setting, Number(process.argv[4] ?? 2)) : main(),
);
