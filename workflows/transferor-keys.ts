// A transfer's own hearing of its transferor's key presses. While the transferor's leg carries handoff_active_transfer,
// the ingest sends the transfer a copy of each of the leg's presses (workers/ingest/events.ts) besides the one its call
// workflow collects. The transfer runs the same collector over the same sets (its codes, then the leg's feature codes
// as the call workflow had read them when it started the transfer), on the switch's clock, and acts on a transfer code
// that a press itself decides (the takeback `*1`, which nothing extends): the call workflow's task and its signal to
// the transfer are then no longer steps the caller waits for.
//
// Everything else stays the call workflow's: a code its digit timeout decides (no timer runs here), the leg's own
// codes, a private code's mask. It still signals each transfer code it matches, with the code's last press: whichever
// of the two reaches the transfer first acts, and the other finds that press taken. A press the transfer never heard
// (the ingest learnt the leg's transfer after it, or lost its copy) leaves the code to the call workflow's signal.
import type { LegPolicy } from '../activities/policy.ts';
import { keyPressId } from '../contracts/ids.ts';
import type { ChannelEvent } from '../contracts/messages.ts';
import type { FeatureCodeSet } from '../contracts/metaflows.ts';
import { transferCodeOf, type TransferCodeAction } from '../contracts/transfer-codes.ts';
import { emptyCollector, press, type CollectorState } from './collector.ts';
import { collectorOptions } from './key-press.ts';

export interface TransferorKeys {
  collector: CollectorState | undefined;
  /** The last presses of the codes acted on, either way (keyPressId): the latest TAKEN_KEPT. */
  taken: string[];
}

export const NO_KEYS: TransferorKeys = { collector: undefined, taken: [] };

/** A code is a handful of presses, and a transfer acts on a few codes at most. */
export const TAKEN_KEPT = 8;

/** A press heard: the keys' new state, and the transfer code it decides (not acted on yet either way), if any. */
export interface Heard {
  keys: TransferorKeys;
  code?: TransferCodeAction;
}

/**
 * A press of the transferor's, as its copy reached the transfer; `sets` and `policy`: what the call workflow collects
 * with (key-press.ts `transferorSets`).
 */
export function transferorPressed(
  keys: TransferorKeys,
  sets: readonly FeatureCodeSet[],
  policy: LegPolicy,
  event: ChannelEvent,
): Heard {
  if (event.name !== 'DTMF' || !event.digit) return { keys };
  const before = keys.collector ?? emptyCollector(sets);
  const when = { now: event.at, at: event.at, held: event.held, paced: event.paced };
  const step = press(before, sets, event.digit, when, collectorOptions(policy));
  const next = { ...keys, collector: step.state };
  const code = step.match && !step.byTimeout ? transferCodeOf(step.match) : undefined;
  if (!code) return { keys: next };
  const taken = codeTaken(next, keyPressId(event));
  return taken.fresh ? { keys: taken.keys, code } : { keys: taken.keys };
}

/**
 * A code that ends with press `key` reached the transfer (its own hearing, or the call workflow's signal): `fresh`
 * when it was not acted on yet, and it counts as acted on from now. A code without its press (a REST request, a call
 * workflow from before) is always fresh.
 */
export function codeTaken(keys: TransferorKeys, key: string | undefined): { keys: TransferorKeys; fresh: boolean } {
  if (key === undefined) return { keys, fresh: true };
  if (keys.taken.includes(key)) return { keys, fresh: false };
  return { keys: { ...keys, taken: [...keys.taken, key].slice(-TAKEN_KEPT) }, fresh: true };
}
