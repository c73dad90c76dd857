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
  FAST_TIMER_SHIFT_MS,
  findTemporalCli,
  freePort,
  startDevServer,
  waitForTemporal,
  type DevServer,
} from '../scripts/lib/temporal-dev-server.ts';
import type { Ingest } from '../workers/ingest/index.ts';
import { startPairIngest } from '../test/support/engine.ts';
import { plainCall, sleep, transferredCall, Timeline, type CostCall } from './calls.ts';
import { startBenchEngine } from './engine.ts';
import { actionsOf, countHistory, totalOf, type HistoryCount } from './cost.ts';
import {
  callWork,
  difference,
  meanWork,
  readServer,
  seriesOf,
  totals,
  WORK_KINDS,
  type ServerReading,
  type ServerTotals,
} from './server-work.ts';
import { table } from './stats.ts';

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '3' },
    /** One mode only (per_call or on_demand); both by default. */
    'call-workflows': { type: 'string' },
    /** The engine's ingest holds a code's presses (INGEST_CODE_HOLD): `on` (default) or `off`. */
    'code-hold': { type: 'string', default: 'on' },
    out: { type: 'string', default: path.join(repoRoot, 'bench', 'RESULTS-ingest-pair.md') },
  },
});
const calls = Number(flags.calls);
if (flags['code-hold'] !== 'on' && flags['code-hold'] !== 'off') throw new Error('--code-hold: on or off');
const codeHold = flags['code-hold'] === 'on';
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
  /** The Temporal server's own work for each call (bench/server-work.ts); empty on a server whose metrics are not ours. */
  server: ServerReading[];
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
      metricsPort: await freePort(),
    });
    address = server.address;
    await waitForTemporal(address);
  }
  process.env.TEMPORAL_ADDRESS = address;
  const rows: Row[] = [];
  try {
    for (const mode of modes) rows.push(...(await measure(mode, server?.metricsUrl)));
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
    'frontend requests',
    'internal requests',
    'persistence writes',
    'persistence reads',
  ];
  // The mean, and the calls' range where they differ. With two ingests each batches a leg's events on its own clock
  // and whichever copy of a batch comes first is the one applied: a split batch is one more signal, and, when it is
  // the first copy, perhaps one more upsert (a workflow started from a CREATE without its ANSWER upserts the answer).
  const spread = (xs: number[]) => {
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    return lo === hi ? mean(xs) : `${mean(xs)} (${lo}–${hi})`;
  };
  const of = (r: Row, f: (c: HistoryCount) => number) => spread(r.totals.map(f));
  const work = (r: Row, k: keyof ServerTotals) => (r.server.length ? mean(r.server.map((w) => totals(w)[k])) : '—');
  const body = rows.map((r) => [
    r.mode,
    r.ingests,
    r.kind,
    spread(r.ingestSignals),
    of(r, (c) => c.starts),
    of(r, (c) => c.signals),
    of(r, (c) => c.workflowTasks),
    of(r, (c) => c.upserts),
    of(r, (c) => c.timers),
    of(r, (c) => c.activities),
    of(r, (c) => c.markers),
    of(r, (c) => c.events),
    of(r, actionsOf),
    work(r, 'frontend'),
    work(r, 'internal'),
    work(r, 'persistenceWrites'),
    work(r, 'persistenceReads'),
  ]);
  const text = table(head, body);
  const detail = operationsTable(rows.filter((r) => r.server.length && r.totals[0]?.starts));
  console.log(`\n${text}`);
  const markdown = [
    '# What a call costs: per call or on demand, one ingest per switch or a pair',
    '',
    `Written by \`npx tsx bench/ingest-pair.ts\` on ${new Date().toISOString().slice(0, 10)}, ${os.availableParallelism()} cores, ` +
      `the engine's ingest ${codeHold ? 'holding a code’s presses (INGEST_CODE_HOLD=true, both ingests of the pair)' : 'sending every press at once (--code-hold off)'}, ` +
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
    "## The Temporal server's own work",
    '',
    "The last four columns above, and the table below, are the dev server's own Prometheus counters " +
      '(`service_requests`, `persistence_requests`, by service and operation; its `temporal_system` namespace left ' +
      "out), read before each call and again a second after its last history was read, less the same server's counts " +
      'over as long again right after, idle (bench/server-work.ts). Frontend requests are what the SDKs asked ' +
      '(signals, starts, polls that returned a task, task completions); internal requests, what its services asked ' +
      "each other; persistence writes, the operations that change the database (its shards' mutable state and " +
      "history, matching's task queues). The benchmark's own reads (its waits for a workflow's result, its lists, " +
      "describes and history reads) are left out of the requests, and with them the engine's one describe per " +
      "transfer (its resolve's check that the transferee's call workflow runs); the persistence reads they cause " +
      'are not told apart, so the reads are an upper bound. A dev server runs every service in one process on SQLite: a cluster ' +
      'makes the same requests and writes, over the network and to its own database.',
    '',
    ...(detail ? ['Per call, by operation (the rows above with workflows, in order):', '', detail, ''] : []),
  ].join('\n');
  fs.writeFileSync(flags.out, markdown);
  log(`wrote ${path.relative(process.cwd(), flags.out)}`);
}

