// `npm run bench:hops`: where the engine's part of steps (a), (b) and (d) goes, hop by hop, with one call in flight
// (or `--concurrency`, as `npm run bench`'s control run places them). The control run's call (bench/calls.ts
// controlCall: a transfer taken back with *1, then one completed) is placed `--calls` times; each step starts at the
// switch's own timestamp of its event and is cut at the milestones its workflows' histories show (Temporal's event
// times) and the switch's replies (the engine's command journal), all on this machine's one clock.
// Beside it, the floor (one signal → one activity → one switch command) in the same run. Writes bench/RESULTS-hops.md
// (or --out). A benchmark with figures: nothing fails on a slow number.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { callWorkflowId, transferWorkflowId } from '../contracts/ids.ts';
import { takebackSignal, transferLegEventsSignal } from '../contracts/messages.ts';
import { isTemporalConnectionVariable } from '../config/temporal.ts';
import { FAST_TIMER_SHIFT_MS, findTemporalCli, startDevServer } from '../scripts/lib/temporal-dev-server.ts';
import { placeCall } from '../test/support/engine.ts';
import type { EslEvent } from '../test/support/esl-client.ts';
import { eventTime, eventType, type HistoryEvent } from './cost.ts';
import { controlCall, inLanes, is, pressedAgain, Timeline, transferredCall, type Samples } from './calls.ts';
import { startBenchEngine } from './engine.ts';
import { runFloor } from './floor.ts';
import { describeMachine, loadAverage, machineTable } from './machine.ts';
import { intOption, runAsScript } from './options.ts';
import { ms, summarise, table } from './stats.ts';

const USAGE = 'npm run bench:hops -- [--calls 20] [--concurrency 1] [--floor 40] [--out FILE]';
const DIGIT_TIMEOUT_MS = 300;
const THINK_MS = 400;

/** A workflow history event as this benchmark reads it: its time, its type and the signal's name when it is one. */
export interface HistoryMark {
  at: number;
  type: string;
  signal?: string;
  /** The activity's type, on ActivityTaskScheduled and ActivityTaskStarted. */
  activity?: string;
}

/**
 * A milestone of a step: the first history event of `type` (and signal name, activity type) in workflow `wf` at or
 * after the previous milestone, or the first time in `times` (the journal's switch replies) at or after it. With
 * `latest`, the last such event at or before the milestone after it instead, however early: what led to that milestone
 * (the timer whose task scheduled the resolve), which may have come before the step began.
 */
export type Milestone =
  | { wf: string; type: string | readonly string[]; signal?: string; activity?: string; latest?: boolean }
  | { times: readonly number[] };

/**
 * The step cut at its milestones: the time from each milestone to the next (ms), or undefined when one was not found.
 * Each milestone is looked for from the one before, so a workflow task already running when a signal came is not
 * taken for the one that saw it. A `latest` milestone that came before the previous one is a hop of 0: the code's
 * timer fired before the caller's last key plus the timeout when a later key moved its deadline and the task that saw
 * it fire began after that deadline; looked for after the step began, the next code's timer was taken for it.
 */
export function cut(
  start: number,
  milestones: readonly Milestone[],
  histories: ReadonlyMap<string, readonly HistoryMark[]>,
): number[] | undefined {
  const matches = (m: Milestone) => (e: HistoryMark) =>
    !('times' in m) &&
    (typeof m.type === 'string' ? e.type === m.type : m.type.includes(e.type)) &&
    (!m.signal || e.signal === m.signal) &&
    (!m.activity || e.activity === m.activity);
  const events = (m: Milestone): readonly HistoryMark[] => ('times' in m ? [] : (histories.get(m.wf) ?? []));
  const isLatest = (m: Milestone | undefined) => m !== undefined && !('times' in m) && m.latest === true;
  let prev = start;
  const hops: number[] = [];
  for (let i = 0; i < milestones.length;) {
    // A run of `latest` milestones is found backwards from the first milestone after it.
    let j = i;
    while (isLatest(milestones[j])) j++;
    const anchor = milestones[j];
    if (anchor === undefined) return undefined;
    const anchorAt =
      'times' in anchor
        ? anchor.times.find((t) => t >= prev)
        : events(anchor).find((e) => e.at >= prev && matches(anchor)(e))?.at;
    if (anchorAt === undefined) return undefined;
    const found: number[] = [];
    let before = anchorAt;
    for (let k = j - 1; k >= i; k--) {
      const m = milestones[k]!;
      const at = events(m).findLast((e) => e.at <= before && matches(m)(e))?.at;
      if (at === undefined) return undefined;
      found.unshift(at);
      before = at;
    }
    for (const at of [...found, anchorAt]) {
      hops.push(Math.max(0, at - prev));
      prev = Math.max(prev, at);
    }
    i = j + 1;
  }
  return hops;
}

