// The calls the benchmark places, and how it times them. Every time is read from what the phones' ESL client received
// (its receive timestamps, taken in the switch's process: bench/switch-process.ts) or from the engine's command journal
// (when a switch command's reply came back, in this process): both are Date.now() of one host's clock, so they compare
// directly.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { EslEvent } from '../test/support/esl-client.ts';
import { hangUp, placeCall } from '../test/support/engine.ts';
import type { Engine } from './engine.ts';
import { callWorkflowId, transferWorkflowId } from '../contracts/ids.ts';
import type { TransferSummary } from '../contracts/messages.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Places calls as the control run does: `concurrency` lanes started 150 ms apart, as calls arrive; then each lane places
 * its next call (`place(n)`, n counting from 0 across lanes) as soon as its last one ended, until `count` are placed
 * or `more()` says stop. Resolves with how many were placed.
 */
export async function inLanes(
  count: number,
  concurrency: number,
  place: (n: number) => Promise<void>,
  more: () => boolean = () => true,
): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      await sleep(lane * 150);
      while (next < count && more()) await place(next++);
    }),
  );
  return next;
}

/** One timed step: the caller-visible total, and its segments in order (they add up to the total). */
export interface Timed {
  total: number;
  segments: Record<string, number>;
}

export type Metric = 'a' | 'b' | 'c' | 'd';

/**
 * Each step: its title, its segments in order (those named `switch:` are the simulator's modelled delays, the others
 * the engine's), and the goal for the engine's part at p50 as a multiple of the floor's p50 (one in flight).
 */
export const METRICS: Record<Metric, { title: string; segments: string[]; goal: number }> = {
  a: {
    title: '(a) last digit of *22600 − digit timeout → PLAYBACK_START on the transferee',
    goal: 3,
    segments: [
      'digit signal + timer overhead → resolveTransfer (uuid_dump)',
      "resolve's reads → the hold's first command",
      'hold commands → uuid_broadcast reply',
      'switch: uuid_broadcast → PLAYBACK_START',
    ],
  },
  b: {
    title: "(b) target's answer → CHANNEL_BRIDGE transferor↔target",
    goal: 2,
    segments: ['engine: answer → uuid_bridge reply', 'switch: uuid_bridge → CHANNEL_BRIDGE'],
  },
  c: {
    title: "(c) transferor's uuid_kill sent → CHANNEL_BRIDGE transferee↔target",
    goal: 2,
    segments: [
      'switch: uuid_kill → HANGUP_COMPLETE',
      'engine: hangup → uuid_bridge reply',
      'switch: uuid_bridge → CHANNEL_BRIDGE',
    ],
  },
  d: {
    title: '(d) last digit of takeback *1 → CHANNEL_BRIDGE transferor↔transferee',
    goal: 2,
    segments: [
      'engine: digit → uuid_kill target reply',
      'engine: uuid_kill → uuid_bridge reply',
      'switch: uuid_bridge → CHANNEL_BRIDGE',
    ],
  },
};

/** The engine's part of a step: the sum of its engine segments, when the journal showed every milestone. */
export function enginePart(m: Metric, t: Timed): number | undefined {
  let sum = 0;
  for (const name of METRICS[m].segments) {
    const v = t.segments[name];
    if (v === undefined) return undefined;
    if (!name.startsWith('switch:')) sum += v;
  }
  return sum;
}

/** The phones' event log on an absolute clock (ms since the epoch, as Date.now()). */
export class Timeline {
  constructor(readonly e: Engine) {}

  at(ev: EslEvent): number {
    return this.e.phones.at(ev);
  }

  mark(): number {
    return this.e.phones.events.length;
  }

