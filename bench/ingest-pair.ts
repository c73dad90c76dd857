// `npx tsx bench/ingest-pair.ts`: what a call costs in each way of running call workflows (CALL_WORKFLOWS per_call and
// on_demand), and what the second ingest of an HA pair adds. Both ingests of a pair deliver every event and the
// workflows drop the second copy, so each copy is still a signal in the workflow's history (and may be a workflow
// task). For each mode this places the benchmark's plain and transferred calls with one ingest on the node, then with
// two, and counts from the histories (bench/cost.ts). Writes bench/RESULTS-ingest-pair.md. A benchmark, not a test:
// run it on a quiet machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, repoRoot } from '../config/index.ts';
import { isTemporalConnectionVariable } from '../config/temporal.ts';
import {
  findTemporalCli,
  startDevServer,
  waitForTemporal,
  type DevServer,
} from '../scripts/lib/temporal-dev-server.ts';
import { startIngest, type Ingest } from '../workers/ingest/index.ts';
import { plainCall, transferredCall, Timeline, type CostCall } from './calls.ts';
import { startBenchEngine } from './engine.ts';
import { actionsOf, countHistory, totalOf, type HistoryCount } from './cost.ts';
import { table } from './stats.ts';

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '3' },
    /** One mode only (per_call or on_demand); both by default. */
    'call-workflows': { type: 'string' },
    out: { type: 'string', default: path.join(repoRoot, 'bench', 'RESULTS-ingest-pair.md') },
  },
});
const calls = Number(flags.calls);
if (!Number.isInteger(calls) || calls < 1 || calls > 50) throw new Error('--calls: 1..50');

const MODES = ['per_call', 'on_demand'] as const;
type Mode = (typeof MODES)[number];
const modes = MODES.filter((m) => !flags['call-workflows'] || flags['call-workflows'] === m);
if (!modes.length) throw new Error(`--call-workflows: ${MODES.join(' or ')}`);

interface Row {
  mode: Mode;
  ingests: number;
  kind: CostCall['kind'];
  totals: HistoryCount[];
  ingestSignals: number[];
}

const log = (line: string) => console.log(`[ingest-pair ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
const t0 = Date.now();

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-ingest-pair-'));
  const config = loadConfig();
  let server: DevServer | undefined;
  let address = config.TEMPORAL_ADDRESS;
  if (!address) {
    for (const name of Object.keys(process.env)) if (isTemporalConnectionVariable(name)) delete process.env[name];
    server = await startDevServer({
      cli: findTemporalCli(process.env.TEMPORAL_CLI),
      dbFile: path.join(tmp, 'temporal.sqlite'),
      logFile: path.join(tmp, 'temporal.log'),
      fastTimers: true,
    });
    address = server.address;
    await waitForTemporal(address);
  }
  process.env.TEMPORAL_ADDRESS = address;
  const rows: Row[] = [];
  try {
    for (const mode of modes) rows.push(...(await measure(mode)));
  } finally {
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const mean = (xs: number[]) => (xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)).toFixed(1);
  const head = [
    'call workflows',
    'ingests',
    'call',
    'ingest signals sent',
    'workflows',
    'signals in histories',
    'workflow tasks',
    'SA upserts',
    'timers',
    'activities',
    'markers',
    'history events',
    'actions',
  ];
  const of = (r: Row, f: (c: HistoryCount) => number) => mean(r.totals.map(f));
  const body = rows.map((r) => [
    r.mode,
    r.ingests,
    r.kind,
    mean(r.ingestSignals),
    of(r, (c) => c.starts),
    of(r, (c) => c.signals),
    of(r, (c) => c.workflowTasks),
    of(r, (c) => c.upserts),
    of(r, (c) => c.timers),
    of(r, (c) => c.activities),
    of(r, (c) => c.markers),
    of(r, (c) => c.events),
    of(r, actionsOf),
  ]);
  const text = table(head, body);
  console.log(`\n${text}`);
  const markdown = [
    '# What a call costs: per call or on demand, one ingest per switch or a pair',
    '',
    `Written by \`npx tsx bench/ingest-pair.ts\` on ${new Date().toISOString().slice(0, 10)}, ${os.availableParallelism()} cores, ` +
      `load average ${os.loadavg()[0]!.toFixed(1)} at the end (read the figures for what they count, not for speed). ` +
      `Means over ${calls} calls of each kind, one at a time; each call's workflows counted from their histories ` +
      "(bench/cost.ts): all legs' call workflows, and for a transferred call its transfer and the target's call " +
      '(on demand, those that were started). ' +
      'Actions: runs started, signals and Updates received, search-attribute upserts (with the SDK’s own ' +
      'TemporalChangeVersion upsert of each patch marker), activities and timers (bench/cost.ts `actionsOf`); the ' +
      'patch markers themselves are counted apart.',
    '',
    text,
    '',
  ].join('\n');
  fs.writeFileSync(flags.out, markdown);
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
}

/** One mode's rows: its calls with one ingest, then with a pair. */
async function measure(mode: Mode): Promise<Row[]> {
  const e = await startBenchEngine({ DIGIT_TIMEOUT_MS: '300', CALL_WORKFLOWS: mode });
  let second: Ingest | undefined;
  const rows: Row[] = [];
  try {
    const tl = new Timeline(e);
    const opts = { digitTimeoutMs: 300, thinkMs: 400 };
    // Warm up, uncounted.
    await plainCall(tl, 100);
    for (const ingests of [1, 2]) {
      if (ingests === 2) {
        second = await startIngest({
          node: e.node,
          client: e.client,
          store: e.store,
          config: e.config,
          taskQueue: e.config.WORKFLOW_TASK_QUEUE,
          ...(mode === 'on_demand'
            ? {
                onDemand: {
                  metaflows: (account, device, user) => e.store.effectiveMetaflows(account, device, user),
                  cacheMs: e.config.METAFLOW_CACHE_MS,
                },
              }
            : {}),
        });
        await second.ready();
      }
      for (const kind of ['plain', 'transferred'] as const) {
        const row: Row = { mode, ingests, kind, totals: [], ingestSignals: [] };
        for (let i = 0; i < calls; i++) {
          const before = second?.stats().signalsSent ?? 0;
          const call = kind === 'plain' ? await plainCall(tl, opts.thinkMs) : await transferredCall(tl, opts);
          await second?.idle();
          const counts: HistoryCount[] = [];
          for (const id of call.workflowIds) counts.push(await countHistory(e.client, id));
          row.totals.push(totalOf(kind, counts));
          row.ingestSignals.push(call.ingestSignals + (second ? second.stats().signalsSent - before : 0));
        }
        rows.push(row);
        log(`${mode}, ${ingests} ingest(s), ${kind}: ${calls} calls`);
      }
    }
  } finally {
    await second?.stop();
    await e.stop();
  }
  return rows;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
