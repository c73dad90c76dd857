// What the phones see, as predicates for waitFor(): each only matches events from index `from` of the phones' list on
// (mark it with `e.phones.events.length` before acting), so an earlier call's events never satisfy a later wait.
import crypto from 'node:crypto';
import { transferWorkflowId } from '../../contracts/ids.ts';
import type { ChannelEvent, TransferSummary } from '../../contracts/messages.ts';
import { hangUp, press, waitFor, type Engine } from './engine.ts';
import type { EslEvent } from './esl-client.ts';

type Predicate = (ev: EslEvent) => boolean;

const since = (e: Engine, ev: EslEvent, from: number): boolean => e.phones.events.indexOf(ev) >= from;

/** A leg a transfer originated to extension `ext` (the loopback's `-a` half) was created. */
export const createdFor =
  (e: Engine, ext: string, from: number): Predicate =>
  (ev) =>
    ev.name === 'CHANNEL_CREATE' && ev.headers['Channel-Name'] === `loopback/${ext}-a` && since(e, ev, from);

/** That leg answered. */
export const answeredFor =
  (e: Engine, ext: string, from: number): Predicate =>
  (ev) =>
    ev.name === 'CHANNEL_ANSWER' && ev.headers['Channel-Name'] === `loopback/${ext}-a` && since(e, ev, from);

/** `a` and `b` were bridged to each other (whichever of them got the CHANNEL_BRIDGE). */
export const bridgedPair =
  (e: Engine, a: string, b: string, from: number): Predicate =>
  (ev) => {
    const pair = [ev.headers['Unique-ID'], ev.headers['Other-Leg-Unique-ID']];
    return ev.name === 'CHANNEL_BRIDGE' && pair.includes(a) && pair.includes(b) && since(e, ev, from);
  };

/** The switch received `digit` on `leg` (any digit when omitted). */
export const pressedOn =
  (e: Engine, leg: string, from: number, digit?: string): Predicate =>
  (ev) =>
    ev.name === 'DTMF' &&
    ev.headers['Unique-ID'] === leg &&
    (digit === undefined || ev.headers['DTMF-Digit'] === digit) &&
    since(e, ev, from);

/**
 * The transferor presses `*2<ext>` (the demo's transfer code: `*22600` dials 2600) and the switch creates the target leg: returns that leg
 * and the mark the wait started from. Read from the switch's events, so it works with node workers in other processes
 * (whose command journals a test cannot read).
 */
export async function dialTarget(
  e: Engine,
  transferor: string,
  ext: string,
): Promise<{ target: string; start: number }> {
  const start = e.phones.events.length;
  await press(e, transferor, `*2${ext}`);
  const created = await waitFor(e, createdFor(e, ext, start), 30_000);
  return { target: created.headers['Unique-ID']!, start };
}

/**
 * `digits` pressed on `leg` 120 ms apart by the switch's clock, as the ingest would signal them to its call workflow
 * (with `stamp`: what the ingest says of each), from a switch run of their own: the switch's real events of the call
 * never share their sequence numbers.
 */
export function keyPresses(e: Engine, leg: string, digits: string, stamp: Partial<ChannelEvent> = {}): ChannelEvent[] {
  const coreUuid = `core-${crypto.randomBytes(4).toString('hex')}`;
  const typedAt = Date.now();
  return [...digits].map((digit, i) => ({
    name: 'DTMF',
    uuid: leg,
    coreUuid,
    seq: 100 + i,
    at: typedAt + i * 120,
    node: e.node.name,
    digit,
    ...stamp,
  }));
}

/**
 * After `steps` (what the test sends the call workflow), Alice's transfer consults `ext` (consultsTarget); then Alice
 * hangs up, whether it did or not (her history is the one recorded for the replay tests), completing it. Its summary.
 */
export async function consultThenHangUp(
  e: Engine,
  parties: { alice: string; bob: string },
  ext: string,
  from: number,
  steps: () => Promise<void> = async () => undefined,
): Promise<TransferSummary> {
  try {
    await steps();
    await consultsTarget(e, parties.alice, ext, from);
  } finally {
    await hangUp(e, parties.alice);
  }
  return e.client.workflow.getHandle(transferWorkflowId(parties.alice, parties.bob)).result();
}

/** The transfer's target leg to `ext` was created, answered and bridged to `transferor` (each within 20 s). */
export async function consultsTarget(e: Engine, transferor: string, ext: string, from: number): Promise<void> {
  await waitFor(e, createdFor(e, ext, from), 20_000);
  const target = (await waitFor(e, answeredFor(e, ext, from), 20_000)).headers['Unique-ID']!;
  await waitFor(e, bridgedPair(e, transferor, target, from), 20_000);
}
