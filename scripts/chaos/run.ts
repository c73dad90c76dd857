// `npm run chaos`: transfers under SIGKILL. Every role runs as its own OS process (bin/handoff.ts), the simulator
// as another, the Temporal dev server on a database file; scenarios run 2–4 at a time while processes are killed at
// random and at chosen steps of a transfer, and the switch alone says whether every caller got the outcome. Two
// rounds: one node worker (as a single-ingest deployment), and the HA pair (two node workers on one switch, two
// workflow workers). Writes a results file and ends with one line of figures. See scripts/chaos/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../../config/index.ts';
import { describeMachine } from '../../bench/machine.ts';
import { findTemporalCli } from '../lib/temporal-dev-server.ts';
import { writeWorkflowBundle } from '../../workers/workflow-worker.ts';
import type { Role } from '../../test/cluster/processes.ts';
import { runRound, type RoundResult, type RoundSpec } from '../../test/cluster/round.ts';
import { SCENARIO_KINDS, TRANSFER_KINDS, type ScenarioKind } from '../../test/cluster/scenarios.ts';
import { figures, lastLine, passed, report } from './report.ts';

const { values: flags } = parseArgs({
  options: {
    scenarios: { type: 'string' },
    seed: { type: 'string' },
    duration: { type: 'string' },
    concurrency: { type: 'string', default: '2-4' },
    rounds: { type: 'string', default: 'single,ha' },
    'kill-every': { type: 'string', default: '5-15' },
    'restart-after': { type: 'string', default: '1-3' },
    aim: { type: 'string' },
    kinds: { type: 'string' },
    only: { type: 'string' },
    kills: { type: 'string' },
    settle: { type: 'string', default: '90' },
    store: { type: 'string', default: 'sqlite' },
    env: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const USAGE = `npm run chaos -- [--smoke] [--scenarios 100] [--seed N] [--duration 1200] [--concurrency 2-4]
  [--rounds single,ha] [--kill-every 5-15] [--restart-after 1-3] [--aim 0.5] [--kinds attended,partial,...]
  [--kills random|scheduled|none] [--only 3,17] [--settle 90] [--store sqlite|postgres] [--env NAME=VALUE ...]
  [--out FILE]`;

if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

function fail(message: string): never {
  console.error(`chaos: ${message}\n${USAGE}`);
  process.exit(2);
}

function int(name: string, v: string | undefined, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name}: expected an integer in ${min}..${max}, got ${v}`);
  return n;
}

function range(name: string, v: string, min: number, max: number): [number, number] {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(v);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2] ?? m?.[1]);
  if (!m || lo < min || hi > max || lo > hi) fail(`--${name}: expected LOW-HIGH within ${min}..${max}, got ${v}`);
  return [lo, hi];
}

const smoke = flags.smoke;
const seed = int('seed', flags.seed, Math.floor(Math.random() * 1e6), 0, 2 ** 31 - 1);
const kinds = (flags.kinds?.split(',') ?? [
  ...(smoke ? ['attended', 'takeback-consulting', 'rest-attended', 'partial'] : TRANSFER_KINDS),
]) as ScenarioKind[];
for (const k of kinds)
  if (!SCENARIO_KINDS.includes(k)) fail(`--kinds: unknown scenario ${k} (${SCENARIO_KINDS.join(', ')})`);
const roundNames = flags.rounds.split(',');
for (const r of roundNames) if (r !== 'single' && r !== 'ha') fail(`--rounds: expected single and/or ha, got ${r}`);
const killMode = (flags.kills ?? (smoke ? 'scheduled' : 'random')) as RoundSpec['kills'];
if (!['random', 'scheduled', 'none'].includes(killMode)) fail(`--kills: expected random, scheduled or none`);
const env: Record<string, string> = {};
for (const pair of flags.env) {
  const m = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(pair);
  if (!m) fail(`--env: expected NAME=VALUE, got ${pair}`);
  env[m[1]!] = m[2]!;
}
const store: 'sqlite' | 'postgres' =
  flags.store === 'sqlite' || flags.store === 'postgres'
    ? flags.store
    : fail(`--store: expected sqlite or postgres, got ${flags.store}`);
const only = flags.only ? new Set(flags.only.split(',').map((s) => int('only', s, 0, 1, 100_000))) : undefined;

const settings = {
  seed,
  smoke,
  scenarios: int('scenarios', flags.scenarios, smoke ? 4 : 100, 1, 100_000),
  durationS: int('duration', flags.duration, smoke ? 60 : 1800, 10, 86_400),
  concurrency: range('concurrency', flags.concurrency, 1, 50),
  killEveryS: range('kill-every', flags['kill-every'], 0.5, 3600),
  restartAfterS: range('restart-after', flags['restart-after'], 0, 600),
  aim: Number(flags.aim ?? (smoke ? 0 : 0.5)),
  kinds,
  kills: killMode,
  settleS: int('settle', flags.settle, 90, 5, 3600),
  env,
  store,
  rounds: roundNames,
};
if (!(settings.aim >= 0 && settings.aim <= 1)) fail('--aim: expected a share between 0 and 1');

const runDir = path.join(repoRoot, 'data', 'chaos', `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${seed}`);
fs.mkdirSync(runDir, { recursive: true });
const out =
  flags.out ?? (smoke || only ? path.join(runDir, 'RESULTS.md') : path.join(repoRoot, 'bench', 'RESULTS-chaos.md'));
const t0 = Date.now();
const log = (line: string) => console.log(`[chaos ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);

const KILLED: Role[] = ['workflows', 'nodes', 'api', 'temporal'];

function roundSpec(name: 'single' | 'ha'): RoundSpec {
  const ha = name === 'ha';
  const dir = path.join(runDir, name);
  const jsonl = path.join(dir, 'scenarios.jsonl');
  return {
    name,
    dir,
    cluster: {
      nodes: [{ name: 'fs1', workers: ha ? 2 : 1 }],
      workflowWorkers: ha ? 2 : 1,
      apiProcesses: 1,
      env: settings.env,
      store: settings.store,
      workflowBundle,
    },
    // Both rounds draw the same scenarios.
    seed,
    scenarios: settings.scenarios,
    durationMs: settings.durationS * 1000,
    concurrency: settings.concurrency,
    kinds: settings.kinds,
    aimRatio: settings.aim,
    kills: settings.kills,
    scheduledGapMs: 5000,
    killOptions: {
      restartAfterMs: [settings.restartAfterS[0] * 1000, settings.restartAfterS[1] * 1000],
      everyMs: [settings.killEveryS[0] * 1000, settings.killEveryS[1] * 1000],
      roles: KILLED,
    },
    only,
    settleMs: settings.settleS * 1000,
    effectTimeoutMs: 30_000,
    outcomeTimeoutMs: 45_000,
    log,
    onResult: (r) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.appendFileSync(jsonl, `${JSON.stringify(r)}\n`);
    },
  };
}

// One workflow bundle for every round: a restarted workflow worker loads it (WORKFLOW_BUNDLE) instead of bundling.
const workflowBundle = path.join(runDir, 'workflows-bundle.js');
await writeWorkflowBundle(workflowBundle);

const machine = describeMachine(findTemporalCli(process.env.TEMPORAL_CLI));
const rounds: RoundResult[] = [];
let interrupted = false;
const onSignal = () => {
  interrupted = true;
  log('interrupted: stopping every process');
  // The supervisor's exit handler SIGKILLs what is left.
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

log(`seed ${seed}; run directory ${path.relative(repoRoot, runDir)}`);
for (const name of settings.rounds as ('single' | 'ha')[]) {
  if (interrupted) break;
  rounds.push(await runRound(roundSpec(name)));
  const f = figures(rounds.at(-1)!);
  log(`${name}: ${lastLine([rounds.at(-1)!])}${f.failed ? `; ${f.failed} failed otherwise` : ''}`);
}

const text = report({ machine, settings, rounds, runDir, out, startedAt: t0, argv: process.argv.slice(2) });
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, text);
log(`results: ${path.relative(repoRoot, out)}; logs: ${path.relative(repoRoot, runDir)}`);
console.log(lastLine(rounds));
process.exit(passed(rounds) ? 0 : 1);
