// A key press on a leg, as a pure function of what the leg knows of its digits: the collector's step over the leg's
// feature codes, the private codes' mask (private-codes.ts), and whether the press needs a command before it is done:
// the leg's codes to read, a running transfer's codes (its transferor's presses), a code to act on, the peer's ear to
// mask or unmask. The call workflow (call.ts) takes a press that needs none at once, without a promise (a batch of a
// flooding leg's presses costs its workflow task little), and carries out the others; both by this one rule.
import type { LegPolicy } from '../activities/policy.ts';
import type { ChannelEvent } from '../contracts/messages.ts';
import {
  emptyCollector,
  press,
  type CollectorOptions,
  type CollectorState,
  type FeatureCodeMatch,
} from './collector.ts';
import type { FeatureCodeSet } from '../contracts/metaflows.ts';
import { transferCodeSets, type TransferCodes } from '../contracts/transfer-codes.ts';
import { afterStep, digitPressed, privateCollection, type PrivateAction, type PrivateDigits } from './private-codes.ts';

/** A key press: its digit, the switch's time of it, and whether the ingest held it back (collector.ts `press`). */
export interface KeyPress {
  digit: string;
  at: number;
  held?: boolean;
  /** The ingest was paced when it sent the press (ChannelEvent.paced). */
  paced?: boolean;
  /** Which press it is on the switch (contracts/ids.ts `keyPressId`). */
  id?: string;
}

/** What a press finds of the leg's digits. */
export interface LegDigits {
  /** The leg's feature codes, once read. */
  policy: LegPolicy | undefined;
  /** The leg is the transferor of a running transfer with codes: the transfer's codes come first. */
  transferor: boolean;
  collector: CollectorState | undefined;
  privateDigits: PrivateDigits;
  /** The leg's bridged peer: whose ear a private code is kept from. */
  peer: string | undefined;
  /** Whether a code's deadline counts a press's delivery as waited (collector.ts `creditLag`; the call's patch). */
  creditLag?: () => boolean;
}

/** A press the collector took: the leg's new digit state, and what to do on the switch (`match`, `private`). */
export interface TakenPress {
  needs?: undefined;
  collector: CollectorState | undefined;
  privateDigits: PrivateDigits;
  match?: FeatureCodeMatch;
  private?: PrivateAction;
  /** Patterns skipped (collector.ts): logged, nothing else. */
  errors: string[];
  /** The press started, continued or ended a collection: later presses are not taken again behind it (call.ts). */
  acted: boolean;
}

/**
 * A press the collector cannot take yet: the leg's feature codes are to be read, or the transfer's codes take it (the
 * call workflow's own step, which may end a code by its timeout first). Only the mask's record has the press.
 */
export interface WaitingPress {
  needs: 'policy' | 'transfer_codes';
  privateDigits: PrivateDigits;
}

export type PressStep = TakenPress | WaitingPress;

/** A press on the leg's own feature codes (`now`: the workflow's time). */
export function pressOn(leg: LegDigits, key: KeyPress, now: number): PressStep {
  const privateDigits = digitPressed(leg.privateDigits, key.digit, key.at);
  if (leg.transferor) return { needs: 'transfer_codes', privateDigits };
  if (!leg.policy) return { needs: 'policy', privateDigits };
  // A leg without feature codes collects nothing, and masks nothing.
  if (!leg.policy.sets.length) return { collector: leg.collector, privateDigits, errors: [], acted: false };
  return collect(leg.policy.sets, leg.policy, { ...leg, privateDigits }, key, now);
}

/** Whether the press is done with its new state: no command (activity, signal, child workflow) is needed. */
export function doneAtOnce(step: PressStep): step is TakenPress {
  return step.needs === undefined && step.match === undefined && step.private === undefined;
}

/**
 * The collector's step over `sets` (a transferor's: the transfer's codes, then the leg's), and the mask's after it;
 * `found.privateDigits` has the press already.
 */
export function collect(
  sets: readonly FeatureCodeSet[],
  policy: LegPolicy,
  found: Pick<LegDigits, 'collector' | 'privateDigits' | 'peer' | 'creditLag'>,
  key: KeyPress,
  now: number,
): TakenPress {
  const before = found.collector ?? emptyCollector(sets);
  const step = press(
    before,
    sets,
    key.digit,
    { now, at: key.at, held: key.held, paced: key.paced },
    { ...collectorOptions(policy), ...(found.creditLag ? { creditLag: found.creditLag } : {}) },
  );
  const matched = step.match !== undefined;
  const privateOn = privateCollection(step.state, sets, policy.limits);
  return {
    collector: step.state,
    privateDigits: found.privateDigits,
    ...(step.match ? { match: step.match } : {}),
    private: afterStep(found.privateDigits, privateOn, matched, found.peer),
    errors: step.errors,
    acted: matched || collecting(before) || collecting(step.state),
  };
}

