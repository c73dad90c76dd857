// The codes that act during a transfer, as one grammar. Each is a DTMF string whose first character is its binding
// digit (`*3`: binding `*`, number `3`); they are matched by the feature-code collector's own rules
// (workflows/collector.ts: the binding digit arms it, each digit restarts the inter-digit timer, numbers are tried
// before patterns, the whole collected string must match), in feature-code sets of their own that come before the
// leg's metaflows. So during a transfer `*3` is the three-way even where the account's metaflows bind `3` to something
// else, and every other code typed (`*5`, a metaflow's pattern) still reaches the leg's metaflows: a `*` is no longer
// swallowed by the takeback. Outside a transfer none of these codes exists.
//
// Who may press which, and when (the phases are the transfer machine's, workflows/transfer-machine.ts):
//
// | code      | default | pressed by | acts while                             | does                                                        |
// |-----------|---------|------------|----------------------------------------|-------------------------------------------------------------|
// | takeback  | `*1`    | transferor | ringing, consulting, three_way, swapped | drops the target: transferor and transferee talk again      |
// | three_way | `*3`    | transferor | consulting, swapped                    | transferor, transferee and target talk in one conference    |
// | swap      | `*4`    | transferor | consulting, swapped                    | the transferor talks to the other party; the one left hears music |
//
// Only the transferor presses them: the transferee is the one being handed on (it hears music, or takes part in the
// three-way) and the target is a leg the transfer dialled. Every party's own metaflows (Kazoo's `hold`, `hangup` ...)
// keep working after these codes; a second `transfer` is refused while one runs on the leg. A code pressed in a phase
// where it does nothing is consumed and ignored (it never reaches the metaflows as something else).
import { DTMF_PATTERN } from './grammar.ts';
import type { FeatureCodeSet, Metaflow } from './metaflows.ts';

export const TRANSFER_CODE_ACTIONS = ['takeback', 'three_way', 'swap'] as const;
export type TransferCodeAction = (typeof TRANSFER_CODE_ACTIONS)[number];

/** The transfer's codes; a code left out is off for that transfer (the takeback always has one). */
export type TransferCodes = { takeback: string } & Partial<Record<Exclude<TransferCodeAction, 'takeback'>, string>>;

export const DEFAULT_TRANSFER_CODES: Readonly<Required<TransferCodes>> = {
  takeback: '*1',
  three_way: '*3',
  swap: '*4',
};

/** The phases (of workflows/transfer-machine.ts) in which each code acts, and who may press it. */
export const TRANSFER_CODE_RULES: Readonly<
  Record<TransferCodeAction, { pressedBy: 'transferor'; phases: readonly string[] }>
> = {
  takeback: { pressedBy: 'transferor', phases: ['ringing', 'consulting', 'three_way', 'swapped'] },
  three_way: { pressedBy: 'transferor', phases: ['consulting', 'swapped'] },
  swap: { pressedBy: 'transferor', phases: ['consulting', 'swapped'] },
};

/** The metaflow module a transfer code's match carries: the action itself. */
const MODULE_PREFIX = 'transfer_code:';

/** Whether the codes can be told apart: each 1-8 DTMF characters, no two the same. Undefined when they are fine. */
export function checkTransferCodes(codes: TransferCodes): string | undefined {
  const seen = new Map<string, TransferCodeAction>();
  for (const action of TRANSFER_CODE_ACTIONS) {
    const code = codes[action];
    if (code === undefined) {
      if (action === 'takeback') return 'the takeback code is required';
      continue;
    }
    if (!DTMF_PATTERN.test(code)) return `${action}: ${JSON.stringify(code)} is not 1-8 DTMF digits`;
    const other = seen.get(code);
    if (other) return `${action} and ${other} have the same code ${JSON.stringify(code)}`;
    seen.set(code, action);
  }
  return undefined;
}

/**
 * The feature-code sets that match the transferor's transfer codes: one per binding digit, the rest of each code its
 * `numbers` key. They go first in the collector's list, before the leg's own sets. `digitTimeoutMs`: the transfer's
 * inter-digit timeout (the transferor's metaflows', or the configured default).
 */
export function transferCodeSets(codes: TransferCodes, transferId: string, digitTimeoutMs: number): FeatureCodeSet[] {
  const byBinding = new Map<string, Record<string, Metaflow>>();
  for (const action of TRANSFER_CODE_ACTIONS) {
    const code = codes[action];
    if (code === undefined) continue;
    const binding = code[0]!;
    const numbers = byBinding.get(binding) ?? {};
    numbers[code.slice(1)] = { module: `${MODULE_PREFIX}${action}` };
    byBinding.set(binding, numbers);
  }
  return [...byBinding].map(([binding, numbers]) => ({
    owner: 'transfer' as const,
    ownerLeg: transferId,
    metaflows: { binding_digit: binding, digit_timeout: digitTimeoutMs, numbers },
  }));
}

/** The transfer code a collector match is, or undefined for a metaflow's own code. */
export function transferCodeOf(match: { set: FeatureCodeSet; metaflow: Metaflow }): TransferCodeAction | undefined {
  if (match.set.owner !== 'transfer' || !match.metaflow.module.startsWith(MODULE_PREFIX)) return undefined;
  const action = match.metaflow.module.slice(MODULE_PREFIX.length);
  return (TRANSFER_CODE_ACTIONS as readonly string[]).includes(action) ? (action as TransferCodeAction) : undefined;
}

/** Does this code act when this party presses it in this phase? */
export function codeActs(action: TransferCodeAction, party: string, phase: string): boolean {
  const rule = TRANSFER_CODE_RULES[action];
  return rule.pressedBy === party && rule.phases.includes(phase);
}