  /** `what` names the awaited event in the error, so that a failed call's reason says which step did not happen. */
  wait(pred: (ev: EslEvent) => boolean, from: number, timeoutMs = 15_000, what?: string): Promise<EslEvent> {
    return this.e.phones.waitForEvent(pred, timeoutMs, from).catch((err: unknown) => {
      throw what ? new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`) : err;
    });
  }

  all(pred: (ev: EslEvent) => boolean, from: number): EslEvent[] {
    return this.e.phones.events.slice(from).filter(pred);
  }

  /** When the reply of the first journalled command matching came back, at or after `after`. */
  command(after: number, pred: (command: string) => boolean): number | undefined {
    return this.e.journal.entries.find((j) => j.at >= after && pred(j.command))?.at;
  }
}

/** The phones' events of `name` on leg `uuid`. */
export const is = (name: string, uuid: string) => (ev: EslEvent) =>
  ev.name === name && ev.headers['Unique-ID'] === uuid;
const bridged = (x: string, y: string) => (ev: EslEvent) => {
  if (ev.name !== 'CHANNEL_BRIDGE') return false;
  const a = ev.headers['Unique-ID'];
  const b = ev.headers['Other-Leg-Unique-ID'];
  return (a === x && b === y) || (a === y && b === x);
};
const bridgeCommand = (x: string, y: string) => (c: string) =>
  c === `api uuid_bridge ${x} ${y}` || c === `api uuid_bridge ${y} ${x}`;

function timed(points: (number | undefined)[], names: string[], offset = 0): Timed {
  const [start, ...rest] = points;
  const end = rest[rest.length - 1];
  if (start === undefined || end === undefined) throw new Error('timing: missing start or end');
  const segments: Record<string, number> = {};
  let prev = start + offset;
  rest.forEach((p, i) => {
    if (p === undefined) return; // a milestone the journal does not show: its time lands in the next segment
    segments[names[i]!] = p - prev;
    prev = p;
  });
  return { total: end - start - offset, segments };
}

async function result(e: Engine, workflowId: string, timeoutMs = 15_000): Promise<TransferSummary> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      e.client.workflow.getHandle(workflowId).result() as Promise<TransferSummary>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${workflowId} did not close in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The longest pause between two key presses of one code on the switch's clock (the DTMF events' Event-Date-Timestamp,
 * µs), and the key it came before. The engine ends a code at a pause longer than the digit timeout, by that clock.
 */
export function longestPause(presses: EslEvent[]): { ms: number; before: number } | undefined {
  let longest: { ms: number; before: number } | undefined;
  for (let i = 1; i < presses.length; i++) {
    const ms =
      (Number(presses[i]!.headers['Event-Date-Timestamp']) - Number(presses[i - 1]!.headers['Event-Date-Timestamp'])) /
      1000;
    if (Number.isFinite(ms) && (!longest || ms > longest.ms)) longest = { ms, before: i };
  }
  return longest;
}

/** The pause that split a code: one longer than the digit timeout, by the switch's clock (the engine's rule). */
export function splitBy(presses: EslEvent[], digitTimeoutMs: number): { ms: number; before: number } | undefined {
  const pause = longestPause(presses);
  return pause && pause.ms > digitTimeoutMs ? pause : undefined;
}

/**
 * A step failed because the benchmark's phones paused inside a code for longer than the digit timeout, by the switch's
 * clock: the engine rightly ended the code at the pause (a person who did so would get the same). The phones pace their
 * presses in the switch's process (bench/switch-process.ts), apart from the engine's, but a stall of that process
 * (other processes on the machine taking both cores) still stretches the 60 ms between two presses. The benchmark's
 * fault, not the engine's.
 */
export class PhonesPaused extends Error {
  constructor(step: string, code: string, pause: { ms: number; before: number }, digitTimeoutMs: number) {
    super(
      `${step}, but the phones paused ${pause.ms.toFixed(0)} ms before key ${pause.before + 1} of ${code} (switch's ` +
        `clock), longer than DIGIT_TIMEOUT_MS=${digitTimeoutMs}: the engine rightly ended the code there (the ` +
        `benchmark's phones, not the engine)`,
    );
    this.name = 'PhonesPaused';
  }
}

/** A step's wait after `code` was pressed on `leg`: when it fails, says whether the phones split the code. */
async function afterCode<T>(
  tl: Timeline,
  leg: string,
  code: string,
  from: number,
  digitTimeoutMs: number,
  wait: Promise<T>,
): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    const pause = splitBy(tl.all(is('DTMF', leg), from), digitTimeoutMs);
    if (pause) throw new PhonesPaused(err instanceof Error ? err.message : String(err), code, pause, digitTimeoutMs);
    throw err;
  }
}