/** The events of one run of a workflow (the latest when `runId` is not given), in order. */
async function historyMarks(client: Client, workflowId: string, runId?: string): Promise<HistoryMark[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const activities = new Map<string, string>();
  return (history.events ?? []).map((raw) => {
    const ev = raw as unknown as HistoryEvent;
    const type = eventType(ev);
    const attrs = (ev[`${type}EventAttributes`] ?? {}) as {
      signalName?: string;
      activityType?: { name?: string };
      scheduledEventId?: { toString(): string };
    };
    let activity: string | undefined;
    if (attrs.activityType?.name) {
      activity = attrs.activityType.name;
      activities.set(String(ev['eventId']), activity);
    } else if (type === 'activityTaskStarted') activity = activities.get(String(attrs.scheduledEventId));
    return {
      at: eventTime(ev),
      type,
      ...(attrs.signalName ? { signal: attrs.signalName } : {}),
      ...(activity ? { activity } : {}),
    };
  });
}

/** The runs of the transfers a call workflow started as its children, their events merged in time order. */
async function childRunMarks(client: Client, callId: string, transferId: string): Promise<HistoryMark[]> {
  const history = await client.workflow.getHandle(callWorkflowId(callId)).fetchHistory();
  const runs = (history.events ?? [])
    .map((ev) => ev.childWorkflowExecutionStartedEventAttributes?.workflowExecution)
    .filter((x) => x?.workflowId === transferId && x.runId)
    .map((x) => x!.runId!);
  const marks = (await Promise.all(runs.map((runId) => historyMarks(client, transferId, runId)))).flat();
  return marks.sort((a, b) => a.at - b.at);
}

interface Step {
  key: 'a' | 'b' | 'd';
  title: string;
  /** The milestones after the step's start, each with whether the floor's own path makes that hop too. */
  hops: { hop: string; floorHasIt: boolean }[];
  samples: number[][];
  /** How long after the switch's stamp the benchmark's phones received the step's first event (ms), per sample. */
  phonesLate: number[];
  /**
   * (d): how long after the switch's stamp the call workflow's takeback signal, the code's other way, reached the
   * transfer, per sample; and in how many samples the transfer had scheduled the takeback's activity before it.
   */
  otherWay?: { signalAt: number[]; before: number };
}

const beyondFloor = (hop: string) => ({ hop, floorHasIt: false });
const asFloor = (hop: string) => ({ hop, floorHasIt: true });

const STEPS: Step[] = [
  {
    key: 'a',
    title: '(a) last digit of *22600 + digit timeout → the resolve’s uuid_dump reply',
    hops: [
      beyondFloor('the code’s end reaches the call workflow: its held presses’ signal, or its digit timer fires'),
      asFloor('call workflow: its task starts'),
      asFloor('call workflow: task done, the resolve scheduled'),
      asFloor('activity: started on the node worker'),
      asFloor('switch: uuid_dump reply (the task’s way to the node worker included)'),
    ],
    samples: [],
    phonesLate: [],
  },
  {
    key: 'b',
    title: '(b) target’s CHANNEL_ANSWER → uuid_bridge transferor↔target reply',
    hops: [
      beyondFloor('ingest: the answer signalled to the transfer'),
      asFloor('transfer workflow: its task starts'),
      asFloor('transfer workflow: task done, the bridge scheduled'),
      asFloor('activity: started on the node worker'),
      asFloor('switch: uuid_break ×2, uuid_bridge reply (the task’s way to the node worker included)'),
    ],
    samples: [],
    phonesLate: [],
  },
  {
    key: 'd',
    title: '(d) last digit of *1 → uuid_kill target reply',
    otherWay: { signalAt: [], before: 0 },
    hops: [
      beyondFloor('ingest: the digit’s copy signalled to the transfer'),
      asFloor('transfer workflow: its task starts'),
      asFloor('transfer workflow: task done, the takeback’s activity scheduled'),
      asFloor('activity: started on the node worker'),
      asFloor('switch: uuid_kill reply (the task’s way to the node worker included)'),
    ],
    samples: [],
    phonesLate: [],
  },
];

