// The DTMF collector: Kazoo's konami_code_statem without its bugs, as a pure function of (state, input).
// - a binding digit (default `*`) arms it; each further digit restarts the inter-digit timer (default 800 ms);
// - on the timeout, numbers (exact) are tried before patterns; patterns are regular expressions that must match the
//   WHOLE collected string (Kazoo's are unanchored: `2(\d+)` matched `12345`; ours do not), run on RE2
//   (contracts/patterns.ts);
// - at most `limits.maxDigits` digits are collected: one more ends that collection as no match;
// - the binding digit pressed while armed is collected like any other digit (Kazoo's default, fast re-arm off);
// - one collector per feature-code set, so a leg's own codes and its peer's (listen_on peer|both) both work.
import type { FeatureCodeSet, Metaflow } from '../contracts/metaflows.ts';
import {
  compilePattern,
  DEFAULT_FEATURE_CODE_LIMITS,
  matchPattern,
  type FeatureCodeLimits,
} from '../contracts/patterns.ts';

export const DEFAULT_BINDING_DIGIT = '*';
export const DEFAULT_DIGIT_TIMEOUT_MS = 800;

export interface CollectorState {
  /** Per feature-code set: the digits collected since the binding digit, or undefined when not armed. */
  collecting: (string | undefined)[];
  /** Per feature-code set: when its inter-digit timer runs out (workflow time, ms). */
  deadlines?: (number | undefined)[];
  /** The earliest of `deadlines`: when the caller's timer must fire; undefined when none is armed. */
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
  limits: Pick<FeatureCodeLimits, 'maxDigits'> = DEFAULT_FEATURE_CODE_LIMITS,
): CollectorState {
  const deadlines: (number | undefined)[] = [];
  const collecting = sets.map((set, i) => {
    const current = state.collecting[i];
    const binding = set.metaflows.binding_digit || DEFAULT_BINDING_DIGIT;
    let next: string | undefined;
    // Past the cap no code can match: the collection ends here, as no match.
    if (current !== undefined) next = current.length < limits.maxDigits ? current + digit : undefined;
    else if (digit === binding) next = '';
    deadlines[i] = next === undefined ? undefined : now + digitTimeout(set, fallbackTimeoutMs);
    return next;
  });
  return { collecting, deadlines, deadline: earliest(deadlines) };
}

function earliest(deadlines: (number | undefined)[]): number | undefined {
  const armed = deadlines.filter((d): d is number => d !== undefined);
  return armed.length ? Math.min(...armed) : undefined;
}

/**
 * The inter-digit timer fired (at `state.deadline`): each set whose own timer has run out matches what it holds and is
 * disarmed; a set with a longer digit_timeout keeps collecting. A match disarms every set: one action per key press.
 */
export function timeOut(
  state: CollectorState,
  sets: readonly FeatureCodeSet[],
  limits: FeatureCodeLimits = DEFAULT_FEATURE_CODE_LIMITS,
): { state: CollectorState; match?: FeatureCodeMatch; errors: string[] } {
  const errors: string[] = [];
  const now = state.deadline ?? Number.POSITIVE_INFINITY;
  let match: FeatureCodeMatch | undefined;
  const collecting = [...state.collecting];
  const deadlines = sets.map((_, i) => state.deadlines?.[i] ?? (collecting[i] !== undefined ? now : undefined));
  sets.forEach((set, i) => {
    const collected = collecting[i];
    if (collected === undefined || (deadlines[i] ?? now) > now) return;
    collecting[i] = undefined;
    deadlines[i] = undefined;
    if (match) return;
    const found = findMetaflow(set, collected, errors, limits);
    if (found) match = { set, collected, ...found };
  });
  if (match) return { state: { collecting: sets.map(() => undefined) }, match, errors };
  return { state: { collecting, deadlines, deadline: earliest(deadlines) }, errors };
}

/** Numbers (exact) first, then patterns in key order, each matched against the whole collected string. */
export function findMetaflow(
  set: FeatureCodeSet,
  collected: string,
  errors: string[] = [],
  limits: FeatureCodeLimits = DEFAULT_FEATURE_CODE_LIMITS,
): { metaflow: Metaflow; captures: string[]; key: string } | undefined {
  if (collected.length > limits.maxDigits) return undefined;
  const numbers = set.metaflows.numbers ?? {};
  const exact = numbers[collected];
  if (exact && Object.prototype.hasOwnProperty.call(numbers, collected)) {
    return { metaflow: exact, captures: [], key: collected };
  }
  for (const [pattern, metaflow] of Object.entries(set.metaflows.patterns ?? {})) {
    const compiled = compilePattern(pattern, limits);
    if (!compiled.active) {
      errors.push(`pattern ${JSON.stringify(pattern)} is not run: ${compiled.reason}`);
      continue;
    }
    const captures = matchPattern(compiled, collected);
    if (captures) return { metaflow, captures, key: pattern };
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