/**
 * Whether the phones split a code where the keys before the pause cannot have started anything (the first `inert`
 * keys at most): then the code can be pressed again.
 */
export function splitWhereInert(presses: EslEvent[], digitTimeoutMs: number, inert: number): boolean {
  const pause = splitBy(presses, digitTimeoutMs);
  return pause !== undefined && pause.before <= inert;
}

/** Codes the phones pressed again because they split them where nothing could have started (see pressCode). */
export const pressedAgain = { count: 0 };

/**
 * Presses `code` on `leg` as press() does and returns the phones' mark from which its DTMF events count. When the phones
 * split it (splitBy) before key `inert` + 1, the keys before the pause cannot have started anything (`*` or `*2` of a
 * `*2<target>` code, `*` of `*1`: the engine ended them as no code, and what followed the pause has no binding digit),
 * so it is pressed again after a digit timeout, as a person would, up to twice. A split after that is left for the
 * step's wait to report (PhonesPaused): the engine acted on the keys before the pause.
 */
async function pressCode(
  tl: Timeline,
  leg: string,
  code: string,
  digitTimeoutMs: number,
  inert: number,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const from = tl.mark();
    await tl.e.phones.press(leg, code);
    let presses = tl.all(is('DTMF', leg), from);
    for (const until = Date.now() + 2000; presses.length < code.length && Date.now() < until;) {
      await sleep(20);
      presses = tl.all(is('DTMF', leg), from);
    }
    if (!splitWhereInert(presses, digitTimeoutMs, inert) || attempt === 2) return from;
    pressedAgain.count++;
    await sleep(digitTimeoutMs + 100);
  }
}

export interface Samples {
  a: Timed[];
  b: Timed[];
  c: Timed[];
  d: Timed[];
}

/** `*2<target>` on the transferor, until it talks to the target: samples (a) and (b). Returns the target leg. */
async function transferToConsult(
  tl: Timeline,
  alice: string,
  bob: string,
  target: string,
  digitTimeoutMs: number,
  out: Samples,
): Promise<string> {
  const code = `*2${target}`;
  const from = await pressCode(tl, alice, code, digitTimeoutMs, 2);
  const music = await afterCode(
    tl,
    alice,
    code,
    from,
    digitTimeoutMs,
    tl.wait(is('PLAYBACK_START', bob), from, undefined, '(a) no music for the transferee'),
  );
  const consult = await afterCode(
    tl,
    alice,
    code,
    from,
    digitTimeoutMs,
    tl.wait(
      (ev) =>
        ev.name === 'CHANNEL_BRIDGE' && ev.headers['Unique-ID'] === alice && ev.headers['Other-Leg-Unique-ID'] !== bob,
      from,
      undefined,
      '(b) no consultation bridge',
    ),
  );
  const carol = consult.headers['Other-Leg-Unique-ID']!;
  const digits = tl.all(is('DTMF', alice), from);
  const lastDigit = tl.at(digits[digits.length - 1]!);
  const fired = lastDigit + digitTimeoutMs;
  const resolved = tl.command(fired, (c) => c === `api uuid_dump ${alice} json`);
  // The hold begins in the resolve's activity with a write to either leg (it has their variables from the resolve's
  // uuid_dumps); a transfer that holds the parties itself (the resolve's hold failed) reads Alice's mark first.
  const holding = tl.command(
    resolved ?? fired,
    (c) =>
      c.startsWith(`api uuid_setvar ${alice} `) ||
      c.startsWith(`api uuid_setvar ${bob} `) ||
      c === `api uuid_getvar ${alice} handoff_active_transfer`,
  );
  const broadcast = tl.command(fired, (c) => c.startsWith(`api uuid_broadcast ${bob} `));
  out.a.push(timed([lastDigit, resolved, holding, broadcast, tl.at(music)], METRICS.a.segments, digitTimeoutMs));

  const answers = [
    ...tl.all(is('CHANNEL_ANSWER', carol), from),
    ...tl.all((ev) => ev.name === 'BACKGROUND_JOB' && (ev.body ?? '').includes(carol), from),
  ].map((ev) => tl.at(ev));
  const answered = Math.min(...answers);
  const bridgeSent = tl.command(answered, bridgeCommand(alice, carol));
  out.b.push(timed([answered, bridgeSent, tl.at(consult)], METRICS.b.segments));
  return carol;
}