/** When the switch stamped the event (its Event-Date-Timestamp, µs): the phones receive it a moment after the ingest. */
function switchTime(tl: Timeline, ev: EslEvent): number {
  const us = Number(ev.headers['Event-Date-Timestamp']);
  return Number.isFinite(us) && us > 0 ? us / 1000 : tl.at(ev);
}

/** A workflow's task that starts, ends with `activity` scheduled, and the activity's start on the node worker. */
function taskThenActivity(wf: string, activity: string): Milestone[] {
  return [
    { wf, type: 'workflowTaskStarted' },
    { wf, type: 'activityTaskScheduled', activity },
    { wf, type: 'activityTaskStarted', activity },
  ];
}

/**
 * Where the first transfer's code and its takeback end among a transferor's keys (their indexes), in the order the
 * control call presses them (`*22600`, `*1`, `*22600`). The phones press a code again when they split it where
 * nothing could have started (bench/calls.ts pressCode): the step starts at the last key of the code pressed whole
 * before the takeback, and the takeback's at the `1` of the first `*1`, not at fixed positions.
 */
export function codeAndTakebackEnds(keys: readonly string[]): { codeEnd?: number; takebackEnd?: number } {
  const typed = keys.join('');
  const takeback = typed.indexOf('*1');
  if (takeback < 0) return {};
  const code = typed.lastIndexOf('*22600', takeback);
  return { ...(code >= 0 ? { codeEnd: code + 5 } : {}), takebackEnd: takeback + 1 };
}

/** One control call's steps, cut at their milestones. */
type Cut = { hops: number[]; phonesLate: number; signalAt?: number; scheduledFirst?: boolean };

async function measureCall(tl: Timeline, client: Client): Promise<{ a?: Cut; b?: Cut; d?: Cut }> {
  const e = tl.e;
  const mark = tl.mark();
  const journalFrom = e.journal.entries.length;
  const transferors: string[] = [];
  const samples: Samples = { a: [], b: [], c: [], d: [] };
  await controlCall(tl, { digitTimeoutMs: DIGIT_TIMEOUT_MS, thinkMs: THINK_MS }, samples, transferors);
  const alice = transferors[0]!;
  const events = e.phones.events.slice(mark);
  const bob = events.find((ev) => is('CHANNEL_BRIDGE', alice)(ev))?.headers['Other-Leg-Unique-ID'];
  if (!bob) return {};
  const transferId = transferWorkflowId(alice, bob);
  const histories = new Map<string, HistoryMark[]>([
    ['call', await historyMarks(client, callWorkflowId(alice))],
    ['transfer', await childRunMarks(client, alice, transferId)],
  ]);
  const digits = events.filter(is('DTMF', alice));
  // *22600 (the first transfer's code), then *1.
  const ends = codeAndTakebackEnds(digits.map((d) => d.headers['DTMF-Digit'] ?? ''));
  const codeEnd = ends.codeEnd === undefined ? undefined : digits[ends.codeEnd];
  const takebackEnd = ends.takebackEnd === undefined ? undefined : digits[ends.takebackEnd];
  const replies = (prefix: string) =>
    e.journal.entries
      .slice(journalFrom)
      .filter((j) => j.command.startsWith(prefix))
      .map((j) => j.at);
  // The first target: the leg Alice was bridged to after the code (other calls' legs answer beside it).
  const consulted = events.find(
    (ev) =>
      is('CHANNEL_BRIDGE', alice)(ev) &&
      ev.headers['Other-Leg-Unique-ID'] !== bob &&
      codeEnd !== undefined &&
      tl.at(ev) > tl.at(codeEnd),
  )?.headers['Other-Leg-Unique-ID'];
  const target = events.find((ev) => consulted !== undefined && is('CHANNEL_ANSWER', consulted)(ev));
  const targetUuid = target?.headers['Unique-ID'];
  const out: { a?: Cut; b?: Cut; d?: Cut } = {};
  const step = (start: EslEvent, offset: number, milestones: Milestone[]): Cut | undefined => {
    const hops = cut(switchTime(tl, start) + offset, milestones, histories);
    return hops && { hops, phonesLate: tl.at(start) - switchTime(tl, start) };
  };
  if (codeEnd) {
    // What woke the task that scheduled the resolve, and that task: found back from the resolve, since it may have come
    // before the last key plus the timeout (`cut`). The ingest sends a code's presses after its binding digit together
    // once the leg was quiet for the timeout (workers/ingest/code-hold.ts): their signal ends the code, with no timer.
    const [task, ...activity] = taskThenActivity('call', 'resolveTransfer');
    out.a = step(codeEnd, DIGIT_TIMEOUT_MS, [
      { wf: 'call', type: ['timerFired', 'workflowExecutionSignaled'], latest: true },
      { ...task!, latest: true },
      ...activity,
      { times: replies(`api uuid_dump ${alice}`) },
    ]);
  }
  if (target && targetUuid) {
    out.b = step(target, 0, [
      { wf: 'transfer', type: 'workflowExecutionSignaled', signal: transferLegEventsSignal.name },
      ...taskThenActivity('transfer', 'bridgeAndConfirm'),
      {
        times: [
          ...replies(`api uuid_bridge ${alice} ${targetUuid}`),
          ...replies(`api uuid_bridge ${targetUuid} ${alice}`),
        ].sort((x, y) => x - y),
      },
    ]);
  }
  if (takebackEnd && targetUuid) {
    out.d = step(takebackEnd, 0, [
      { wf: 'transfer', type: 'workflowExecutionSignaled', signal: transferLegEventsSignal.name },
      ...taskThenActivity('transfer', 'killThenBridge'),
      { times: replies(`api uuid_kill ${targetUuid}`) },
    ]);
    // The call workflow's signal of the same takeback, and whether the transfer had acted before it came.
    const from = switchTime(tl, takebackEnd);
    const [signalled, scheduled] = [
      cut(from, [{ wf: 'transfer', type: 'workflowExecutionSignaled', signal: takebackSignal.name }], histories),
      cut(from, [{ wf: 'transfer', type: 'activityTaskScheduled', activity: 'killThenBridge' }], histories),
    ];
    if (out.d && signalled && scheduled) {
      out.d.signalAt = signalled[0]!;
      out.d.scheduledFirst = scheduled[0]! < signalled[0]!;
    }
  }
  return out;
}

