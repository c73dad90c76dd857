// The DTMF collector: Kazoo's konami_code_statem without its bugs, as a pure function of (state, input).
// - a binding digit (default `*`) arms it; each further digit restarts the inter-digit timer (default 800 ms);
// - on the timeout, numbers (exact) are tried before patterns; patterns are regular expressions that must match the
//   WHOLE collected string (Kazoo's are unanchored: `2(\d+)` matched `12345`; ours do not);
// - the binding digit pressed while armed is collected like any other digit (Kazoo's default, fast re-arm off);
// - one collector per feature-code set, so a leg's own codes and its peer's (listen_on peer|both) both work.
import type { FeatureCodeSet, Metaflow } from './metaflows.ts';

export const DEFAULT_BINDING_DIGIT = '*';
export const DEFAULT_DIGIT_TIMEOUT_MS = 800;

export interface CollectorState {
  /** Per feature-code set: the digits collected since the binding digit, or undefined when not armed. */
  collecting: (string | undefined)[];
  /** When the armed collectors time out (workflow time, ms); undefined when none is armed. */
  deadline?: number;
}

export interface FeatureCodeMatch {
  set: FeatureCodeSet;
  collected: string;
  metaflow: Metaflow;
  captures: string[];
  /** `numbers` key or `patterns` key that matched. */
  key: string;
}

export function emptyCollector(sets: readonly FeatureCodeSet[]): CollectorState {
  return { collecting: sets.map(() => undefined) };
}

function digitTimeout(set: FeatureCodeSet, fallbackMs: number): number {
  const t = set.metaflows.digit_timeout;
  return typeof t === 'number' && t >= 0 ? t : fallbackMs;
}

/** A digit pressed on the leg. Returns the new state; the caller re-arms its timer at `deadline`. */
export function pressDigit(
  state: CollectorState,
  sets: readonly FeatureCodeSet[],
  digit: string,
  now: number,
  fallbackTimeoutMs = DEFAULT_DIGIT_TIMEOUT_MS,
): CollectorState {
  let deadline: number | undefined;
  const collecting = sets.map((set, i) => {
    const current = state.collecting[i];
    const binding = set.metaflows.binding_digit || DEFAULT_BINDING_DIGIT;
    let next: string | undefined;
    if (current !== undefined) next = current + digit;
    else if (digit === binding) next = '';
    if (next !== undefined) {
      const d = now + digitTimeout(set, fallbackTimeoutMs);
      deadline = deadline === undefined ? d : Math.min(deadline, d);
    }
    return next;
  });
  return { collecting, deadline };
}

/** The inter-digit timer fired: match what each armed collector holds, and disarm them all. */
export function timeOut(
  state: CollectorState,
  sets: readonly FeatureCodeSet[],
): { state: CollectorState; match?: FeatureCodeMatch; errors: string[] } {
  const errors: string[] = [];
  let match: FeatureCodeMatch | undefined;
  sets.forEach((set, i) => {
    const collected = state.collecting[i];
    if (collected === undefined || match) return;
    const found = findMetaflow(set, collected, errors);
    if (found) match = { set, collected, ...found };
  });
  return { state: { collecting: sets.map(() => undefined) }, match, errors };
}

/** Numbers (exact) first, then patterns in key order, each anchored to the whole collected string. */
export function findMetaflow(
  set: FeatureCodeSet,
  collected: string,
  errors: string[] = [],
): { metaflow: Metaflow; captures: string[]; key: string } | undefined {
  const numbers = set.metaflows.numbers ?? {};
  const exact = numbers[collected];
  if (exact && Object.prototype.hasOwnProperty.call(numbers, collected)) {
    return { metaflow: exact, captures: [], key: collected };
  }
  for (const [pattern, metaflow] of Object.entries(set.metaflows.patterns ?? {})) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${pattern})$`);
    } catch (err) {
      errors.push(`pattern ${JSON.stringify(pattern)} does not compile: ${(err as Error).message}`);
      continue;
    }
    const m = re.exec(collected);
    if (m) return { metaflow, captures: m.slice(1).map((c) => c ?? ''), key: pattern };
  }
  return undefined;
}

/**
 * How far the digits typed so far go into the takeback code: the longest suffix of `typed` that is a prefix of `code`.
 * A digit that leaves this above zero belongs to the takeback code and must not start a feature-code collection.
 */
export function takebackProgress(typed: string, code: string): number {
  for (let n = Math.min(typed.length, code.length); n > 0; n--) {
    if (code.startsWith(typed.slice(typed.length - n))) return n;
  }
  return 0;
}
