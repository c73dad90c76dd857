// Helpers for the end-to-end outcome scenarios (test/e2e): who hears whom, derived from the phones' ESL events only
// (hearing.ts, so the same assertions hold against a real FreeSWITCH), the commands the engine sent (its journal), and
// the transfer workflow's summary. The simulator's own view (sim_hears) is a cross-check only when simulated.
import type { ExecutionContext } from 'ava';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { playableStream } from '../../contracts/grammar.ts';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import type { MetaflowsDoc } from '../../store/types.ts';
import { TRANSFER_ID_VARIABLE, callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { callQuery, type CallSummary, type TransferSummary } from '../../contracts/messages.ts';
import { hangUp, press, waitFor, type Engine, type Party } from './engine.ts';
import type { EslEvent } from './esl-client.ts';
import { digitsOn, phoneOf } from './digits.ts';
import { HearingTracker, type Hearing } from './hearing.ts';
import { eventually, sleep } from './poll.ts';
import { EventType } from './history.ts';

export const peer = (uuid: string): Hearing => ({ kind: 'peer', peer: uuid });
export const gone: Hearing = { kind: 'gone' };
export const silence: Hearing = { kind: 'silence' };
/** A member of conference `name` hearing the other members `others` (a lone member hears silence). */
export const inConference = (name: string, ...others: string[]): Hearing => ({
  kind: 'conference',
  conference: name,
  others: [...others].sort(),
});
/** A `three_way` listener, its target or the target's peer, hearing `parties`. */
export const threeWay = (...parties: string[]): Hearing => ({ kind: 'three_way', parties: [...parties].sort() });
/** The transferee's hold music (the system default: the demo account has none of its own). */
export const music = (e: Engine): Hearing => ({ kind: 'stream', stream: e.config.DEFAULT_MOH });
/** The transferor's ringback (the system default tone, looped). */
export const ringback = (e: Engine): Hearing => ({
  kind: 'stream',
  stream: playableStream(e.config.DEFAULT_RINGBACK)!,
});

/** What the hearing, membership and digit helpers need: the phones' event log and, for a cross-check, the switch. */
export type Phones = Pick<Engine, 'phones' | 'sw'>;

const trackers = new WeakMap<Phones, { tracker: HearingTracker; fed: number }>();

/** The hearing helper fed with every event the phones have received so far (incrementally). */
function trackerNow(e: Phones): HearingTracker {
  let s = trackers.get(e);
  if (!s) trackers.set(e, (s = { tracker: new HearingTracker(), fed: 0 }));
  const events = e.phones.events;
  for (; s.fed < events.length; s.fed++) s.tracker.feed(events[s.fed]!);
  return s.tracker;
}

/** What `uuid` hears after every event the phones have received so far. */
export function hearsNow(e: Phones, uuid: string): Hearing {
  return trackerNow(e).hears(uuid);
}

/** A conference's members now, sorted, from the conference::maintenance events (add-member, del-member). */
export function membersNow(e: Phones, conference: string): string[] {
  return trackerNow(e).members(conference);
}

/** The conference a leg is a member of now, if any (conference::maintenance events). */
export function conferenceOfNow(e: Phones, uuid: string): string | undefined {
  return trackerNow(e).conferenceOf(uuid);
}

/**
 * Waits until conference `name` has exactly `members` (none: it is gone or empty), then asserts it. A timeout does
 * not throw: the assertion fails with the difference.
 */
export async function expectMembers(
  t: ExecutionContext,
  e: Phones,
  step: string,
  name: string,
  members: string[],
  timeoutMs = 15_000,
): Promise<void> {
  const want = [...members].sort();
  const ok = (): boolean => JSON.stringify(membersNow(e, name)) === JSON.stringify(want);
  await e.phones.waitUntil(ok, timeoutMs).catch(() => undefined);
  t.deepEqual(membersNow(e, name), want, `${step}: members of conference ${name} (from ESL events)`);
}

/** A point in the phones' event log: the digits after it are what expectDigits looks at. */
export function eventMark(e: Phones): number {
  return e.phones.events.length;
}

/** What a party's digits should have done: `seen` on its leg (the event socket), `heard` by its phone's ear. */
export type DigitExpect = [name: string, leg: string, want: { seen?: string; heard?: string }];

/**
 * Waits until, since `mark`, every party's leg showed exactly `seen` and its phone got exactly `heard`; then keeps
 * looking for `settleMs` (a digit still on its way would arrive within it: the captures' passthrough takes ~20 ms a
 * digit, a digit machine's timeout 1.5 s) and asserts. So `heard: ''` asserts that no digit reached that ear.
 */
export async function expectDigits(
  t: ExecutionContext,
  e: Phones,
  step: string,
  mark: number,
  parties: DigitExpect[],
  opts: { timeoutMs?: number; settleMs?: number } = {},
): Promise<void> {
  const since = (): EslEvent[] => e.phones.events.slice(mark);
  const all = (): EslEvent[] => e.phones.events;
  const got = (leg: string): { seen: string; heard: string } => ({
    seen: digitsOn(since(), leg),
    // The phone is found in the whole log: its CHANNEL_CREATE may be older than the mark.
    heard: digitsOn(since(), phoneOf(all(), leg) ?? `no phone known for ${leg}`),
  });
  const ok = (): boolean =>
    parties.every(([, leg, want]) => {
      const g = got(leg);
      return (want.seen === undefined || g.seen === want.seen) && (want.heard === undefined || g.heard === want.heard);
    });
  await e.phones.waitUntil(ok, opts.timeoutMs ?? 15_000).catch(() => undefined);
  await sleep(opts.settleMs ?? 400);
  for (const [name, leg, want] of parties) {
    const g = got(leg);
    if (want.seen !== undefined) t.is(g.seen, want.seen, `${step}: digits on ${name}'s leg (what ESL sees)`);
    if (want.heard !== undefined) t.is(g.heard, want.heard, `${step}: digits that reached ${name}'s ear`);
  }
}

/** A party in an assertion: its name (for messages), its leg, and what it should hear. */
export type Expect = [name: string, uuid: string, hears: Hearing];

function same(a: Hearing, b: Hearing): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Waits until every party hears what it should (events only), then asserts it; when simulated, also checks the
 * simulator agrees. A timeout does not throw: the assertion then fails with the difference.
 */
export async function expectHearing(
  t: ExecutionContext,
  e: Phones,
  step: string,
  parties: Expect[],
  timeoutMs = 15_000,
): Promise<void> {
  const ok = (): boolean => parties.every(([, uuid, want]) => same(hearsNow(e, uuid), want));
  await e.phones.waitUntil(ok, timeoutMs).catch(() => undefined);
  for (const [name, uuid, want] of parties) {
    if (!same(hearsNow(e, uuid), want)) t.log(`${step}: ${name}'s last events:\n${recentEvents(e, uuid)}`);
    t.deepEqual(hearsNow(e, uuid), want, `${step}: what ${name} hears (from ESL events)`);
    if (e.sw.sim) t.deepEqual(e.sw.sim.hears(uuid), want, `${step}: what ${name} hears (simulator's own view)`);
  }
}

/** The last events about a leg, one line each, for a failed assertion's log. */
function recentEvents(e: Phones, uuid: string, count = 16): string {
  return e.phones.events
    .filter((ev) => ev.headers['Unique-ID'] === uuid || ev.headers['Other-Leg-Unique-ID'] === uuid)
    .slice(-count)
    .map((ev) => {
      const h = ev.headers;
      const about = h['Unique-ID'] === uuid ? 'self' : `peer ${h['Unique-ID']?.slice(0, 8)}`;
      const other = h['Other-Leg-Unique-ID']?.slice(0, 8) ?? '';
      return `  t=${ev.t} ms ${ev.name} (${about}) other=${other} ${h['Playback-File-Path'] ?? ''}`;
    })
    .join('\n');
}

/**
 * Did `uuid` hear `want` all along, after each event from `from` (included) until `to` (excluded), both events of the
 * phones' log (`to` omitted: until now)? Returns a description of the first event after which it heard something else.
 */
export function interruption(
  e: Engine,
  uuid: string,
  want: Hearing,
  from: EslEvent,
  to?: EslEvent,
): string | undefined {
  const events = e.phones.events;
  const first = events.indexOf(from);
  const last = to ? events.indexOf(to) : events.length;
  if (first < 0 || last < 0) throw new Error('interruption: events not in the phones log');
  const tracker = new HearingTracker();
  for (let i = 0; i < last; i++) {
    const event = events[i]!;
    tracker.feed(event);
    if (i < first) continue;
    const heard = tracker.hears(uuid);
    if (!same(heard, want)) {
      return `after ${event.name} on ${event.headers['Unique-ID']} (t=${event.t}): ${JSON.stringify(heard)}`;
    }
  }
  return undefined;
}

/** The commands the engine sends from now on (its own journal). */
export function commandsFrom(e: Engine): () => string[] {
  const mark = e.journal.entries.length;
  return () => e.journal.commands().slice(mark);
}

/** The target leg's UUID, read off the engine's `originate` (it chooses the leg's origination_uuid). */
export function targetLegIn(commands: string[]): string | undefined {
  return originatedLegs(commands)[0];
}

/** Every leg the engine originated, in order: the origination_uuid of each `originate`. */
export function originatedLegs(commands: string[]): string[] {
  // origination_uuid comes first in the `{...}` block, which may follow a `<...>` block (originate-vars.ts).
  return commands.flatMap((c) =>
    c.startsWith('bgapi originate ') ? (/\{origination_uuid=([^,}]+)/.exec(c)?.[1] ?? []) : [],
  );
}

export function originates(commands: string[]): string[] {
  return commands.filter((c) => c.startsWith('bgapi originate '));
}

/** Waits for the engine to originate the target, and returns the target leg's UUID. */
export async function waitForTarget(e: Engine, commands: () => string[], timeoutMs = 15_000): Promise<string> {
  return eventually(
    () => `an originate; commands: ${commands().join('\n')}`,
    () => targetLegIn(commands()),
    {
      timeoutMs,
      everyMs: 50,
    },
  );
}

export { sleep };

/** The transfer's final summary, failing after `timeoutMs` rather than hanging the file. */
export async function transferResult(
  e: Engine,
  alice: Party,
  bob: Party,
  timeoutMs = 30_000,
): Promise<TransferSummary> {
  const handle = e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`transfer did not end within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([handle.result() as Promise<TransferSummary>, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The transfer's current phase (its query), once the workflow exists. */
export async function transferPhase(e: Engine, alice: Party, bob: Party): Promise<string | undefined> {
  const handle = e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid));
  return (await handle.query<TransferSummary>('transfer').catch(() => undefined))?.phase;
}

/** Waits until the transfer reports `phase` (the machine has taken in what the switch said). */
export async function waitForPhase(e: Engine, alice: Party, bob: Party, phase: string, timeoutMs = 15_000) {
  let seen: string | undefined;
  await eventually(
    () => `transfer phase ${phase} (it is ${seen ?? 'unknown'})`,
    async () => ((seen = await transferPhase(e, alice, bob)) === phase ? true : undefined),
    { timeoutMs },
  );
}

/** Waits until a leg's call workflow runs and knows the leg (ingest → signal-with-start). */
export async function waitForCallWorkflow(e: Engine, uuid: string, timeoutMs = 15_000): Promise<void> {
  const handle = e.client.workflow.getHandle(callWorkflowId(uuid));
  await eventually(
    `a call workflow for ${uuid} that knows the leg answered`,
    async () => ((await handle.query(callQuery)).answered ? true : undefined),
    { timeoutMs },
  );
}

/** A leg's call once its phase is `in_transfer` (or as it is after `timeoutMs`). */
export async function callInTransfer(e: Engine, uuid: string, timeoutMs = 15_000): Promise<CallSummary> {
  const handle = e.client.workflow.getHandle(callWorkflowId(uuid));
  let call = await handle.query(callQuery);
  for (const until = Date.now() + timeoutMs; call.phase !== 'in_transfer' && Date.now() < until;) {
    await sleep(50);
    call = await handle.query(callQuery);
  }
  return call;
}

/** Is this the switch announcing a leg the engine originated for a transfer off `transferor` (CHANNEL_CREATE)? */
export function isTargetLegCreated(ev: EslEvent, transferor: string): boolean {
  return (
    ev.name === 'CHANNEL_CREATE' &&
    (ev.headers[`variable_${TRANSFER_ID_VARIABLE}`] ?? '').includes(transferor) &&
    !/-b$/.test(ev.headers['Channel-Name'] ?? '')
  );
}

/** The next time `ev` happens on `uuid`. */
export function eventOn(e: Engine, name: string, uuid: string, timeoutMs = 15_000): Promise<EslEvent> {
  return waitFor(e, (ev) => ev.name === name && ev.headers['Unique-ID'] === uuid, timeoutMs);
}

/**
 * `a` and `b` are bridged to each other now: the last CHANNEL_BRIDGE or CHANNEL_UNBRIDGE either leg took part in is
 * their bridge. An earlier bridge of the two (the call before a transfer took them apart) does not count, so a test
 * waiting for a takeback or a completion cannot pass on the call's first bridge.
 */
export async function bridgedTogether(e: Engine, a: string, b: string, timeoutMs = 15_000): Promise<EslEvent> {
  await e.phones.waitUntil((events) => currentBridgeOf(events, a, b) !== undefined, timeoutMs);
  return currentBridgeOf(e.phones.events, a, b)!;
}

function currentBridgeOf(events: readonly EslEvent[], a: string, b: string): EslEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const ev = events[i]!;
    if (ev.name !== 'CHANNEL_BRIDGE' && ev.name !== 'CHANNEL_UNBRIDGE') continue;
    const x = ev.headers['Bridge-A-Unique-ID'] ?? ev.headers['Unique-ID'];
    const y = ev.headers['Bridge-B-Unique-ID'] ?? ev.headers['Other-Leg-Unique-ID'];
    if (x !== a && x !== b && y !== a && y !== b) continue;
    const pair = (x === a && y === b) || (x === b && y === a);
    return ev.name === 'CHANNEL_BRIDGE' && pair ? ev : undefined;
  }
  return undefined;
}

/** Presses the feature code and returns the target leg once the engine has originated it. */
export async function transferByDigits(
  e: Engine,
  from: Party,
  code: string,
  commands: () => string[],
): Promise<string> {
  await press(e, from.uuid, code);
  return waitForTarget(e, commands);
}

/** The account's metaflows for the duration of `body`, then the demo's again. */
export async function withAccountMetaflows<T>(e: Engine, doc: MetaflowsDoc, body: () => Promise<T>): Promise<T> {
  await e.store.setMetaflows({ accountId: e.demo.accountId, level: 'account' }, doc);
  try {
    return await body();
  } finally {
    await e.store.setMetaflows({ accountId: e.demo.accountId, level: 'account' }, DEMO_METAFLOWS);
  }
}

/** The ApplicationFailure an Update was refused with (its type and details), or a failed assertion. */
export async function updateRefusal(
  t: ExecutionContext,
  run: Promise<unknown>,
): Promise<{ type?: string | null; details: unknown[] } | undefined> {
  try {
    const value = await run;
    t.fail(`the update was accepted: ${JSON.stringify(value)}`);
    return undefined;
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const cause = err.cause;
    if (!(cause instanceof ApplicationFailure)) throw err;
    return { type: cause.type, details: [...(cause.details ?? [])] };
  }
}

/** Alice is bridged to Carol and consults her while Bob hears music; the transfer says so. */
export async function consulting(
  t: ExecutionContext,
  e: Engine,
  alice: Party,
  bob: Party,
  carol: string,
): Promise<void> {
  await bridgedTogether(e, alice.uuid, carol);
  await expectHearing(t, e, 'consulting', [
    ['Alice', alice.uuid, peer(carol)],
    ['Carol', carol, peer(alice.uuid)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await waitForPhase(e, alice, bob, 'consulting');
}

/** Alice presses the takeback `code` during the consultation: Carol is hung up, Alice and Bob talk again. */
export async function takenBack(
  t: ExecutionContext,
  e: Engine,
  alice: Party,
  bob: Party,
  carol: string,
  code = '*1',
): Promise<void> {
  await press(e, alice.uuid, code);
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'taken back', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, gone],
  ]);
}

/** Alice hangs up during the consultation: Bob and Carol are bridged and hear each other. */
export async function completedByHangup(
  t: ExecutionContext,
  e: Engine,
  alice: Party,
  bob: Party,
  carol: string,
): Promise<void> {
  await hangUp(e, alice.uuid);
  await bridgedTogether(e, bob.uuid, carol);
  await expectHearing(t, e, 'completed', [
    ['Alice', alice.uuid, gone],
    ['Bob', bob.uuid, peer(carol)],
    ['Carol', carol, peer(bob.uuid)],
  ]);
}

/** The transfer put the legs' own settings back (park_after_bridge unset): a later hangup ends the call as usual. */
export async function expectSettingsRestored(t: ExecutionContext, e: Engine, ...legs: string[]): Promise<void> {
  for (const leg of legs) {
    t.is(await e.phones.api(`uuid_getvar ${leg} park_after_bridge`), '_undef_', `park_after_bridge of ${leg}`);
  }
}

/** Terminates the transfer's workflow as an SRE would, and waits for a new run (its call's, or the sweep's) to start. */
export async function terminateAndAwaitResume(
  e: Engine,
  alice: Party,
  bob: Party,
): Promise<{ first: string; second: string }> {
  const handle = e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid));
  const first = (await handle.describe()).runId;
  await handle.terminate('test: ended by hand');
  let status = 'unknown';
  return eventually(
    () => `the transfer resumed in a new run (it is ${status})`,
    async () => {
      const d = await e.client.workflow.getHandle(handle.workflowId).describe();
      status = d.status.name;
      return d.runId !== first ? { first, second: d.runId } : undefined;
    },
    { timeoutMs: 20_000 },
  );
}

/**
 * Alice types `code` (keys `gapMs` apart) on her call with Bob, a transfer to a target that answers at once: once Bob
 * hears music and Alice is bridged to the target, how many timers her call workflow started and cancelled.
 */
export async function codeTimers(
  e: Engine,
  alice: Party,
  bob: Party,
  code: string,
  gapMs?: number,
): Promise<{ started: number; cancelled: number }> {
  await press(e, alice.uuid, code, gapMs);
  await waitFor(e, (ev) => ev.name === 'PLAYBACK_START' && ev.headers['Unique-ID'] === bob.uuid);
  await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === alice.uuid &&
      ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
  );
  const events = (await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).fetchHistory()).events ?? [];
  return {
    started: events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_STARTED).length,
    cancelled: events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_CANCELED).length,
  };
}