function stepTable(step: Step, floorP50: number): string {
  const rows = step.hops.map(({ hop, floorHasIt }, i) => {
    const s = summarise(step.samples.map((x) => x[i]!));
    return [hop, s.n, ms(s.p50), ms(s.p90), ms(s.max), floorHasIt ? 'yes' : 'no'];
  });
  const totals = summarise(step.samples.map((x) => x.reduce((a, b) => a + b, 0)));
  const extra = summarise(step.samples.map((x) => x.reduce((a, v, i) => a + (step.hops[i]!.floorHasIt ? 0 : v), 0)));
  const late = summarise(step.phonesLate);
  rows.push(['**the step (sum)**', totals.n, ms(totals.p50), ms(totals.p90), ms(totals.max), '']);
  rows.push(['of which hops the floor does not have', extra.n, ms(extra.p50), ms(extra.p90), ms(extra.max), '']);
  const head = ['hop (ms)', 'n', 'p50', 'p90', 'max', 'the floor has it'];
  return (
    `### ${step.title}\n\n${table(head, rows)}\n\n` +
    `The step's p50 is ${(totals.p50 / floorP50).toFixed(1)}× the floor's; without the hops the floor does not have, ` +
    `about ${((totals.p50 - extra.p50) / floorP50).toFixed(1)}×. The benchmark's phones received the step's first ` +
    `event ${ms(late.p50)} ms (p50; max ${ms(late.max)}) after the switch stamped it: \`npm run bench\` times the ` +
    'step from that receipt, so its engine part leaves them out.\n' +
    otherWayNote(step)
  );
}

/** (d): the code's other way, the call workflow's signal, beside the transfer's own hearing of the press. */
function otherWayNote(step: Step): string {
  const other = step.otherWay;
  if (!other?.signalAt.length) return '';
  const at = summarise(other.signalAt);
  return (
    `\nThe transferor's call workflow signalled the same takeback too (the code's other way): its signal reached the ` +
    `transfer ${ms(at.p50)} ms (p50; max ${ms(at.max)}) after the switch's stamp of the last key; the transfer had ` +
    `scheduled the takeback's activity before it came in ${other.before} of ${at.n} calls.\n`
  );
}

