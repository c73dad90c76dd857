// The DTMF collector: Kazoo's konami_code_statem without its bugs, as a pure function of (state, input).
// - a binding digit (default `*`) arms it; each further digit restarts the inter-digit timer (default 800 ms);
// - on the timeout, numbers (exact) are tried before patterns; patterns are regular expressions that must match the
//   WHOLE collected string (Kazoo's are unanchored: `2(\d+)` matched `12345`; ours do not), run on RE2
//   (contracts/patterns.ts);
// - at most `limits.maxDigits` digits are collected: one more ends that collection as no match;
// - the binding digit pressed while armed is collected like any other digit (Kazoo's default, fast re-arm off);
// - one collector per feature-code set, so a leg's own codes and its peer's (listen_on peer|both) both work;
// - a code is acted on at once, without the inter-digit wait, when it is complete (`press`): the caller pressed the
//   terminator (`#` by default), or what is collected matches and no `numbers` key, no pattern and no pattern's
//   declared length (`digits`) could take another digit;
// - gaps are measured on the switch's own timestamps, as the takeback matcher does (takeback.ts): a digit pressed
//   after the timeout ran out, by the switch's clock, does not join the code, however late it is delivered; and a
//   timer that fires long after the last digit (Temporal or the workflow worker was away) first waits a short grace
//   for digits the ingest still holds (`timerFired`);
// - the timer counts from the press, not from its delivery: the time a digit took from the switch's stamp to the
//   workflow is taken off its wait, up to DIGIT_LAG_CREDIT_MS (`lagCredit`), so a code ends about the timeout after the
//   caller's last key rather than that plus the ingest's and Temporal's delivery;
// - a collection its timer ended as no match is reopened by the next digit when the switch stamped that digit within
//   the digit timeout of the collection's last one (`press`): the timer fired before the ingest delivered digits
//   pressed in time (it was away, or Temporal was, for less than LATE_TIMER_MS). A no match did nothing on the switch,
//   so taking it back changes nothing the caller saw; a match that acted is never reopened;
// - a timer whose collection's last digit came through a paced ingest (`DigitArrival.paced`: Temporal refused the
//   node's signals over its rate limit, and the ingest now sends them at a pace, one channel's keys a few hundred ms
//   after their press) first waits PACED_DIGITS_GRACE_MS, once per digit: a digit pressed in time could still be in
//   the ingest's queue, and a match, unlike a no match, cannot be reopened once it acted.
import type { FeatureCodeSet, Metaflow } from '../contracts/metaflows.ts';
import {
  canMatchLonger,
  compilePattern,
  DEFAULT_FEATURE_CODE_LIMITS,
  matchPattern,
  mayContain,
  searchBudget,
  type FeatureCodeLimits,
} from '../contracts/patterns.ts';

export const DEFAULT_BINDING_DIGIT = '*';
export const DEFAULT_DIGIT_TIMEOUT_MS = 800;
/** The key that ends a code at once, where the configuration and the metaflows name none. */
export const DEFAULT_TERMINATOR = '#';
/**
 * A timer that fires more than this after the last digit's switch timestamp plus the digit timeout fired late: more
 * than a production cluster's timer granularity (about 1 s for short timers), the ingest's usual delay and the
 * clocks' skew together. Digits pressed meanwhile may still be held by the ingest (Temporal was away).
 */
export const LATE_TIMER_MS = 3000;
/**
 * How long a late timer waits for held digits, at most: the ingest retries a held batch with a backoff that doubles up
 * to 5 s (its queue), so after an outage of L ms its next try comes within about min(L, 5 s), and its connection to
 * Temporal may take a moment more. The wait is the timer's lateness plus HELD_DIGITS_MARGIN_MS, at most this: a timer
 * made late by a slow worker rather than an outage costs the caller about as long again, not more.
 */
export const HELD_DIGITS_GRACE_MS = 10_000;
export const HELD_DIGITS_MARGIN_MS = 2000;
/**
 * How long a timer waits, before it decides, when the collection's last digit came through a paced ingest. A paced
 * ingest sends a caller's key presses ahead of other events but no faster than its pace, at least MIN_PACE (2) signals
 * a second (workers/ingest/queue.ts): a wait of a second covers the key presses of the channel and one other ahead of
 * it at the least pace, and the few hundred ms a key waited in a flood at the load benchmark's storm. Only while the
 * ingest is paced: a caller's code takes this much longer then, never otherwise.
 */
