// `npm run test:cluster`: Handoff as it runs at scale, every role an OS process of its own configured by environment
// only, and one process of each role SIGKILLed and restarted while transfers run. One Temporal dev server, one
// PostgreSQL store shared by every process, two simulated FreeSWITCH nodes, per node two node workers (two ingests on
// one switch), two workflow workers and two API processes. Calls on both nodes; transfers by feature code and over
// REST through either API process. Passes when every transfer reached its outcome with nothing lost, duplicated,
// stranded or left running, no process crashed, the API processes share the login throttle and token revocations
// through the store, and both list exactly the channels up on the switches. Ends with one line:
//   cluster: N transfers on 2 nodes, L lost, D duplicated, K kills
// (lost: transfers that did not reach their outcome, whatever the reason; duplicated: target legs dialled twice).
// Built on the chaos harness (test/cluster/, scripts/chaos/README.md); `.ci/run` runs it after `npm test`.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../config/index.ts';
import { writeWorkflowBundle } from '../workers/workflow-worker.ts';
import {
  checkChannelLists,
  checkLoginThrottle,
  checkTokenRevocation,
  type CheckResult,
} from '../test/cluster/checks.ts';
import { runRound, type RoundResult } from '../test/cluster/round.ts';
import type { ScenarioKind } from '../test/cluster/scenarios.ts';
import { startPostgresServer } from './lib/postgres-server.ts';