/**
 * A control call that did not reach its outcome: the reason, the legs it placed (in order: transferor, transferee,
 * then each target) and the workflows that hold its story, to read with `temporal workflow show`.
 */
export class CallFailure extends Error {
  /** The benchmark's phones split a code (PhonesPaused): not a failure of the engine. */
  readonly phones: boolean;
  constructor(
    readonly reason: unknown,
    readonly legs: string[],
    readonly workflowIds: string[],
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.phones = reason instanceof PhonesPaused;
    this.name = 'CallFailure';
  }
}

export interface CallOptions {
  digitTimeoutMs: number;
  /** A person's pause between two steps (hearing the music, talking to the target). */
  thinkMs: number;
}

/**
 * One call, two transfers: Alice and Bob talk; Alice transfers to 2600 and takes Bob back with *1 (samples a, b, d);
 * Alice transfers to 2600 again and hangs up after consulting (samples a, b, c); Bob and Carol hang up.
 */
export async function controlCall(
  tl: Timeline,
  opts: CallOptions,
  out: Samples,
  transferors: string[] = [],
): Promise<string[]> {
  const e = tl.e;
  const outcomes: string[] = [];
  const legs: string[] = [];
  try {
    const { alice, bob } = await placeCall(e);
    legs.push(alice.uuid, bob.uuid);
    transferors.push(alice.uuid);
    const transferId = transferWorkflowId(alice.uuid, bob.uuid);
    await sleep(opts.thinkMs);

    // 1. Consult, then take the call back.
    const carol1 = await transferToConsult(tl, alice.uuid, bob.uuid, '2600', opts.digitTimeoutMs, out);
    legs.push(carol1);
    await sleep(opts.thinkMs);
    let from = await pressCode(tl, alice.uuid, '*1', opts.digitTimeoutMs, 1);
    const back = await afterCode(
      tl,
      alice.uuid,
      '*1',
      from,
      opts.digitTimeoutMs,
      tl.wait(bridged(alice.uuid, bob.uuid), from, undefined, '(d) no takeback bridge'),
    );
    const digits = tl.all(is('DTMF', alice.uuid), from);
    const lastDigit = tl.at(digits[digits.length - 1]!);
    const killed = tl.command(lastDigit, (c) => c.startsWith(`api uuid_kill ${carol1} `));
    const bridgeSent = tl.command(lastDigit, bridgeCommand(alice.uuid, bob.uuid));
    out.d.push(timed([lastDigit, killed, bridgeSent, tl.at(back)], METRICS.d.segments));
    outcomes.push((await result(e, transferId)).outcome ?? 'none');
    await sleep(opts.thinkMs);

    // 2. Consult, then hang up: Bob and Carol are connected.
    const carol2 = await transferToConsult(tl, alice.uuid, bob.uuid, '2600', opts.digitTimeoutMs, out);
    legs.push(carol2);
    await sleep(opts.thinkMs);
    from = tl.mark();
    const killSent = Date.now();
    await hangUp(e, alice.uuid);
    const done = await tl.wait(bridged(bob.uuid, carol2), from, undefined, '(c) no completion bridge');
    const hungUp = await tl.wait(is('CHANNEL_HANGUP_COMPLETE', alice.uuid), from);
    const bridgeSent2 = tl.command(killSent, bridgeCommand(bob.uuid, carol2));
    out.c.push(timed([killSent, tl.at(hungUp), bridgeSent2, tl.at(done)], METRICS.c.segments));
    outcomes.push((await result(e, transferId)).outcome ?? 'none');
    await sleep(opts.thinkMs);
    await endCall(tl, bob.uuid, carol2);
    return outcomes;
  } catch (err) {
    for (const leg of legs) await hangUp(e, leg).catch(() => undefined);
    // The transfer's ID is known once both parties are: the transferor's and the transferee's legs.
    const ids = legs.map(callWorkflowId);
    if (legs.length >= 2) ids.splice(2, 0, transferWorkflowId(legs[0]!, legs[1]!));
    throw new CallFailure(err, legs, ids);
  }
}