export const PACED_DIGITS_GRACE_MS = 1000;
/**
 * The most of a digit's delivery (the switch's stamp of the press to the workflow's task that takes it) that counts as
 * already waited: the inter-digit timeout is the caller's pause, which the switch's clock measures, not the engine's
 * delivery added to it. Capped, and at most a quarter of the set's timeout, because a deadline that trusts the stamp
 * entirely would race the next key: a key pressed in time but delivered later than the timer's fire is taken for a
 * new code (a match that acted cannot be taken back). So a key may come this much later than the one before it and
 * still join the code (before: no later than the timeout after the previous key's arrival), and a switch clock behind
 * Temporal's shortens the wait by at most this much.
 */
export const DIGIT_LAG_CREDIT_MS = 100;

export interface CollectorState {
  /** Per feature-code set: the digits collected since the binding digit, or undefined when not armed. */
  collecting: (string | undefined)[];
  /** Per feature-code set: when its inter-digit timer runs out (workflow time, ms). */
  deadlines?: (number | undefined)[];
  /** The earliest of `deadlines`: when the caller's timer must fire; undefined when none is armed. */
  deadline?: number;
  /** Per feature-code set: the switch's timestamp (ms) of its last digit; absent in states kept before it was. */
  lastAt?: (number | undefined)[];
  /**
   * No wait for held digits is due when the timer fires late: one was given already since the last digit, or the last
   * digit was itself delivered late (the ingest is delivering what it held, in order: the rest follows it; see
   * `deliveredLate`).
   */
  graceSpent?: boolean;
  /** The last digit came through a paced ingest (`DigitArrival.paced`): the timer waits for the rest first. */
  paced?: boolean;
  /** Per feature-code set: the collection its timer last ended as no match, until the next digit (`press`). */
  ended?: (EndedCollection | undefined)[];
}

/** A wait for digits the ingest may still hold (`timerFired`): its deadline, and why it was given. */
export interface HeldWait {
  until: number;
  late: boolean;
  /** The switch's time of the last digit the collections have (ms). */
  lastAt: number;
}

/** A collection a timer ended as no match: what it held, and the switch's timestamp (ms) of its last digit. */
export interface EndedCollection {
  collected: string;
  at: number;
}

/** What a collection is read with, besides its sets: the policy's fallbacks. */
export interface CollectorOptions {
  /** The digit timeout of a set that names none. */
  fallbackTimeoutMs?: number;
  limits?: FeatureCodeLimits;
  /** The terminator of a set that names none; `""` for none. */
  terminator?: string;
  /**
   * Whether a timer may wait for a paced ingest's digits (PACED_DIGITS_GRACE_MS); asked only when one would. The call
   * workflow answers with its patch, so that a workflow that decided without the wait before replays as it ran.
   * Default: yes.
   */
  pacedGrace?: () => boolean;
  /**
   * Whether a digit's deadline counts its delivery as waited (`lagCredit`); asked only when a digit came after its
   * stamp and arms or moves a deadline. The call workflow answers with its patch, so that a workflow whose deadlines
   * counted from the digits' arrival replays as it ran. Default: no.
   */
  creditLag?: () => boolean;
}

/** How much of a digit's delivery (`now` − `at`) a set with this timeout takes off its wait (DIGIT_LAG_CREDIT_MS). */
export function lagCredit(timeoutMs: number, now: number, at: number): number {
  return Math.max(0, Math.min(now - at, DIGIT_LAG_CREDIT_MS, timeoutMs / 4));
}

/**
 * A state carried to the next run (continue-as-new) arrives through JSON, where an array's `undefined` becomes `null`:
 * read as a collection in progress, a null crashed the next digit's workflow task (`null.endsWith`) in every long call
 * that continued as new between two codes. Read back, a null is what it was: nothing collected, no deadline, nothing
 * ended.
 */
export function carriedCollector(state: CollectorState): CollectorState {
  const back = <T>(xs: readonly (T | null | undefined)[]): (T | undefined)[] => xs.map((x) => x ?? undefined);
  return {
    ...state,
    collecting: back(state.collecting),
    ...(state.deadlines ? { deadlines: back(state.deadlines) } : {}),
    ...(state.lastAt ? { lastAt: back(state.lastAt) } : {}),
    ...(state.ended ? { ended: back(state.ended) } : {}),
  };
}