/**
 * A press taken since the last one that acted on the switch, and the leg's digit state before it. The two ingests of a
 * pair do not deliver in step (one holds a code's presses while the other, just restarted, sends a later one at once):
 * a press the switch sent before it that comes late is taken in its place, by taking this one again from `before`.
 */
export interface OpenPress {
  event: ChannelEvent;
  before: { collector: CollectorState | undefined; collectorOf: string | undefined; privateDigits: PrivateDigits };
}

/**
 * Presses kept open: a feature code's longest (the limits' 32 digits) and its binding digit and terminator. A code longer
 * than that split by a pair's restart is taken in arrival order past its first presses.
 */
export const OPEN_PRESSES_KEPT = 34;

/** The open presses after `press` (none once a press or a timer acted on the switch: the caller empties them there). */
export function keptOpen(open: readonly OpenPress[], press: OpenPress): OpenPress[] {
  return [...open, press].slice(-OPEN_PRESSES_KEPT);
}

/**
 * Where the open presses are taken again from, for `late` presses the switch sent before some of them (the same switch
 * run, an earlier sequence number): the index of the first open press after one of the late ones; -1 when none is.
 */
export function reopenAt(open: readonly OpenPress[], late: readonly ChannelEvent[]): number {
  return open.findIndex(({ event }) => late.some((l) => sentBefore(l, event)));
}

/** Whether the switch sent `a` before `b`: the same switch run, an earlier sequence number (another run's say nothing). */
export function sentBefore(
  a: Pick<ChannelEvent, 'coreUuid' | 'seq'>,
  b: Pick<ChannelEvent, 'coreUuid' | 'seq'>,
): boolean {
  return a.coreUuid === b.coreUuid && a.seq < b.seq;
}

/** Key presses that did nothing kept for presses that come late (a feature code is a handful of digits). */
export const IDLE_DIGITS_KEPT = 8;

/** The presses kept after `event`: none once one acted, else the last IDLE_DIGITS_KEPT that did nothing. */
export function keptIdle(idle: readonly ChannelEvent[], event: ChannelEvent, acted: boolean): ChannelEvent[] {
  return acted ? [] : [...idle, event].slice(-IDLE_DIGITS_KEPT);
}

/**
 * A read of the leg's feature codes that gave up, on the switch's clock: the switch's time of the press that asked
 * for it plus how long the read took (`readFrom` to `gaveUpAt`, the workflow's clock: a duration is the same on
 * either). The presses the switch sent before it queued behind the read. The mark falls short of the give-up by the
 * press's delivery (the ingest's delay): a press sent in that last moment reads once more.
 */
export function readGaveUp(pressAt: number, readFrom: number, gaveUpAt: number): number {
  return pressAt + Math.max(gaveUpAt - readFrom, 0);
}

/** Whether a press at `at` (the switch's time) reads the leg's feature codes, after a read that gave up at `gaveUp`. */
export function readsAgain(gaveUp: number | undefined, at: number): boolean {
  return gaveUp === undefined || at >= gaveUp;
}

/** Whether a collection is in progress (a digit into it, or one that started or ended it, did something). */
function collecting(state: CollectorState): boolean {
  return state.collecting.some((c) => c !== undefined);
}

/** What the collector reads from a leg's policy besides its sets. */
export function collectorOptions(p: LegPolicy): CollectorOptions {
  return { fallbackTimeoutMs: p.defaultDigitTimeoutMs, limits: p.limits, terminator: p.terminator };
}

/**
 * The sets a transferor's presses are collected with while its transfer runs: the transfer's codes first, then the
 * leg's own feature codes. Its call workflow and the transfer itself (transferor-keys.ts) collect with the same.
 */
export function transferorSets(
  transfer: { id: string; codes: TransferCodes; digitTimeoutMs: number },
  own: readonly FeatureCodeSet[],
): FeatureCodeSet[] {
  return [...transferCodeSets(transfer.codes, transfer.id, transfer.digitTimeoutMs), ...own];
}
