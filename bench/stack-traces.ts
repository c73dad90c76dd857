// `npm run bench:stack-traces`: what the SDK's workflow stack traces cost a workflow worker. Every recorded history of
// the end-to-end scenarios (test/histories) is replayed by the workflow code, in a process of its own per setting, with
// the SDK's per-promise stack capture on (TEMPORAL_WORKFLOW_STACK_TRACES=on, the SDK's own behaviour) and off (Handoff's
// default, WORKFLOW_STACK_TRACES=false; the patch in patches/). Replay runs the same workflow code a live worker runs
// for each task, with no server, switch or other process in the figure: the process's CPU (all its threads) per
// workflow task. The settings alternate, so that a machine that gets busier or quieter along the run touches both.
// Writes bench/RESULTS-stack-traces.md (or --out).
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

const USAGE = 'npm run bench:stack-traces -- [--rounds 3] [--out FILE]';
const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;
const SETTINGS = ['on', 'off'] as const;
type Setting = (typeof SETTINGS)[number];

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
async function child(times: number): Promise<void> {
  const setting = process.env.TEMPORAL_WORKFLOW_STACK_TRACES === 'off' ? 'off' : 'on';
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
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(times)],
      {
        env: { ...process.env, TEMPORAL_WORKFLOW_STACK_TRACES: setting },
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
      out: { type: 'string', default: path.join(repoRoot, 'bench', 'RESULTS-stack-traces.md') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const rounds = intOption('rounds', values.rounds, 1, 20);
  const times = 2;
  const machine = describeMachine(undefined);
  const replays: Replay[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? SETTINGS : [...SETTINGS].reverse();
    for (const setting of order) {
      const r = await runChild(setting, times);
      console.log(
        `[stack-traces] round ${round + 1}/${rounds} ${setting}: ${r.cpuMs.map((c) => c.toFixed(0)).join(', ')} ms CPU`,
      );
      replays.push(r);
    }
  }
  const first = replays[0]!;
  const perTask = (s: Setting) =>
    summarise(replays.filter((r) => r.setting === s).flatMap((r) => r.cpuMs.map((c) => (c * 1000) / r.workflowTasks)));
  const wall = (s: Setting) => summarise(replays.filter((r) => r.setting === s).flatMap((r) => r.wallMs));
  const on = perTask('on');
  const off = perTask('off');
  const rows = SETTINGS.map((s) => {
    const cpu = perTask(s);
    const w = wall(s);
    return [s, cpu.n, cpu.p50.toFixed(0), cpu.min.toFixed(0), cpu.max.toFixed(0), w.p50.toFixed(0)];
  });
  const saving = (1 - off.p50 / on.p50) * 100;
  const report = `# Workflow stack traces: what they cost a workflow worker

Generated by \`npm run bench:stack-traces\` (bench/stack-traces.ts) on ${new Date().toISOString()}.

## Machine

${machineTable(machine, 'none (replay only)', loadAverage())}

## Method

Each of the ${first.histories} recorded histories of the end-to-end scenarios (test/histories: ${first.workflowTasks}
workflow tasks of call and transfer workflows) replayed by the workflow code, in a process of its own for each setting
(one warm-up replay, then ${times} measured), ${rounds} round${rounds > 1 ? 's' : ''} with the settings alternating.
CPU is the process's (user + system, all threads: the SDK's core and its workflow thread), per workflow task replayed.
\`on\`: the SDK's own behaviour, a stack captured and source-mapped for every promise a workflow creates (the Temporal
UI's Stack Trace tab); \`off\`: Handoff's default (\`WORKFLOW_STACK_TRACES=false\`, the SDK patched in patches/).

## Results

${table(['stack traces', 'replays', 'CPU per workflow task p50 (µs)', 'min', 'max', 'wall per replay of all, p50 (ms)'], rows)}

Off saves **${saving.toFixed(0)} %** of the CPU per workflow task (p50 ${on.p50.toFixed(0)} → ${off.p50.toFixed(0)} µs).
`;
  fs.writeFileSync(values.out, report);
  console.log(
    `stack traces: ${on.p50.toFixed(0)} µs CPU per workflow task on, ${off.p50.toFixed(0)} off (${saving.toFixed(0)} % less)`,
  );
}

runAsScript(import.meta.url, () => (process.argv[2] === '--child' ? child(Number(process.argv[3] ?? 2)) : main()));