/** One party hangs up; if the switch does not end the other within 2 s, it is hung up too. Returns who ended it. */
export async function endCall(tl: Timeline, first: string, second: string): Promise<'switch' | 'bench'> {
  const from = tl.mark();
  await hangUp(tl.e, first);
  try {
    await tl.wait(is('CHANNEL_HANGUP_COMPLETE', second), from, 2000);
    return 'switch';
  } catch {
    await hangUp(tl.e, second);
    await tl.wait(is('CHANNEL_HANGUP_COMPLETE', second), from, 5000);
    return 'bench';
  }
}

/** Waits for workflows to close; those that never existed are left out. Returns the IDs that exist. */
export async function closed(e: Engine, ids: string[], timeoutMs = 15_000): Promise<string[]> {
  const found: string[] = [];
  for (const id of ids) {
    try {
      await result(e, id, timeoutMs);
      found.push(id);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue;
      // A failed or terminated workflow still has a history worth counting.
      if (err instanceof Error && / did not close /.test(err.message)) throw err;
      found.push(id);
    }
  }
  return found;
}

export interface CostCall {
  kind: 'plain' | 'transferred';
  workflowIds: string[];
  /** Signals (or signal-with-starts) the ingest sent, and switch commands the engine sent, during the call. */
  ingestSignals: number;
  ingestEvents: number;
  switchCommands: number;
  secondHangup: 'switch' | 'bench';
  outcome?: string;
  /** Whether the target leg had a call workflow while it talked to the transferee (before any later event). */
  targetCallDuringTalk?: boolean;
}

/** Workflows on the engine's task queue started since `since` (visibility), to catch any the IDs above miss. */
async function startedSince(e: Engine, since: number): Promise<string[]> {
  const ids: string[] = [];
  try {
    const query = `TaskQueue = '${e.config.WORKFLOW_TASK_QUEUE}' AND StartTime >= '${new Date(since).toISOString()}'`;
    for await (const wf of e.client.workflow.list({ query })) ids.push(wf.workflowId);
  } catch {
    // visibility without these fields: the known IDs stand
  }
  return ids;
}

/** Workflows already counted for an earlier call (visibility's clock and ours may differ by a little). */
const counted = new Set<string>();

async function costWindow<T extends Omit<CostCall, 'ingestSignals' | 'ingestEvents' | 'switchCommands'>>(
  tl: Timeline,
  run: () => Promise<T>,
): Promise<CostCall> {
  const e = tl.e;
  const since = Date.now();
  const s0 = e.nodeWorker!.ingest.stats();
  const j0 = e.journal.entries.length;
  const call = await run();
  await e.nodeWorker!.ingest.idle();
  const s1 = e.nodeWorker!.ingest.stats();
  const listed = (await startedSince(e, since)).filter((id) => !counted.has(id));
  const ids = [...new Set([...call.workflowIds, ...listed])];
  for (const id of ids) counted.add(id);
  return {
    ...call,
    workflowIds: await closed(e, ids),
    ingestSignals: s1.signalsSent - s0.signalsSent,
    ingestEvents: s1.forwarded - s0.forwarded,
    switchCommands: e.journal.entries.length - j0,
  };
}