const { values: flags } = parseArgs({
  options: {
    seed: { type: 'string', default: '12' },
    scenarios: { type: 'string', default: '14' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log('npm run test:cluster -- [--seed 12] [--scenarios 14]');
  process.exit(0);
}
const seed = Number(flags.seed);
const scenarios = Number(flags.scenarios);
if (!Number.isInteger(seed) || seed < 0 || !Number.isInteger(scenarios) || scenarios < 1) {
  console.error('test:cluster: --seed and --scenarios take whole numbers (scenarios at least 1)');
  process.exit(2);
}

/**
 * Taken in turn, so that with two nodes every kind runs on both (an odd count: scenario n runs on node n mod 2).
 * Feature codes and REST; each outcome: completed, taken back, given back. No `no-answer`: it waits out the ring time.
 */
const KINDS: readonly ScenarioKind[] = [
  'attended',
  'rest-attended',
  'takeback-consulting',
  'rest-cancel',
  'partial',
  'busy',
  'takeback-ringing',
];
/** Failed logins per client before the lockout; low, so the check is quick. */
const AUTH_MAX_FAILURES = 4;
/** No run may hold CI longer than this. */
const DEADLINE_MS = 9 * 60_000;

const t0 = Date.now();
const log = (line: string) => console.log(`[cluster ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
const runDir = path.join(repoRoot, 'data', 'cluster', `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${seed}`);
fs.mkdirSync(runDir, { recursive: true });

const deadline = setTimeout(() => {
  log(`not done after ${DEADLINE_MS / 60_000} minutes: stopping (logs in ${path.relative(repoRoot, runDir)})`);
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The supervisor's and the PostgreSQL server's exit handlers kill what is left.
  process.once(signal, () => process.exit(130));
}

log(`seed ${seed}; logs in ${path.relative(repoRoot, runDir)}`);
const [postgres, workflowBundle] = await Promise.all([
  startPostgresServer({ fast: true, logFile: path.join(runDir, 'postgres.log') }),
  (async () => {
    const file = path.join(runDir, 'workflows-bundle.js');
    await writeWorkflowBundle(file);
    return file;
  })(),
]);
log(`postgresql on 127.0.0.1:${postgres.port}; workflow bundle built`);

const checks: CheckResult[] = [];
let round: RoundResult;
try {
  round = await runRound({
    name: 'cluster',
    dir: runDir,
    cluster: {
      nodes: [
        { name: 'fs1', workers: 2 },
        { name: 'fs2', workers: 2 },
      ],
      workflowWorkers: 2,
      apiProcesses: 2,
      workflowBundle,
      env: {
        DATABASE_URL: postgres.url,
        // The checks tell clients apart by X-Forwarded-For, as a load balancer in front of the APIs would.
        API_TRUSTED_PROXIES: '127.0.0.1',
        API_AUTH_MAX_FAILURES: String(AUTH_MAX_FAILURES),
      },
    },
    seed,
    scenarios,
    durationMs: 240_000,
    concurrency: [2, 4],
    kinds: KINDS,
    kindsInTurn: true,
    aimRatio: 0,
    kills: 'scheduled',
    scheduledGapMs: 6000,
    killOptions: { restartAfterMs: [1000, 2000], everyMs: [6000, 6000], roles: ['workflows', 'nodes', 'api'] },
    settleMs: 60_000,
    effectTimeoutMs: 30_000,
    outcomeTimeoutMs: 45_000,
    log,
    onResult: (r) => fs.appendFileSync(path.join(runDir, 'scenarios.jsonl'), `${JSON.stringify(r)}\n`),
    afterSettle: async ({ cluster, watchers }) => {
      const apis = cluster.apis.map((a) => a.url);
      const { accountId, apiKey } = cluster.demo;
      checks.push(await checkLoginThrottle(apis, apiKey, AUTH_MAX_FAILURES));
      checks.push(await checkTokenRevocation(apis, accountId, apiKey));
      checks.push(await checkChannelLists(apis, watchers, accountId, apiKey));
      for (const c of checks) log(`${c.ok ? 'ok' : 'FAILED'}: ${c.name}: ${c.detail}`);
    },
  });
} finally {
  await postgres.destroy();
}

const results = round.results;
const nodes = new Set(results.map((r) => r.plan.node));
const failed = results.filter((r) => r.verdict !== 'ok');
const duplicated = results.reduce((n, r) => n + r.duplicates, 0);
const crashes = round.processes.filter((p) => p.crashes > 0);
const killed = new Set(round.kills.map((k) => k.role));
const restsVia = new Set(results.flatMap((r) => r.presses.map((p) => p.via).filter(Boolean)));

const problems: string[] = [];
for (const r of failed) problems.push(`#${r.plan.id} ${r.plan.kind} on ${r.plan.node}: ${r.verdict} — ${r.detail}`);
for (const w of round.stuck) problems.push(`still running after the settling: ${w.workflowId} (${w.type})`);
if (round.stuckUnknown) problems.push(`visibility not readable at the end: ${round.stuckUnknown}`);
for (const [node, legs] of Object.entries(round.leftOnSwitch))
  problems.push(`left on ${node}: ${legs.map((l) => l.slice(0, 8)).join(' ')}`);
for (const p of crashes) problems.push(`${p.name} crashed ${p.crashes} time(s) (see logs/${p.name}.log)`);
for (const role of ['workflows', 'nodes', 'api'])
  if (!killed.has(role as never)) problems.push(`no ${role} process was killed`);
for (const k of round.kills) if (k.backAfterMs === undefined) problems.push(`${k.process}, killed, never came back`);
if (nodes.size < 2) problems.push(`transfers ran on ${nodes.size} node(s), not 2`);
if (restsVia.size < round.spec.cluster.apiProcesses)
  problems.push(`REST requests answered by ${restsVia.size} API process(es), not each of them`);
for (const c of checks) if (!c.ok) problems.push(`${c.name}: ${c.detail}`);
if (checks.length < 3) problems.push('the shared-state checks did not all run');

log(
  `${results.length} scenarios in ${((round.endedAt - round.startedAt) / 1000).toFixed(0)} s (cluster up in ` +
    `${(round.startupMs / 1000).toFixed(1)} s); kills: ` +
    round.kills.map((k) => `${k.process} back after ${k.backAfterMs ?? '?'} ms`).join(', '),
);
for (const p of problems) log(`FAILED: ${p}`);
console.log(
  `cluster: ${results.length} transfers on ${nodes.size} nodes, ${failed.length} lost, ` +
    `${duplicated} duplicated, ${round.kills.length} kills`,
);
process.exit(problems.length ? 1 : 0);