/** A collector's step: its new state, and the code to act on, if any. */
export interface CollectorStep {
  state: CollectorState;
  match?: FeatureCodeMatch;
  errors: string[];
  /**
   * The timer now waits for digits the ingest may still hold (re-armed, nothing decided): until when, and whether the
   * timer was late (else the last digit came paced).
   */
  heldWait?: HeldWait;
  /**
   * The match is a collection the digit's arrival found timed out (its timer had not fired yet), not one the digit
   * itself decided: the timer's match, which only the collector that runs the timer acts on.
   */
  byTimeout?: boolean;
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

/** A set's inter-digit timeout: its metaflows' `digit_timeout`, else `fallbackMs`. */
export function digitTimeoutOf(set: FeatureCodeSet, fallbackMs = DEFAULT_DIGIT_TIMEOUT_MS): number {
  const t = set.metaflows.digit_timeout;
  return typeof t === 'number' && t >= 0 ? t : fallbackMs;
}

/**
 * A digit pressed on the leg. Returns the new state; the caller re-arms its timer at `deadline`. `at`: the switch's
 * stamp of the press, when its delivery counts as waited (`lagCredit`).
 */
export function pressDigit(
  state: CollectorState,
  sets: readonly FeatureCodeSet[],
  digit: string,
  now: number,
  fallbackTimeoutMs = DEFAULT_DIGIT_TIMEOUT_MS,
  limits: Pick<FeatureCodeLimits, 'maxDigits'> = DEFAULT_FEATURE_CODE_LIMITS,
  at?: () => number | undefined,
): CollectorState {
  const deadlines: (number | undefined)[] = [];
  const collecting = sets.map((set, i) => {
    const current = state.collecting[i];
    const binding = set.metaflows.binding_digit || DEFAULT_BINDING_DIGIT;
    let next: string | undefined;
    // Past the cap no code can match: the collection ends here, as no match.
    if (current !== undefined) next = current.length < limits.maxDigits ? current + digit : undefined;
    else if (digit === binding) next = '';
    if (next === undefined) deadlines[i] = undefined;
    else {
      const timeout = digitTimeoutOf(set, fallbackTimeoutMs);
      const stamp = at?.();
      deadlines[i] = now + timeout - (stamp === undefined ? 0 : lagCredit(timeout, now, stamp));
    }
    return next;
  });
  return { collecting, deadlines, deadline: earliest(deadlines) };
}

function earliest(deadlines: (number | undefined)[]): number | undefined {
  const armed = deadlines.filter((d): d is number => d !== undefined);
  return armed.length ? Math.min(...armed) : undefined;
}

function deadlinesOf(state: CollectorState, now: number): (number | undefined)[] {
  return state.collecting.map((c, i) => state.deadlines?.[i] ?? (c !== undefined ? now : undefined));
}

/**
 * Ends the collections `due` says have ended, in set order: each matches what it holds (`code` of it) and is disarmed;
 * the first match disarms every set. The others keep collecting.
 */
function endCollections(
  state: CollectorState,
  sets: readonly FeatureCodeSet[],
  due: (i: number) => boolean,
  code: (set: FeatureCodeSet, collected: string) => string,
  limits: FeatureCodeLimits,
): CollectorStep {
  const errors: string[] = [];
  let match: FeatureCodeMatch | undefined;
  const collecting = [...state.collecting];
  const deadlines = deadlinesOf(state, state.deadline ?? Number.POSITIVE_INFINITY);
  const lastAt = state.collecting.map((_, i) => state.lastAt?.[i]);
  const ended = state.collecting.map((_, i) => state.ended?.[i]);
  sets.forEach((set, i) => {
    const collected = collecting[i];
    if (collected === undefined || !due(i)) return;
    const last = lastAt[i];
    collecting[i] = undefined;
    deadlines[i] = undefined;
    lastAt[i] = undefined;
    if (match) return;
    const digits = code(set, collected);
    const found = findMetaflow(set, digits, errors, limits);
    if (found) match = { set, collected: digits, ...found };
    // A terminator ended it as the caller meant: only the timer's endings may be reopened.
    else if (last !== undefined && digits === collected) ended[i] = { collected, at: last };
  });
  if (match) return { state: { collecting: sets.map(() => undefined) }, match, errors };
  const endings = ended.some((e) => e !== undefined) ? { ended } : {};
  return { state: { collecting, deadlines, deadline: earliest(deadlines), lastAt, ...endings }, errors };
}

/** The key that ends this set's codes at once, or undefined where none does (see `terminatorOf`). */
export function terminatorOf(
  set: FeatureCodeSet,
  fallback: string | undefined,
  limits: FeatureCodeLimits = DEFAULT_FEATURE_CODE_LIMITS,
): string | undefined {
  const named = set.metaflows.terminator;
  const key = typeof named === 'string' ? named : (fallback ?? DEFAULT_TERMINATOR);
  if (key.length !== 1) return undefined;
  // Off where the key means something else: it arms the collector, or a code may contain it.
  if (key === (set.metaflows.binding_digit || DEFAULT_BINDING_DIGIT)) return undefined;
  if (Object.keys(set.metaflows.numbers ?? {}).some((n) => n.includes(key))) return undefined;
  for (const pattern of Object.keys(set.metaflows.patterns ?? {})) {
    const compiled = compilePattern(pattern, limits);
    if (compiled.active && mayContain(compiled, key)) return undefined;
  }
  return key;
}

/** Could another digit still make this set's collection match (a longer `numbers` key, a pattern, its declared length)? */
export function mayGoOn(set: FeatureCodeSet, collected: string, limits: FeatureCodeLimits): boolean {
  const room = limits.maxDigits - collected.length;
  if (room <= 0) return false; // one more digit ends the collection as no match
  for (const number of Object.keys(set.metaflows.numbers ?? {})) {
    if (number.length > collected.length && number.startsWith(collected)) return true;
  }
  // One search budget for the whole document: however many costly patterns it holds, one digit costs a few ms.
  const budget = searchBudget();
  for (const [pattern, metaflow] of Object.entries(set.metaflows.patterns ?? {})) {
    const compiled = compilePattern(pattern, limits);
    if (!compiled.active) continue;
    const length = metaflow.digits;
    if (length !== undefined && collected.length >= length) continue;
    const upTo = length !== undefined ? Math.min(room, length - collected.length) : room;
    if (canMatchLonger(compiled, collected, upTo, budget)) {
      return true;
    }
  }
  return false;
}

/**
 * A digit pressed on the leg at `now` (workflow time), `at` on the switch's clock. First, a collection its timer ended
 * as no match is reopened when the switch stamped this digit within its digit timeout of that collection's last digit
 * (the timer fired before the ingest delivered it); collections whose digit timeout ran out before it, by the
 * switch's clock, end (their timer had not fired yet: a late delivery); then the digit is collected; then, when every armed set's collection is decided, the first match in set order is acted on
 * at once. A collection is decided when the terminator ended it (it matches what came before the terminator, or
 * nothing) or when no further digit could change what it matches (no longer `numbers` key, no pattern that could
 * take another digit within its declared length and the digit cap). While any set could still go on, the timers
 * decide, as before: what is chosen at once is what the timer would have chosen.
 */
export function press(
  state: CollectorState,
  sets: readonly FeatureCodeSet[],
  digit: string,
  when: DigitArrival,
  opts: CollectorOptions = {},
): CollectorStep {
  const limits = opts.limits ?? DEFAULT_FEATURE_CODE_LIMITS;
  const fallback = opts.fallbackTimeoutMs ?? DEFAULT_DIGIT_TIMEOUT_MS;
  const errors: string[] = [];
  const reopen = sets.map((set, i) => {
    const ended = state.ended?.[i];
    if (state.collecting[i] !== undefined || ended === undefined) return undefined;
    const gap = when.at - ended.at;
    return gap >= 0 && gap <= digitTimeoutOf(set, fallback) ? ended : undefined;
  });
  let current: CollectorState = reopen.some((r) => r !== undefined)
    ? {
        ...state,
        collecting: state.collecting.map((c, i) => reopen[i]?.collected ?? c),
        lastAt: state.collecting.map((_, i) => reopen[i]?.at ?? state.lastAt?.[i]),
      }
    : state;
  let match: FeatureCodeMatch | undefined;
  const gone = sets.map((set, i) => {
    const last = current.lastAt?.[i];
    return current.collecting[i] !== undefined && last !== undefined && when.at - last > digitTimeoutOf(set, fallback);
  });
  if (gone.some(Boolean)) {
    const ended = endCollections(current, sets, (i) => gone[i]!, stripper(opts, limits), limits);
    current = ended.state;
    match = ended.match;
    errors.push(...ended.errors);
  }
  // The patch is asked only of a digit whose delivery would count: one that came after its stamp.
  const credited = () => (when.now > when.at && opts.creditLag?.() === true ? when.at : undefined);
  const pressed = pressDigit(current, sets, digit, when.now, fallback, limits, credited);
  // What the timer is to know of how this digit came (`timerFired`).
  const marks = { ...(deliveredLate(when) ? { graceSpent: true } : {}), ...(when.paced ? { paced: true } : {}) };
  current = {
    ...pressed,
    lastAt: pressed.collecting.map((c) => (c === undefined ? undefined : when.at)),
    ...marks,
  };
  if (match) return { state: current, match, errors, byTimeout: true };

  // Each armed set: decided (the terminator ended it, or it matches now or never, and no digit can change that), or
  // not. Only when every set is decided is the first match acted on: what the timer would have chosen.
  const collecting = [...current.collecting];
  const deadlines = [...(current.deadlines ?? [])];
  let first: FeatureCodeMatch | undefined;
  let undecided = false;
  for (const [i, set] of sets.entries()) {
    const collected = collecting[i];
    if (collected === undefined) continue;
    const terminator = terminatorOf(set, opts.terminator, limits);
    if (terminator !== undefined && collected.endsWith(terminator)) {
      const code = collected.slice(0, -terminator.length);
      const found = findMetaflow(set, code, errors, limits);
      if (found) first ??= { set, collected: code, ...found };
      else {
        collecting[i] = undefined; // the terminator ends it, as no match
        deadlines[i] = undefined;
      }
      continue;
    }
    if (mayGoOn(set, collected, limits)) {
      undecided = true;
      continue;
    }
    const found = findMetaflow(set, collected, errors, limits);
    if (found) first ??= { set, collected, ...found };
  }
  if (first && !undecided) {
    return { state: { collecting: sets.map(() => undefined) }, match: first, errors };
  }
  const lastAt = collecting.map((c) => (c === undefined ? undefined : when.at));
  return {
    state: { collecting, deadlines, deadline: earliest(deadlines), lastAt, ...marks },
    errors,
  };
}

/** When a digit reaches the collector: `now` (workflow time), `at` (the switch's), `held` (the ingest's word). */
export interface DigitArrival {
  now: number;
  at: number;
  /** The ingest held the key press before it could deliver it (ChannelEvent.held); absent from older ingests. */
  held?: boolean;
  /** The ingest was paced when it sent the key press (ChannelEvent.paced); absent when it was not, and from older ones. */
  paced?: boolean;
}

/**
 * Was the digit itself delivered late (the ingest held it: Temporal was away)? The ingest says so. A digit from an
 * older ingest, which did not, is taken for held when it is processed more than LATE_TIMER_MS after its press: a
 * workflow task that timed out and ran again looks the same, which is why the ingest now says.
 */
export function deliveredLate(when: DigitArrival): boolean {
  return when.held ?? when.now - when.at > LATE_TIMER_MS;
}

/** What a collection ended by its timeout matches: what came before a terminator, when it ends with one. */
function stripper(opts: CollectorOptions, limits: FeatureCodeLimits) {
  return (set: FeatureCodeSet, collected: string): string => {
    const terminator = terminatorOf(set, opts.terminator, limits);
    return terminator !== undefined && collected.endsWith(terminator)
      ? collected.slice(0, -terminator.length)
      : collected;
  };
}

/**
 * The inter-digit timer fired at `now` (workflow time). When it fired long after the last digit's switch timestamp
 * plus the timeout (LATE_TIMER_MS: Temporal or the workflow worker was away), digits pressed in time may still be held
 * by the ingest: the collection first waits for them (its lateness + HELD_DIGITS_MARGIN_MS, at most
 * HELD_DIGITS_GRACE_MS), once per digit, unless the last digit was
 * itself delivered late (`press` measures the held digits' gaps on the switch's clock). So it does, for
 * PACED_DIGITS_GRACE_MS, when the last digit came through a paced ingest, on time or not. Otherwise each set whose own
 * timer has run out matches what it holds, a terminator typed last set aside, and is disarmed; a set with a longer
 * digit_timeout keeps collecting. A match disarms every set: one action per key press.
 */
export function timerFired(
  state: CollectorState,
  sets: readonly FeatureCodeSet[],
  now: number,
  opts: CollectorOptions = {},
): CollectorStep {
  const limits = opts.limits ?? DEFAULT_FEATURE_CODE_LIMITS;
  const fallback = opts.fallbackTimeoutMs ?? DEFAULT_DIGIT_TIMEOUT_MS;
  const deadlines = deadlinesOf(state, now);
  const due = (i: number) => state.collecting[i] !== undefined && (deadlines[i] ?? now) <= now;
  const lateness = Math.max(
    0,
    ...sets.map((set, i) => {
      const last = state.lastAt?.[i];
      return due(i) && last !== undefined ? now - last - digitTimeoutOf(set, fallback) : 0;
    }),
  );
  const late = lateness > LATE_TIMER_MS;
  const waits = () => late || (state.paced === true && sets.some((_, i) => due(i)) && (opts.pacedGrace?.() ?? true));
  if (!state.graceSpent && waits()) {
    const grace = late ? Math.min(HELD_DIGITS_GRACE_MS, lateness + HELD_DIGITS_MARGIN_MS) : PACED_DIGITS_GRACE_MS;
    const waiting = deadlines.map((d, i) => (due(i) ? now + grace : d));
    const lastAt = Math.max(...sets.map((_, i) => (due(i) ? (state.lastAt?.[i] ?? 0) : 0)));
    return {
      state: { ...state, deadlines: waiting, deadline: earliest(waiting), graceSpent: true },
      errors: [],
      heldWait: { until: now + grace, late, lastAt },
    };
  }
  return endCollections(state, sets, due, stripper(opts, limits), limits);
}

/**
 * The ingest held the collection's presses and sent them with the time the leg was quiet after the last of them
 * (workers/ingest/code-hold.ts): until `quietUntil` on the switch's clock, no key was pressed. Each set whose digit
 * timeout ran out by then ends, as its timer would have ended it; the others keep collecting, on their timers.
 */
export function quietEnded(
  state: CollectorState,
  sets: readonly FeatureCodeSet[],
  quietUntil: number,
  opts: CollectorOptions = {},
): CollectorStep {
  const limits = opts.limits ?? DEFAULT_FEATURE_CODE_LIMITS;
  const fallback = opts.fallbackTimeoutMs ?? DEFAULT_DIGIT_TIMEOUT_MS;
  const due = (i: number) => {
    const last = state.lastAt?.[i];
    return (
      state.collecting[i] !== undefined && last !== undefined && last + digitTimeoutOf(sets[i]!, fallback) <= quietUntil
    );
  };
  if (!sets.some((_, i) => due(i))) return { state, errors: [] };
  return endCollections(state, sets, due, stripper(opts, limits), limits);
}

/**
 * The ingest has said it holds none of the leg's key presses: the wait for them (`heldWait`, given by `timerFired`)
 * ends at `now`. What the wait kept ends when the timer is next fired.
 */
export function endHeldWait(state: CollectorState, wait: HeldWait, now: number): CollectorState {
  if (!state.deadlines) return state;
  const deadlines = state.deadlines.map((d) => (d === wait.until ? now : d));
  return { ...state, deadlines, deadline: earliest(deadlines) };
}

/**
 * Whether the code's running digit timer (due at `timer.at`, started at `timer.startedAt`) is to be cancelled and
 * started again now for `deadline`, rather than kept. A cluster fires a timer shorter than its `shiftMs` (Temporal's
 * `history.timerProcessorMaxTimeShift`, 1 s by default) about `shiftMs` after it started. Kept, the timer fires then,
 * and when that is before the deadline (a later digit moved it) it is started again for what is left, which, under
 * the shift, lasts the shift: the code ends late by the difference. Started now, it ends at the deadline or `shiftMs`
 * from now. The sooner wins, and a tie keeps the timer (one timer fewer). With a shift of 0, a timer is started again
 * only when the deadline came sooner than it.
 *
 * `worthIt`: a restart is a timer more (a billable action), and the next key usually moves the deadline again, so
 * the code would have ended on time anyway: the timer is started again only when that ends the code at least half the
 * shift sooner. Under a 1 s shift that is every restart that matters (the kept timer would end the code 0.5–1 s late);
 * under a fine one (100 ms) the kept timer costs the code at most half of it, and a code typed with keys closer than
 * the shift keeps one timer per deadline instead of one per key.
 */
export function restartsDigitTimer(
  timer: { at: number; startedAt: number },
  deadline: number,
  now: number,
  shiftMs = 0,
  worthIt = false,
): boolean {
  const fires = Math.max(timer.at, timer.startedAt + shiftMs);
  const kept = deadline <= fires ? fires : fires + Math.max(deadline - fires, shiftMs);
  const restarted = now + Math.max(deadline - now, shiftMs);
  return restarted < kept && (!worthIt || kept - restarted >= shiftMs / 2);
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
    // A pattern that declares its length matches strings of that length only.
    if (metaflow.digits !== undefined && collected.length !== metaflow.digits) continue;
    const captures = matchPattern(compiled, collected);
    if (captures) return { metaflow, captures, key: pattern };
  }
  return undefined;
}