/** Alice and Bob talk, then hang up: no digits. */
export function plainCall(tl: Timeline, thinkMs: number): Promise<CostCall> {
  return costWindow(tl, async () => {
    const { alice, bob } = await placeCall(tl.e);
    await sleep(thinkMs);
    const secondHangup = await endCall(tl, alice.uuid, bob.uuid);
    const ids = [callWorkflowId(alice.uuid), callWorkflowId(bob.uuid)];
    await closed(tl.e, ids);
    return { kind: 'plain' as const, workflowIds: ids, secondHangup };
  });
}

async function exists(e: Engine, workflowId: string): Promise<boolean> {
  try {
    await e.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** An attended transfer, completed: consult 2600, Alice hangs up, Bob and Carol talk, then hang up. */
export function transferredCall(tl: Timeline, opts: CallOptions): Promise<CostCall> {
  return costWindow(tl, async () => {
    const e = tl.e;
    const { alice, bob } = await placeCall(e);
    await sleep(opts.thinkMs);
    const scratch: Samples = { a: [], b: [], c: [], d: [] };
    const carol = await transferToConsult(tl, alice.uuid, bob.uuid, '2600', opts.digitTimeoutMs, scratch);
    await sleep(opts.thinkMs);
    const from = tl.mark();
    await hangUp(e, alice.uuid);
    await tl.wait(bridged(bob.uuid, carol), from);
    const transferId = transferWorkflowId(alice.uuid, bob.uuid);
    const outcome = (await result(e, transferId)).outcome;
    await sleep(opts.thinkMs);
    const targetCallDuringTalk = await exists(e, callWorkflowId(carol));
    const secondHangup = await endCall(tl, bob.uuid, carol);
    const ids = [callWorkflowId(alice.uuid), callWorkflowId(bob.uuid), transferId, callWorkflowId(carol)];
    await closed(e, ids);
    return { kind: 'transferred' as const, workflowIds: ids, secondHangup, outcome, targetCallDuringTalk };
  });
}

/**
 * After a completed transfer, can the target (now talking to the transferee) use a feature code? Carol presses
 * *22601; Bob should hear music. Returns what happened, with the ingest's counters for her digits.
 */
export async function targetFeatureCodeProbe(
  tl: Timeline,
  opts: CallOptions,
): Promise<{ worked: boolean; transferGone: number; targetCallAfter: boolean; detail: string }> {
  const e = tl.e;
  const { alice, bob } = await placeCall(e);
  const legs = [alice.uuid, bob.uuid];
  try {
    await sleep(opts.thinkMs);
    const scratch: Samples = { a: [], b: [], c: [], d: [] };
    const carol = await transferToConsult(tl, alice.uuid, bob.uuid, '2600', opts.digitTimeoutMs, scratch);
    legs.push(carol);
    let from = tl.mark();
    await hangUp(e, alice.uuid);
    await tl.wait(bridged(bob.uuid, carol), from);
    await result(e, transferWorkflowId(alice.uuid, bob.uuid));
    await sleep(opts.thinkMs);
    const gone0 = e.nodeWorker!.ingest.stats().transferGone;
    from = tl.mark();
    await e.phones.press(carol, '*22601');
    let worked = true;
    try {
      await tl.wait(is('PLAYBACK_START', bob.uuid), from, opts.digitTimeoutMs + 4000);
    } catch {
      worked = false;
    }
    await e.nodeWorker!.ingest.idle();
    const transferGone = e.nodeWorker!.ingest.stats().transferGone - gone0;
    const targetCallAfter = await exists(e, callWorkflowId(carol));
    const detail = worked
      ? 'Bob heard music: the target leg started a transfer of its own'
      : `no transfer within ${opts.digitTimeoutMs + 4000} ms; call:<target> exists: ${targetCallAfter}; ` +
        `events the ingest dropped as "transfer gone" meanwhile: ${transferGone}`;
    return { worked, transferGone, targetCallAfter, detail };
  } finally {
    await sleep(300);
    for (const leg of legs) await hangUp(e, leg).catch(() => undefined);
  }
}
