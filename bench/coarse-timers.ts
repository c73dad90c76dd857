// `npm run bench:coarse-timers`: what a caller waits after the last key of `*22600` on a Temporal cluster with the
// default timer settings (`history.timerProcessorMaxTimeShift` 1 s, which Temporal Cloud does not let you lower): a
// timer shorter than 1 s fires about 1 s after it starts. The engine's default digit timeout (800 ms), keys pressed
// at a few human paces, calls one at a time; beside it, the same calls on a dev server with the benchmark's precise
// timers (100 ms shift). Timed from the code's last DTMF event to the transferee's PLAYBACK_START, nothing subtracted;
// the switch's own delay from uuid_broadcast to PLAYBACK_START (the simulator's, about 200 ms) is in both. Writes
// bench/RESULTS-coarse-timers.md (or --out). A benchmark with figures: nothing fails on a slow number.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { repoRoot } from '../config/index.ts';
import { callWorkflowId } from '../contracts/ids.ts';
import { FAST_TIMER_SHIFT_MS, findTemporalCli, startDevServer } from '../scripts/lib/temporal-dev-server.ts';
import { Timeline } from './calls.ts';
import { timersFired } from './cost.ts';
import { codeToMusic } from './early.ts';
import { startBenchEngine } from './engine.ts';
import { intOption, runAsScript } from './options.ts';
import { ms, summarise, table } from './stats.ts';

const USAGE = 'npm run bench:coarse-timers -- [--calls 8] [--gaps 100,200,300] [--out FILE]';
const DIGIT_TIMEOUT_MS = 800;
const THINK_MS = 400;

interface Row {
  timers: 'default (1 s shift)' | 'precise (100 ms shift)';
  gapMs: number;
  samples: number[];
  failures: string[];
  /** The transferor's call workflow's timers that fired: asked for, and how late (its digit timers). */
  fired: { askedMs: number; lateMs: number }[];
  /** Timers started per call by the transferor's call workflow (the code's, then the takeback's). */
  timersPerCall: number[];
}

/** One dev server, one engine: `calls` codes at each gap, one at a time. */
async function measure(fastTimers: boolean, gaps: number[], calls: number): Promise<Row[]> {
  const server = await startDevServer({ cli: findTemporalCli(process.env.TEMPORAL_CLI), fastTimers });
  process.env.TEMPORAL_ADDRESS = server.address;
  const e = await startBenchEngine({
    DIGIT_TIMEOUT_MS: String(DIGIT_TIMEOUT_MS),
    ...(fastTimers ? { TEMPORAL_TIMER_SHIFT_MS: String(FAST_TIMER_SHIFT_MS) } : {}),
  });
  const tl = new Timeline(e);
  const timers = fastTimers ? 'precise (100 ms shift)' : 'default (1 s shift)';
  try {
    // A new workflow worker's first transfer runs cold: one, uncounted.
    await codeToMusic(tl, '*22600', { thinkMs: THINK_MS, gapMs: gaps[0]! }).catch(() => undefined);
    const rows: Row[] = [];
    for (const gapMs of gaps) {
      const row: Row = { timers, gapMs, samples: [], failures: [], fired: [], timersPerCall: [] };
      rows.push(row);
      for (let i = 0; i < calls; i++) {
        await codeToMusic(tl, '*22600', { thinkMs: THINK_MS, gapMs }).then(
          async ({ sample, transferor }) => {
            row.samples.push(sample);
            const fired = await timersFired(e.client, callWorkflowId(transferor));
            row.fired.push(...fired);
            row.timersPerCall.push(await timersStarted(e.client, callWorkflowId(transferor)));
          },
          (err: unknown) => row.failures.push(String(err)),
        );
      }
    }
    return rows;
  } finally {
    await e.stop();
    await server.stop();
  }
}

/** How many timers the workflow started (its history's TimerStarted events). */
async function timersStarted(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((ev) => ev.timerStartedEventAttributes).length;
}

export function report(rows: Row[], calls: number): string {
  const body = table(
    [
      'timers',
      'keys apart (ms)',
      'n',
      'p50',
      'p90',
      'max',
      'failed',
      'p50 beyond the timeout and the switch (ms)',
      "transferor's timers per call, mean",
    ],
    rows.map((r) => {
      const s = summarise(r.samples);
      const timers = r.timersPerCall.reduce((n, t) => n + t, 0) / Math.max(r.timersPerCall.length, 1);
      return [
        r.timers,
        r.gapMs,
        s.n,
        ms(s.p50),
        ms(s.p90),
        ms(s.max),
        r.failures.length,
        ms(s.p50 - DIGIT_TIMEOUT_MS - 200),
        timers.toFixed(1),
      ];
    }),
  );
  const settings = [...new Set(rows.map((r) => r.timers))];
  const lateness = table(
    ['timers', 'timer asked for', 'n', 'fired later than asked, p50 (ms)', 'max (ms)'],
    settings.flatMap((timers) => {
      const fired = rows.filter((r) => r.timers === timers).flatMap((r) => r.fired);
      const kinds: [string, (askedMs: number) => boolean][] = [
        ['under 1 s', (askedMs) => askedMs < 1000],
        ['1 s or more', (askedMs) => askedMs >= 1000],
      ];
      return kinds.map(([what, which]) => {
        const s = summarise(fired.filter((f) => which(f.askedMs)).map((f) => f.lateMs));
        return [timers, what, s.n, ms(s.p50), ms(s.max)];
      });
    }),
  );
  const failures = rows.flatMap((r) => r.failures.map((f) => `- ${r.timers}, ${r.gapMs} ms: ${f}`));
  return `# Step (a) on a cluster's default timers

Generated by \`npm run bench:coarse-timers\` (bench/coarse-timers.ts) on ${new Date().toISOString()}. ${calls}
calls per row, one at a time: Alice presses \`*22600\` with the keys the given time apart, Bob hears music, Alice takes
him back with \`*1\`. \`DIGIT_TIMEOUT_MS=${DIGIT_TIMEOUT_MS}\` (the default). Timed from the code's last DTMF event to
Bob's PLAYBACK_START, nothing subtracted: the digit timeout and the simulator's ~200 ms from uuid_broadcast to
PLAYBACK_START are in every figure; the next-to-last column takes both off.

${body}

The transferor's call workflows' timers that fired (the code's digit timers and the takeback's), from their histories
(TimerFired − TimerStarted − the duration asked for; server event times):

${lateness}
${failures.length ? `\nFailed calls:\n${failures.join('\n')}\n` : ''}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '8' },
      gaps: { type: 'string', default: '100,200,300' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const calls = intOption('calls', values.calls, 1, 200);
  const gaps = (values.gaps ?? '').split(',').map((g) => intOption('gaps', g, 20, 700));
  const rows = [...(await measure(false, gaps, calls)), ...(await measure(true, gaps, calls))];
  const out = values.out ?? path.join(repoRoot, 'bench', 'RESULTS-coarse-timers.md');
  fs.writeFileSync(out, report(rows, calls));
  console.log(fs.readFileSync(out, 'utf8'));
}

runAsScript(import.meta.url, main);