async function main(): Promise<void> {
  let values: { calls?: string; concurrency?: string; floor?: string; out?: string };
  try {
    ({ values } = parseArgs({
      options: {
        calls: { type: 'string' },
        concurrency: { type: 'string' },
        floor: { type: 'string' },
        out: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nusage: ${USAGE}`);
  }
  const calls = intOption('calls', values.calls ?? '20', 1, 1000);
  const concurrency = intOption('concurrency', values.concurrency ?? '1', 1, 50);
  const floorSamples = intOption('floor', values.floor ?? '40', 5, 1000);
  const out = values.out ?? path.join('bench', 'RESULTS-hops.md');
  const runDir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'handoff-hops-'));
  // A dev server of its own: no stray TEMPORAL_* setting of the shell may point the engine elsewhere.
  for (const name of Object.keys(process.env)) if (isTemporalConnectionVariable(name)) delete process.env[name];
  const cli = findTemporalCli(process.env.TEMPORAL_CLI);
  const server = await startDevServer({ cli, dbFile: path.join(runDir, 'temporal.sqlite'), fastTimers: true });
  const machine = describeMachine(cli);
  try {
    process.env.TEMPORAL_ADDRESS = server.address;
    const e = await startBenchEngine({
      DIGIT_TIMEOUT_MS: String(DIGIT_TIMEOUT_MS),
      TEMPORAL_TIMER_SHIFT_MS: String(FAST_TIMER_SHIFT_MS),
      // One ingest on the switch: a code's presses go in one signal (README, Feature codes).
      INGEST_CODE_HOLD: 'true',
    });
    try {
      const tl = new Timeline(e);
      // A new worker's first transfer runs cold (bench/README.md, "First task"): one uncounted.
      await transferredCall(tl, { digitTimeoutMs: DIGIT_TIMEOUT_MS, thinkMs: THINK_MS });
      // The floor before and after the calls, half each: a shared machine's speed drifts along a run.
      const { alice } = await placeCall(e);
      const floorRun = async () =>
        (
          await runFloor({
            config: e.config,
            address: server.address,
            client: e.client,
            node: { name: 'floor', host: e.sw.host, port: e.sw.port, password: e.sw.password },
            uuid: alice.uuid,
            samples: Math.ceil(floorSamples / 2),
            concurrency: 1,
            warmup: 2,
            gapMs: 100,
            deadline: Date.now() + 120_000,
          })
        ).samples;
      const before = await floorRun();
      const pressedBefore = pressedAgain.count;
      let failed = 0;
      await inLanes(calls, concurrency, async (i) => {
        try {
          const got = await measureCall(tl, e.client);
          for (const step of STEPS) {
            const cutOf = got[step.key];
            if (!cutOf) continue;
            step.samples.push(cutOf.hops);
            step.phonesLate.push(cutOf.phonesLate);
            if (step.otherWay && cutOf.signalAt !== undefined) {
              step.otherWay.signalAt.push(cutOf.signalAt);
              if (cutOf.scheduledFirst) step.otherWay.before++;
            }
          }
        } catch (err) {
          failed++;
          console.error(`call ${i} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
      const after = await floorRun();
      const both = [...before, ...after];
      const floorRows = (
        [
          ['before the calls: total', before.map((f) => f.total)],
          ['after the calls: total', after.map((f) => f.total)],
          ['both: signal sent → activity started (Temporal)', both.map((f) => f.toActivity)],
          ['both: activity started → switch reply (ESL)', both.map((f) => f.command)],
          ['**both: total**', both.map((f) => f.total)],
        ] as const
      ).map(([label, values]) => {
        const x = summarise(values);
        return [label, x.n, ms(x.p50), ms(x.p90), ms(x.max)];
      });
      const report = render({
        calls,
        concurrency,
        failed,
        pressedAgain: pressedAgain.count - pressedBefore,
        floorRows,
        floorP50: summarise(both.map((f) => f.total)).p50,
        machine: machineTable(machine, 'a dev server started by the benchmark (SQLite, WAL)', loadAverage()),
      });
      fs.writeFileSync(out, report);
      console.log(report);
    } finally {
      await e.stop();
    }
  } finally {
    await server.stop();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

function render(r: {
  calls: number;
  concurrency: number;
  failed: number;
  /** Codes the phones split where nothing could have started, and pressed again (bench/calls.ts pressCode). */
  pressedAgain: number;
  floorRows: (string | number)[][];
  floorP50: number;
  machine: string;
}): string {
  return `# Where the engine's part of a step goes, hop by hop

Generated by \`npm run bench:hops\` (bench/hops.ts) on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}. ${r.calls} control
calls (bench/calls.ts: a transfer taken back with \`*1\`, then one completed), ${r.concurrency === 1 ? 'one at a time' : `${r.concurrency} at a time`}, ${r.failed} failed, ${r.pressedAgain} of their codes split by the phones and pressed again; the
floor (one signal → one activity → one switch command) before and after them in the same run, one in flight; the
ratios are to both runs' p50. Each step starts at the switch's own timestamp of its event and is cut at the milestones
its workflows' histories show (Temporal's event times) and the engine's journal of switch replies: one clock, this
machine's. A hop is timed from the milestone before it; "the floor has it" marks the hops the floor's own round trip
also makes (a signal or a timer, a workflow task, an activity, a switch command).
\`DIGIT_TIMEOUT_MS=${DIGIT_TIMEOUT_MS}\`, the phones' keys 60 ms apart.

${r.machine}

## The floor

${table(['floor, 1 in flight (ms)', 'n', 'p50', 'p90', 'max'], r.floorRows)}

## The steps

${STEPS.map((s) => stepTable(s, r.floorP50)).join('\n')}
## What the hops beyond the floor are

- (a), the code's end. The ingest holds a code's presses after its binding digit and sends them together once the
  leg was quiet for the digit timeout, plus a 5 ms margin for a press still on its way (workers/ingest/code-hold.ts);
  the call workflow ends the code in the task that signal wakes. What this hop has is that margin, the ingest's timer
  and the signal's way to Temporal. Where the presses go one by one (a private code, \`INGEST_CODE_HOLD\` off, its default), the
  digit timer ends the code: the code's deadline is the timeout after the call workflow saw the last key (its task's time)
  less that key's delivery from the switch's stamp, up to 100 ms and a quarter of the timeout (collector.ts
  \`lagCredit\`), and the timer that ends it is started when that task, or the one its first timer woke, completes.
  What is left of this hop is a delivery beyond the credit, the re-armed timer's task and Temporal's timer
  granularity. The credit is capped because a deadline taken wholly from the switch's stamp would race a key pressed
  just inside the timeout (by the switch's clock, which decides whether it belongs to the code) and delivered after
  the timer: the code would act without it. A timer kept when a later key moved the deadline past it (a restart would
  not have ended the code half a timer shift sooner) fires before the last key plus the timeout; when the task that
  sees it begins after the deadline, that task ends the code: the hop is 0, and the task's wait counts from the step's
  start. (Before the hops were found back from the resolve, the next code's timer was taken for it: steps of 2 s.)
- (b) and (d), the ingest: the floor's signal is sent by its client at once; a switch event is read from the node's
  ESL socket, parsed, queued per channel and signalled. In (d) the ingest sends the transfer its own copy of the
  transferor's key presses, and the transfer collects them as the transferor's call workflow does
  (workflows/transferor-keys.ts): the takeback no longer waits for the call workflow's task and its signal between the
  two workflows (21 ms p50 of 46 before this path, one call at a time). The call workflow still signals the code; the
  line under (d) says when that signal came, and how often the transfer had acted before it.
- A task's start ("its task starts") is the floor's hop, but it waits longer here: the calls' workflows share the
  workflow worker's \`WORKFLOW_TASK_SLOTS\` (2) and its one workflow thread, where the floor's one workflow has a
  worker to itself. More slots move much of that wait into the worker rather than remove it (README, "Cost per call
  and speed"). A transfer's tasks go before call workflows' when they queue (contracts/priority.ts): (b) and (d) are
  the transfer's, (a) the transferor's call workflow's, which waits behind the other calls' tasks. In (b) the
  benchmark's target answers some 25 ms after it is dialled, while the transfer's start is still being taken up: the
  transferee's call workflow's task for its join signal, the transferor's for its unbridge (the hold), and the
  transfer's own for its join signal's and its originate's completion; the answer's task no longer waits behind the
  call workflows' ones.
`;
}

runAsScript(import.meta.url, main);
