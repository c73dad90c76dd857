// Feature codes kept from the other party (a metaflow's `private_codes`): while a code of such a metaflow is being
// typed, the presser's peer does not hear the digits; what turns out not to be a code is sent on to the peer at once.
//
// What the switch does (captures of steps 22a-22b): a digit pressed on a leg shows as DTMF on the event socket and
// crosses the bridge to the peer's phone ~20 ms later; `uuid_drop_dtmf <peer> on mask_digits x` (any time, on the
// peer) drops every digit sent to the peer until `off`, while the event socket still sees the presser's digits. The
// binding digit therefore always reaches the peer (Handoff only hears of it after the switch has passed it on), so the
// mask goes on when the binding digit arms a private collection and comes off when the collection ends. Which digits
// the mask dropped is read from the switch's own timestamps: those that came after the mask command was sent and
// before the command that lifted it. Digits are sent on only after the mask is lifted, so whether the mask would also
// drop a digit Handoff sends (the captures do not show it) does not matter.
//
// Pure: the call workflow (call.ts) carries out what `afterStep` answers.
import { findMetaflow, mayGoOn, type CollectorState } from './collector.ts';
import type { FeatureCodeSet } from '../contracts/metaflows.ts';
import { DEFAULT_FEATURE_CODE_LIMITS, type FeatureCodeLimits } from '../contracts/patterns.ts';

/** The mask on a peer's ear: since when (the switch's clock), and until when once lifted. */
export interface DigitMask {
  peer: string;
  from: number;
  until?: number;
}

export interface PrivateDigits {
  mask?: DigitMask;
  /** Digits the mask dropped that are neither sent on nor part of a code yet, in order. */
  dropped: string;
}

export const NO_PRIVATE_DIGITS: PrivateDigits = { dropped: '' };

/** A digit the leg pressed at `at` (the switch's time): kept in `dropped` when the mask was on as it crossed. */
export function digitPressed(state: PrivateDigits, digit: string, at: number): PrivateDigits {
  const m = state.mask;
  if (!m || at < m.from || (m.until !== undefined && at >= m.until)) return state;
  return { ...state, dropped: state.dropped + digit };
}

/**
 * Is a collection of a private metaflow under way that may still be a code? One that matches nothing and that no digit
 * can make match (`*9` where no code starts with 9) is no code already: the collector waits for its timer as it always
 * has, but the mask need not.
 */
export function privateCollection(
  collector: CollectorState | undefined,
  sets: readonly FeatureCodeSet[],
  limits: FeatureCodeLimits = DEFAULT_FEATURE_CODE_LIMITS,
): boolean {
  if (!collector) return false;
  // A running transfer's codes are as private as the transferor's own: kept from the target when any set is.
  const transferPrivate = sets.some((set) => set.owner !== 'transfer' && set.metaflows.private_codes === true);
  return sets.some((set, i) => {
    const collected = collector.collecting[i];
    const isPrivate = set.owner === 'transfer' ? transferPrivate : set.metaflows.private_codes === true;
    if (!isPrivate || collected === undefined) return false;
    return mayGoOn(set, collected, limits) || findMetaflow(set, collected, [], limits) !== undefined;
  });
}

/** What to do after a collector step: mask the peer, lift the mask (sending on `resend`), or nothing. */
export type PrivateAction = { do: 'mask'; peer: string } | { do: 'unmask'; peer: string; resend: string } | undefined;

/**
 * After the collector took a digit or its timer fired. `collecting`: a private collection is under way; `matched`: a
 * code was found (its digits stay with Handoff); `peer`: the leg's bridged peer now.
 */
export function afterStep(
  state: PrivateDigits,
  collecting: boolean,
  matched: boolean,
  peer: string | undefined,
): PrivateAction {
  const open = state.mask && state.mask.until === undefined;
  if (collecting) return !open && peer ? { do: 'mask', peer } : undefined;
  if (!state.mask) return undefined;
  // The collection is over: lift a mask still on, and send on what it dropped unless it was the code.
  const resend = matched ? '' : state.dropped;
  if (open || resend) return { do: 'unmask', peer: state.mask.peer, resend };
  return undefined;
}

/** The mask went on at `from` (the switch's clock, as the command was sent). */
export function masked(state: PrivateDigits, peer: string, from: number): PrivateDigits {
  return { mask: { peer, from }, dropped: state.dropped };
}

/** The mask came off at `until` (the command lifting it was sent): what it dropped is sent on or was a code's. */
export function unmasked(state: PrivateDigits, until: number): PrivateDigits {
  return state.mask ? { mask: { ...state.mask, until: state.mask.until ?? until }, dropped: '' } : NO_PRIVATE_DIGITS;
}