/**
 * Per operation, the mean count per call of each row given (one column each): the requests of each service, then the
 * persistence operations of each, writes first.
 */
function operationsTable(rows: readonly Row[]): string | undefined {
  if (!rows.length) return undefined;
  const means = rows.map((r) => meanWork(r.server));
  const keys = [...new Set(means.flatMap((m) => [...m.keys()]))];
  const order = (key: string) => {
    const { kind, service, operation } = seriesOf(key);
    return `${WORK_KINDS.indexOf(kind)} ${service === 'frontend' ? 0 : 1}${service} ${operation}`;
  };
  keys.sort((a, b) => order(a).localeCompare(order(b)));
  const head = ['kind', 'service', 'operation', ...rows.map((r) => `${r.mode}, ${r.ingests}, ${r.kind}`)];
  const body = keys
    .filter((k) => means.some((m) => (m.get(k) ?? 0) >= 0.5))
    .map((k) => {
      const { kind, service, operation } = seriesOf(k);
      return [kind, service, operation, ...means.map((m) => (m.get(k) ?? 0).toFixed(1))];
    });
  return table(head, body);
}

/** After a call's last history is read, before the server's work for it is read. */
const SETTLE_MS = 1000;

/** One mode's rows: its calls with one ingest, then with a pair. */
async function measure(mode: Mode, metricsUrl: string | undefined): Promise<Row[]> {
  const e = await startBenchEngine({
    DIGIT_TIMEOUT_MS: '300',
    CALL_WORKFLOWS: mode,
    // The engine's ingest holds a code's presses (README, Feature codes) unless told not to; so does the pair's second,
    // started below, as a node worker of the pair would.
    INGEST_CODE_HOLD: String(codeHold),
    TEMPORAL_TIMER_SHIFT_MS: String(FAST_TIMER_SHIFT_MS),
  });
  let second: Ingest | undefined;
  const rows: Row[] = [];
  try {
    const tl = new Timeline(e);
    const opts = { digitTimeoutMs: 300, thinkMs: 400 };
    // Warm up, uncounted: a transferred call too, so that every task queue a call uses (the node's activities, the
    // workers' sticky queues) is loaded by the server before the first counted call, which would otherwise pay for it.
    await plainCall(tl, 100);
    await transferredCall(tl, opts);
    await sleep(3 * SETTLE_MS);
    for (const ingests of [1, 2]) {
      if (ingests === 2) {
        // It reads a leg's codes through its own ESL connections, as its node worker would.
        second = await startPairIngest(e, {
          readsCodes: codeHold,
          ...(mode === 'on_demand'
            ? {
                onDemand: {
                  metaflows: (account, device, user) => e.store.effectiveMetaflows(account, device, user),
                  cacheMs: e.config.METAFLOW_CACHE_MS,
                },
              }
            : {}),
        });
      }
      for (const kind of ['plain', 'transferred'] as const) {
        const row: Row = { mode, ingests, kind, totals: [], ingestSignals: [], server: [] };
        for (let i = 0; i < calls; i++) {
          const before = second?.stats().signalsSent ?? 0;
          const start = Date.now();
          const serverBefore = metricsUrl ? await readServer(metricsUrl) : undefined;
          const call = kind === 'plain' ? await plainCall(tl, opts.thinkMs) : await transferredCall(tl, opts);
          await second?.idle();
          const counts: HistoryCount[] = [];
          for (const id of call.workflowIds) counts.push(await countHistory(e.client, id));
          row.totals.push(totalOf(kind, counts));
          row.ingestSignals.push(call.ingestSignals + (second ? second.stats().signalsSent - before : 0));
          if (metricsUrl && serverBefore) {
            // The server's own follow-up of a closed workflow (its visibility record, its transfer tasks) settles.
            await sleep(SETTLE_MS);
            const after = await readServer(metricsUrl);
            await sleep(Date.now() - start);
            const idle = await readServer(metricsUrl);
            row.server.push(callWork(difference(after, serverBefore), difference(idle, after)));
          }
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
