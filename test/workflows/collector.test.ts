import test from 'ava';
import {
  DEFAULT_BINDING_DIGIT,
  DEFAULT_DIGIT_TIMEOUT_MS,
  DIGIT_LAG_CREDIT_MS,
  HELD_DIGITS_GRACE_MS,
  HELD_DIGITS_MARGIN_MS,
  LATE_TIMER_MS,
  PACED_DIGITS_GRACE_MS,
  restartsDigitTimer,
  carriedCollector,
  emptyCollector,
  endHeldWait,
  findMetaflow,
  lagCredit,
  mayGoOn,
  press as pressOne,
  pressDigit,
  quietEnded,
  terminatorOf,
  timerFired,
  type CollectorState,
} from '../../workflows/collector.ts';
import type { FeatureCodeSet, Metaflow, Metaflows } from '../../contracts/metaflows.ts';
import { DEFAULT_TRANSFER_CODES, transferCodeOf, transferCodeSets } from '../../contracts/transfer-codes.ts';

const hangup: Metaflow = { module: 'hangup' };
const park: Metaflow = { module: 'park', data: { action: 'park' } };
const transfer: Metaflow = { module: 'transfer', data: { takeback_dtmf: '*1' } };
const blind: Metaflow = { module: 'transfer', data: { transfer_type: 'blind' } };
const record: Metaflow = { module: 'record_call' };
const DEFAULT_LIMITS = { maxDigits: 32, maxPatternLength: 128, maxPatternProgram: 1000, maxPatterns: 32 };

function set(metaflows: Partial<Metaflows>, owner: 'self' | 'peer' = 'self', ownerLeg = 'leg-a'): FeatureCodeSet {
  return { owner, ownerLeg, metaflows: { binding_digit: '*', ...metaflows } };
}

/** The inter-digit timer fires when it was due (`state.deadline`), as the call workflow's timer does. */
function expire(state: CollectorState, sets: readonly FeatureCodeSet[]) {
  return timerFired(state, sets, state.deadline ?? Number.POSITIVE_INFINITY);
}

/** Presses each digit of `digits` at the given times (one time per digit). */
function press(
  sets: readonly FeatureCodeSet[],
  digits: string,
  times: number[],
  state: CollectorState = emptyCollector(sets),
  fallback?: number,
): CollectorState {
  checkLengths(digits, times);
  let s = state;
  [...digits].forEach((d, i) => {
    s = pressDigit(s, sets, d, times[i]!, fallback);
  });
  return s;
}

function checkLengths(digits: string, times: number[]): void {
  if (digits.length !== times.length) throw new Error(`test bug: ${digits.length} digits, ${times.length} times`);
}

// ---------------------------------------------------------------------------------------------------------------
// Arming, collecting, the inter-digit timer

test('collector: defaults are the documented ones', (t) => {
  t.is(DEFAULT_BINDING_DIGIT, '*');
  t.is(DEFAULT_DIGIT_TIMEOUT_MS, 800);
});

test('collector: the empty collector has one disarmed slot per set and no deadline', (t) => {
  const sets = [set({}), set({}, 'peer', 'leg-b')];
  const s = emptyCollector(sets);
  t.deepEqual(s.collecting, [undefined, undefined]);
  t.is(s.deadline, undefined);
  t.deepEqual(emptyCollector([]).collecting, []);
});

test('collector: digits before the binding digit are ignored and set no deadline', (t) => {
  const sets = [set({ numbers: { '1': hangup } })];
  const s = press(sets, '1234#', [0, 10, 20, 30, 40]);
  t.deepEqual(s.collecting, [undefined]);
  t.is(s.deadline, undefined);
  // a timeout with nothing armed matches nothing
  const r = expire(s, sets);
  t.is(r.match, undefined);
  t.deepEqual(r.errors, []);
});

test('collector: the binding digit arms with an empty string and a deadline of now + 800 ms', (t) => {
  const sets = [set({})];
  const s = pressDigit(emptyCollector(sets), sets, '*', 1000);
  t.deepEqual(s.collecting, ['']);
  t.is(s.deadline, 1800);
});

test('collector: digits typed before the binding digit are not part of the collected string', (t) => {
  const sets = [set({ numbers: { '1': hangup, '91': park } })];
  const s = press(sets, '9*1', [0, 100, 200]);
  t.deepEqual(s.collecting, ['1']);
  const r = expire(s, sets);
  t.is(r.match?.metaflow, hangup);
  t.is(r.match?.collected, '1');
});

test('collector: every digit while armed moves the deadline to that digit + timeout', (t) => {
  const sets = [set({})];
  let s = pressDigit(emptyCollector(sets), sets, '*', 0);
  t.is(s.deadline, 800);
  s = pressDigit(s, sets, '1', 500);
  t.deepEqual(s.collecting, ['1']);
  t.is(s.deadline, 1300);
  s = pressDigit(s, sets, '2', 1200);
  t.deepEqual(s.collecting, ['12']);
  t.is(s.deadline, 2000);
});

test('collector: the binding digit pressed again while armed is collected like any digit', (t) => {
  const sets = [set({ numbers: { '*': record, '**': park } })];
  let s = press(sets, '**', [0, 100]);
  t.deepEqual(s.collecting, ['*']);
  t.is(s.deadline, 900);
  let r = expire(s, sets);
  t.is(r.match?.metaflow, record);
  t.is(r.match?.key, '*');
  s = press(sets, '***', [0, 100, 200]);
  t.deepEqual(s.collecting, ['**']);
  r = expire(s, sets);
  t.is(r.match?.metaflow, park);
});

test('collector: the binding digit alone then the timeout collects the empty string', (t) => {
  const sets = [set({ numbers: { '1': hangup } })];
  const r = expire(press(sets, '*', [0]), sets);
  t.is(r.match, undefined);
  t.deepEqual(r.state.collecting, [undefined]);
});

test('collector: a per-set digit_timeout replaces the fallback', (t) => {
  const sets = [set({ digit_timeout: 2500 })];
  const s = press(sets, '*1', [100, 200], undefined, 1000);
  t.is(s.deadline, 2700);
});

test('collector: without digit_timeout the fallback argument is used, else 800 ms', (t) => {
  const sets = [set({})];
  t.is(press(sets, '*', [100], undefined, 1500).deadline, 1600);
  t.is(press(sets, '*', [100]).deadline, 900);
});

test('collector: digit_timeout 0 gives a deadline of now (match at once), not the fallback', (t) => {
  const sets = [set({ digit_timeout: 0, numbers: { '': hangup } })];
  const s = press(sets, '*', [5000], undefined, 1500);
  t.is(s.deadline, 5000);
  t.deepEqual(s.collecting, ['']);
});

test('collector: a negative or non-numeric digit_timeout falls back', (t) => {
  t.is(press([set({ digit_timeout: -1 })], '*', [100], undefined, 1000).deadline, 1100);
  const bogus = set({ digit_timeout: '300' as unknown as number });
  t.is(press([bogus], '*', [100], undefined, 1000).deadline, 1100);
});

test('collector: an empty binding_digit means the default `*`', (t) => {
  const sets = [set({ binding_digit: '' })];
  t.deepEqual(press(sets, '#', [0]).collecting, [undefined]);
  t.deepEqual(press(sets, '*', [0]).collecting, ['']);
});

test('collector: a custom binding digit arms only on itself; `*` is then an ordinary digit', (t) => {
  const sets = [set({ binding_digit: '#', numbers: { '*2': park } })];
  t.deepEqual(press(sets, '*', [0]).collecting, [undefined]);
  const s = press(sets, '#*2', [0, 100, 200]);
  t.deepEqual(s.collecting, ['*2']);
  t.is(expire(s, sets).match?.metaflow, park);
});

test('collector: a pressDigit that leaves nothing armed clears the deadline', (t) => {
  const sets = [set({})];
  const armed = press(sets, '*1', [0, 100]);
  const afterTimeout = expire(armed, sets).state;
  t.is(afterTimeout.deadline, undefined);
  const s = pressDigit(afterTimeout, sets, '5', 2000);
  t.deepEqual(s.collecting, [undefined]);
  t.is(s.deadline, undefined);
});

test('collector: pressDigit does not mutate the state it is given', (t) => {
  const sets = [set({})];
  const s0 = press(sets, '*1', [0, 100]);
  const copy = structuredClone(s0);
  pressDigit(s0, sets, '2', 200);
  t.deepEqual(s0, copy);
});

// ---------------------------------------------------------------------------------------------------------------
// Matching at the timeout

test('timer fired: disarms every collector and clears the deadline', (t) => {
  const sets = [set({ numbers: { '1': hangup } }), set({ binding_digit: '#' }, 'peer', 'leg-b')];
  const s = press(sets, '*#1', [0, 100, 200]);
  t.deepEqual(s.collecting, ['#1', '1']);
  const r = expire(s, sets);
  t.deepEqual(r.state.collecting, [undefined, undefined]);
  t.is(r.state.deadline, undefined);
});

test('timer fired: an exact number matches with no captures and its own key', (t) => {
  const sets = [set({ numbers: { '1': hangup, '12': park } })];
  const r = expire(press(sets, '*12', [0, 100, 200]), sets);
  t.deepEqual(r.match, { set: sets[0]!, collected: '12', metaflow: park, captures: [], key: '12' });
  t.deepEqual(r.errors, []);
});

test('timer fired: numbers are exact — a prefix or extension of a number does not match', (t) => {
  const sets = [set({ numbers: { '12': park } })];
  t.is(expire(press(sets, '*1', [0, 1]), sets).match, undefined);
  t.is(expire(press(sets, '*123', [0, 1, 2, 3]), sets).match, undefined);
});

test('findMetaflow: numbers are tried before patterns, whatever the pattern', (t) => {
  const s = set({ numbers: { '2': hangup }, patterns: { '2(\\d*)': transfer, '\\d': record } });
  const found = findMetaflow(s, '2');
  t.deepEqual(found, { metaflow: hangup, captures: [], key: '2' });
});

test('findMetaflow: patterns are anchored to the whole string (Kazoo E2: `2(\\d+)` matched `12345`)', (t) => {
  const s = set({ patterns: { '2(\\d+)': transfer } });
  t.is(findMetaflow(s, '12345'), undefined);
  t.is(findMetaflow(s, '2345x'), undefined);
  t.is(findMetaflow(s, '2'), undefined); // \d+ needs at least one digit
  t.deepEqual(findMetaflow(s, '2345'), { metaflow: transfer, captures: ['345'], key: '2(\\d+)' });
});

test('findMetaflow: an alternation is anchored as a whole, not just its first branch', (t) => {
  // `^1|2$` would match "13"; the collector wraps in (?:...) so only "1" and "2" match
  const s = set({ patterns: { '1|2': record } });
  t.truthy(findMetaflow(s, '1'));
  t.truthy(findMetaflow(s, '2'));
  t.is(findMetaflow(s, '13'), undefined);
  t.is(findMetaflow(s, '32'), undefined);
});

test('findMetaflow: patterns already carrying ^ and $ still work', (t) => {
  const s = set({ patterns: { '^2(\\d+)$': transfer } });
  t.deepEqual(findMetaflow(s, '2100')?.captures, ['100']);
  t.is(findMetaflow(s, '12100'), undefined);
});

test('findMetaflow: captures in order; the first capture is the target', (t) => {
  const s = set({ patterns: { '(\\d)\\*(\\d+)': transfer } });
  t.deepEqual(findMetaflow(s, '3*2000')?.captures, ['3', '2000']);
  const b = set({ patterns: { '3(\\d+)': blind } });
  t.is(findMetaflow(b, '35551234')?.captures[0], '5551234');
});

test('findMetaflow: an optional group that did not take part captures the empty string', (t) => {
  const s = set({ patterns: { '2(\\d+)?(#)?': transfer } });
  t.deepEqual(findMetaflow(s, '2')?.captures, ['', '']);
  t.deepEqual(findMetaflow(s, '2#')?.captures, ['', '#']);
  t.deepEqual(findMetaflow(s, '21#')?.captures, ['1', '#']);
});

test('findMetaflow: a pattern without groups has no captures', (t) => {
  const s = set({ patterns: { '9\\d\\d': park } });
  t.deepEqual(findMetaflow(s, '912'), { metaflow: park, captures: [], key: '9\\d\\d' });
});

test('findMetaflow: patterns are tried in key order, the first match wins', (t) => {
  const s = set({ patterns: { '2(\\d+)': transfer, '2(\\d)(\\d)': park, '\\d+': record } });
  t.is(findMetaflow(s, '234')?.metaflow, transfer);
  const reversed = set({ patterns: { '\\d+': record, '2(\\d+)': transfer } });
  t.is(findMetaflow(reversed, '234')?.metaflow, record);
  t.is(findMetaflow(reversed, '234')?.key, '\\d+');
});

test('findMetaflow: a pattern that does not compile is skipped and reported; later patterns still match', (t) => {
  const errors: string[] = [];
  const s = set({ patterns: { '2(\\d+': transfer, '[': park, '2(\\d+)': record } });
  const found = findMetaflow(s, '25', errors);
  t.is(found?.metaflow, record);
  t.is(found?.key, '2(\\d+)');
  t.is(errors.length, 2);
  t.true(errors[0]!.startsWith('pattern "2(\\\\d+" is not run: the linear-time (RE2) engine cannot run it'), errors[0]);
  t.true(errors[1]!.startsWith('pattern "[" is not run'), errors[1]);
});

test('timer fired: compile errors are returned in `errors`, also when nothing matches', (t) => {
  const sets = [set({ patterns: { '(': park } })];
  const r = expire(press(sets, '*1', [0, 1]), sets);
  t.is(r.match, undefined);
  t.is(r.errors.length, 1);
  t.regex(r.errors[0]!, /^pattern "\(" is not run: /);
});

test('findMetaflow: no numbers and no patterns matches nothing', (t) => {
  t.is(findMetaflow(set({}), '1'), undefined);
  t.is(findMetaflow(set({}), ''), undefined);
});

test('findMetaflow: inherited Object properties are not numbers', (t) => {
  const s = set({ numbers: { '1': hangup } });
  t.is(findMetaflow(s, 'constructor'), undefined);
  t.is(findMetaflow(s, 'toString'), undefined);
  t.is(findMetaflow(s, '__proto__'), undefined);
});

// ---------------------------------------------------------------------------------------------------------------
// listen_on: the caller passes the leg's own set and its peer's; each arms on its own binding digit

test('listen_on both: own (*) and peer (#) sets arm independently on their own binding digit', (t) => {
  const own = set({ binding_digit: '*', numbers: { '1': hangup } }, 'self', 'leg-a');
  const peer = set({ binding_digit: '#', numbers: { '1': park } }, 'peer', 'leg-b');
  const sets = [own, peer];
  // only the peer's binding digit: only the peer's set arms
  let s = press(sets, '#1', [0, 100]);
  t.deepEqual(s.collecting, [undefined, '1']);
  let r = expire(s, sets);
  t.is(r.match?.set, peer);
  t.is(r.match?.metaflow, park);
  // only the own binding digit
  s = press(sets, '*1', [0, 100]);
  t.deepEqual(s.collecting, ['1', undefined]);
  r = expire(s, sets);
  t.is(r.match?.set, own);
  t.is(r.match?.metaflow, hangup);
});

test('listen_on both: once armed, the other set’s binding digit is an ordinary digit for it', (t) => {
  const own = set({ binding_digit: '*', numbers: { '#2': record } }, 'self');
  const peer = set({ binding_digit: '#', numbers: { '2': park } }, 'peer', 'leg-b');
  const sets = [own, peer];
  const s = press(sets, '*#2', [0, 100, 200]);
  t.deepEqual(s.collecting, ['#2', '2']);
  const r = expire(s, sets);
  // both match: the first set in the list wins
  t.is(r.match?.set, own);
  t.is(r.match?.metaflow, record);
});

test('listen_on both: when the first set matches nothing, the second set is tried', (t) => {
  const own = set({ binding_digit: '*', numbers: { '9': record } }, 'self');
  const peer = set({ binding_digit: '*', patterns: { '2(\\d+)': transfer } }, 'peer', 'leg-b');
  const sets = [own, peer];
  const r = expire(press(sets, '*2100', [0, 1, 2, 3, 4]), sets);
  t.is(r.match?.set, peer);
  t.is(r.match?.collected, '2100');
  t.deepEqual(r.match?.captures, ['100']);
});

test('listen_on both: the deadline is the earliest of the armed sets', (t) => {
  const own = set({ digit_timeout: 3000 }, 'self');
  const peer = set({ binding_digit: '#', digit_timeout: 500 }, 'peer', 'leg-b');
  const sets = [own, peer];
  t.is(press(sets, '*', [0]).deadline, 3000); // only own is armed
  t.is(press(sets, '#', [0]).deadline, 500); // only peer is armed
  t.is(press(sets, '*#', [0, 100]).deadline, 600); // both: min(100 + 3000, 100 + 500)
});

// Each set keeps its own inter-digit timer: a set with a longer digit_timeout is not matched early on a partial string.
test('listen_on both: a set with a longer digit_timeout keeps collecting after a shorter one times out', (t) => {
  const own = set({ digit_timeout: 800, numbers: { '9': record } }, 'self');
  const peer = set({ digit_timeout: 3000, patterns: { '2(\\d+)': transfer } }, 'peer', 'leg-b');
  const sets = [own, peer];
  // * 2 1 typed quickly; the own set's timer (800 ms) fires at 900, the peer's (3000 ms) would at 3100
  const s = press(sets, '*21', [0, 50, 100]);
  t.is(s.deadline, 900);
  const r = expire(s, sets);
  // the own set ('21') matched nothing and is done; the peer set must still be collecting until 3100
  t.is(r.match, undefined);
  t.deepEqual(r.state.collecting, [undefined, '21']);
  t.is(r.state.deadline, 3100);
});

// ---------------------------------------------------------------------------------------------------------------
// Hostile and careless metaflows: the linear-time engine and the digit cap

test('findMetaflow: a catastrophic-backtracking pattern fails on 32 digits at once (RE2, not a backtracking engine)', (t) => {
  // On a backtracking engine `([0-9]*)*#` against 32 × `1` tries 2^32 ways to split the digits before failing.
  const s = set({ patterns: { '([0-9]*)*#': hangup, '(1+)+2': park } });
  const errors: string[] = [];
  t.is(findMetaflow(s, '1'.repeat(32), errors), undefined);
  t.deepEqual(errors, []);
  t.is(findMetaflow(s, '1'.repeat(31) + '#')?.metaflow, hangup);
});

test('findMetaflow: lookaround and backreferences are not run, and said so; other patterns still match', (t) => {
  const s = set({ patterns: { '(?=1)(\\d+)': park, '(\\d)\\1': record, '(?<!2)1': blind, '1(\\d)': transfer } });
  const errors: string[] = [];
  const found = findMetaflow(s, '11', errors);
  t.is(found?.metaflow, transfer);
  t.deepEqual(found?.captures, ['1']);
  t.is(errors.length, 3);
  for (const e of errors) t.regex(e, /is not run: the linear-time \(RE2\) engine cannot run it/);
});

test('findMetaflow: patterns over the size limits are not run', (t) => {
  const limits = { maxDigits: 32, maxPatternLength: 10, maxPatternProgram: 100, maxPatterns: 32 };
  const s = set({ patterns: { '\\d{1000}': park, '12345678901': record, '\\d+': hangup } });
  const errors: string[] = [];
  t.is(findMetaflow(s, '12345678901', errors, limits)?.metaflow, hangup);
  t.deepEqual(
    errors.map((e) => /is not run: (too large|longer than 10 characters)/.exec(e)?.[1]),
    ['too large', 'longer than 10 characters'],
  );
});

test('collector: at most maxDigits digits are collected; one more ends the collection as no match', (t) => {
  const sets = [set({ numbers: { ['1'.repeat(32)]: hangup }, patterns: { '1+': park } })];
  const full = press(
    sets,
    '*' + '1'.repeat(32),
    Array.from({ length: 33 }, (_, i) => i),
  );
  t.is(full.collecting[0], '1'.repeat(32));
  t.is(expire(full, sets).match?.metaflow, hangup);

  const over = pressDigit(full, sets, '1', 100);
  t.deepEqual(over.collecting, [undefined]);
  t.is(over.deadline, undefined);
  t.is(expire(over, sets).match, undefined);
  // The binding digit arms a new collection as usual.
  t.deepEqual(pressDigit(over, sets, '*', 200).collecting, ['']);

  const small = press(sets, '*123', [0, 1, 2, 3], emptyCollector(sets), undefined);
  t.deepEqual(pressDigit(small, sets, '4', 4, undefined, { maxDigits: 3 }).collecting, [undefined]);
});

test('findMetaflow: a collected string over the cap matches nothing, even a pattern that would', (t) => {
  const s = set({ patterns: { '\\d*': park } });
  t.is(findMetaflow(s, '1'.repeat(33)), undefined);
  t.is(findMetaflow(s, '1'.repeat(32))?.metaflow, park);
});

// ---------------------------------------------------------------------------------------------------------------
// Acting at once: the terminator, a declared length, a code nothing extends; gaps on the switch's clock

const seedTransfer: Metaflow = { module: 'transfer' };

/** Presses `digits` through `press` (switch time = workflow time + `skew`), 100 ms apart; returns every step. */
function type(
  sets: readonly FeatureCodeSet[],
  digits: string,
  opts: { start?: number; gap?: number; terminator?: string } = {},
) {
  let state = emptyCollector(sets);
  const steps = [];
  let t = opts.start ?? 1000;
  for (const d of digits) {
    const step = pressOne(state, sets, d, { now: t, at: t }, { terminator: opts.terminator });
    steps.push(step);
    state = step.state;
    t += opts.gap ?? 100;
  }
  return { steps, state, last: steps[steps.length - 1]! };
}

test('at once: the terminator ends *22600# with the code before it, without the timer', (t) => {
  const sets = [set({ numbers: { '1': hangup }, patterns: { '^2(\\d+)$': seedTransfer } })];
  const { steps, last } = type(sets, '*22600#');
  t.true(
    steps.slice(0, -1).every((s) => s.match === undefined),
    'nothing before the terminator',
  );
  t.is(last.match?.key, '^2(\\d+)$');
  t.is(last.match?.collected, '22600');
  t.deepEqual(last.match?.captures, ['2600']);
  t.deepEqual(last.state.collecting, [undefined]);
  t.is(last.state.deadline, undefined);
});

test('at once: a terminator after a code that matches nothing ends the collection as no match', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  const { last } = type(sets, '*9#');
  t.is(last.match, undefined);
  t.deepEqual(last.state.collecting, [undefined]);
  t.is(last.state.deadline, undefined);
});

test('at once: the terminator is configurable, per document and by the fallback; "" turns it off', (t) => {
  const patterns = { '^2(\\d+)$': seedTransfer };
  t.is(type([set({ patterns })], '*22600*', { terminator: '*' }).last.match, undefined, '* is the binding digit: off');
  t.is(type([set({ patterns, binding_digit: '#' })], '#22600*', { terminator: '*' }).last.match?.collected, '22600');
  t.is(type([set({ patterns })], '*226009', { terminator: '9' }).last.match, undefined, '\\d may take a 9: off');
  t.is(type([set({ patterns, terminator: '' })], '*22600#').last.match, undefined, 'the document turns it off');
  t.is(
    type([set({ patterns })], '*22600#', { terminator: '' }).last.match,
    undefined,
    'the configuration turns it off',
  );
  t.is(type([set({ patterns, terminator: '#' })], '*22600#', { terminator: '' }).last.match?.collected, '22600');
});

test('terminatorOf: off where the binding digit or a code may contain it', (t) => {
  t.is(terminatorOf(set({ patterns: { '2(\\d+)': seedTransfer } }), undefined), '#');
  t.is(terminatorOf(set({ binding_digit: '#', patterns: { '2(\\d+)': seedTransfer } }), undefined), undefined);
  t.is(terminatorOf(set({ patterns: { '2(\\d+)#': seedTransfer } }), undefined), undefined, "Kazoo's own # patterns");
  t.is(terminatorOf(set({ patterns: { '2(.+)': seedTransfer } }), undefined), undefined, '. takes #');
  t.is(terminatorOf(set({ numbers: { '19': hangup } }), '9'), undefined, 'a number with the key');
  t.is(terminatorOf(set({ numbers: { '19': hangup } }), '#'), '#');
});

test('where the terminator is off it is collected like any digit: a pattern that ends with # gets it', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)#$': seedTransfer } })];
  const { last } = type(sets, '*22600#');
  t.is(last.match?.collected, '22600#', 'acted on at once: nothing can follow the #');
  t.deepEqual(last.match?.captures, ['2600']);
});

test('at once: a pattern with a declared length acts at its last digit, and matches no other length', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': { module: 'transfer', digits: 5 } } })];
  const { steps, last } = type(sets, '*22600');
  t.true(steps.slice(0, -1).every((s) => s.match === undefined));
  t.is(last.match?.collected, '22600');
  t.deepEqual(last.match?.captures, ['2600']);
  // Shorter, then the timeout: the declared length is not reached, no match.
  const short = type(sets, '*2260');
  t.is(short.last.match, undefined);
  t.is(expire(short.state, sets).match, undefined);
  t.is(findMetaflow(sets[0]!, '226001'), undefined);
});

test('at once: a number that nothing extends; one that a longer number or a pattern extends waits', (t) => {
  const sets = [set({ numbers: { '1': hangup, '22': park, '221': record }, patterns: { '^3(\\d+)$': seedTransfer } })];
  t.is(type(sets, '*1').last.match?.metaflow, hangup);
  const two = type(sets, '*22');
  t.is(two.last.match, undefined, '221 extends 22');
  t.is(expire(two.state, sets).match?.metaflow, park, 'the timer still gives 22');
  t.is(type(sets, '*221').last.match?.metaflow, record);
  t.is(type([set({ numbers: { '3': hangup }, patterns: { '^3(\\d+)$': seedTransfer } })], '*3').last.match, undefined);
});

test('at once: a pattern that cannot take another digit (RE2 program), and one that can', (t) => {
  const fixed = [set({ patterns: { '^2(\\d{4})$': seedTransfer } })];
  t.is(type(fixed, '*22600').last.match?.collected, '22600');
  t.is(type(fixed, '*2260').last.match, undefined);
  const open = [set({ patterns: { '^2(\\d{3,4})$': seedTransfer } })];
  t.is(type(open, '*2260').last.match, undefined, '2260 matches, 22600 would too');
  t.is(type(open, '*22600').last.match?.collected, '22600');
  // Word boundaries are not modelled: taken to be able to go on, so the timer decides.
  t.is(type([set({ patterns: { '^2(\\d{4})\\b': seedTransfer } })], '*22600').last.match, undefined);
});

test('mayGoOn: the digit cap ends every collection', (t) => {
  const s = set({ patterns: { '^2(\\d+)$': seedTransfer } });
  t.true(mayGoOn(s, '2600', { ...DEFAULT_LIMITS, maxDigits: 5 }));
  t.false(mayGoOn(s, '26001', { ...DEFAULT_LIMITS, maxDigits: 5 }));
});

test('at once: the walk follows set order; a set that may go on leaves the decision to the timer', (t) => {
  const own = set({ patterns: { '^2(\\d+)$': seedTransfer } });
  const peers = set({ numbers: { '2': hangup } }, 'peer', 'leg-b');
  const { last } = type([own, peers], '*2');
  t.is(last.match, undefined, 'the own set may still collect 2600');
  t.is(expire(last.state, [own, peers]).match?.metaflow, hangup);
  const first = type([peers, own], '*2');
  t.is(first.last.match, undefined, 'the own set (second) may go on: the timers decide');
  // With the terminator both are decided: the peer's 2 comes first.
  t.is(type([peers, own], '*2#').last.match?.metaflow, hangup);
  const done = type([set({ numbers: { '2': hangup } }), set({ numbers: { '3': park } }, 'peer', 'leg-b')], '*2');
  t.is(done.last.match?.metaflow, hangup, 'both decided: the first match');
});

test('switch clock: a digit pressed after the timeout, delivered before the timer fired, ends the code before it', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  let state = emptyCollector(sets);
  // *2260 typed, then 4 pressed 2 s later; all delivered together at t = 10000 (the workflow's clock).
  const at = [0, 100, 200, 300, 400, 2400];
  let last;
  for (const [i, d] of [...'*22604'].entries()) {
    last = pressOne(state, sets, d, { now: 10_000, at: at[i]! }, {});
    state = last.state;
  }
  t.is(last!.match?.collected, '2260');
  t.deepEqual(state.collecting, [undefined], '4 is a stray digit: nothing is armed');
});

test('switch clock: a late timer waits once for held digits; they join the code; then it decides', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  // *22 pressed at 0 and 100 (switch), processed at once; Temporal away until 5000.
  let state = emptyCollector(sets);
  for (const [i, d] of [...'*22'].entries()) state = pressOne(state, sets, d, { now: i * 100, at: i * 100 }, {}).state;
  t.is(state.deadline, 200 + DEFAULT_DIGIT_TIMEOUT_MS);
  const fired = timerFired(state, sets, 5000);
  t.truthy(fired.heldWait);
  t.is(fired.match, undefined);
  // Late by 5000 − 200 − 800 = 4000 ms: it waits as long again, and a margin.
  t.is(fired.state.deadline, 5000 + 4000 + HELD_DIGITS_MARGIN_MS);
  t.deepEqual(fired.heldWait, { until: 5000 + 4000 + HELD_DIGITS_MARGIN_MS, late: true, lastAt: 200 });
  // The ingest says it holds none of the leg's presses: the wait ends now, and the timer decides *22 at once.
  const over = endHeldWait(fired.state, fired.heldWait!, 5200);
  t.is(over.deadline, 5200);
  const atOnce = timerFired(over, sets, 5200);
  t.falsy(atOnce.heldWait, 'the grace is spent: no second wait');
  t.deepEqual(atOnce.match?.captures, ['2']);
  t.is(timerFired(state, sets, 60_000).state.deadline, 60_000 + HELD_DIGITS_GRACE_MS, 'at most the grace');
  // The held 600 (pressed at 300, 400, 500 by the switch) arrive at 6000.
  state = fired.state;
  for (const [i, d] of [...'600'].entries())
    state = pressOne(state, sets, d, { now: 6000, at: 300 + i * 100 }, {}).state;
  t.deepEqual(state.collecting, ['22600']);
  // They were themselves late: the ingest is delivering what it held, in order. Their timer decides.
  const decided = timerFired(state, sets, 6000 + DEFAULT_DIGIT_TIMEOUT_MS);
  t.falsy(decided.heldWait);
  t.is(decided.match?.collected, '22600');
  t.deepEqual(decided.match?.captures, ['2600']);
  // No digit came in the grace: the collection ends with what it has.
  const nothing = timerFired(fired.state, sets, fired.state.deadline!);
  t.falsy(nothing.heldWait);
  t.is(nothing.match?.collected, '22');
});

test('switch clock: a timer late by less than LATE_TIMER_MS decides at once, as one on time', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  const { state } = type(sets, '*22600');
  const deadline = state.deadline!;
  const fired = timerFired(state, sets, deadline + LATE_TIMER_MS - 100);
  t.falsy(fired.heldWait);
  t.is(fired.match?.collected, '22600');
  t.deepEqual(fired, { ...expire(state, sets), state: fired.state });
});

// ---------------------------------------------------------------------------------------------------------------
// A collection its timer ended as no match, reopened by digits pressed in time and delivered after the timer

/** Presses each digit through `press`, delivered at `now`, stamped by the switch at `at[i]`; returns the last step. */
function deliver(sets: readonly FeatureCodeSet[], state: CollectorState, digits: string, now: number, at: number[]) {
  checkLengths(digits, at);
  let step = { state, errors: [] as string[] } as ReturnType<typeof pressOne>;
  [...digits].forEach((d, i) => {
    step = pressOne(step.state, sets, d, { now, at: at[i]! }, {});
  });
  return step;
}

test('reopen: *2 ended as no match by a timer late by less than LATE_TIMER_MS; the held 2604 makes it *22604 again', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  // `*` and `2` delivered at once; the timer fired 2.74 s after the `2` (Temporal restarted while it was armed).
  let state = deliver(sets, emptyCollector(sets), '*', 0, [0]).state;
  state = deliver(sets, state, '2', 121, [121]).state;
  const fired = timerFired(state, sets, 3665);
  t.true(3665 - 121 - DEFAULT_DIGIT_TIMEOUT_MS < LATE_TIMER_MS, 'not late enough to wait for held digits');
  t.falsy(fired.heldWait);
  t.is(fired.match, undefined, '*2 matches nothing');
  t.deepEqual(fired.state.collecting, [undefined]);
  // The held 2604, each stamped within the digit timeout of the one before, delivered 0.1 s after the timer.
  const held = deliver(sets, fired.state, '2604', 3765, [273, 399, 556, 676]);
  t.deepEqual(held.state.collecting, ['22604'], 'the collection is *22604 again');
  const decided = timerFired(held.state, sets, held.state.deadline!);
  t.is(decided.match?.collected, '22604');
  t.deepEqual(decided.match?.captures, ['2604'], 'the transfer goes to 2604');
});

test('reopen: only by a digit within the digit timeout of the last one, and only once', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  let state = deliver(sets, emptyCollector(sets), '*2', 121, [0, 121]).state;
  const fired = timerFired(state, sets, 3665);
  t.is(fired.match, undefined);
  // Pressed after the timeout by the switch's clock: a digit of its own, as for a slow typist.
  const slow = deliver(sets, fired.state, '2604', 3765, [122 + DEFAULT_DIGIT_TIMEOUT_MS, 1000, 1100, 1200]);
  t.deepEqual(slow.state.collecting, [undefined]);
  // A digit stamped before the ended collection's last one is out of order: it does not reopen it.
  t.deepEqual(deliver(sets, fired.state, '2', 3765, [100]).state.collecting, [undefined]);
  // The next digit decides: a reopening is not kept for a later one.
  state = deliver(sets, fired.state, '5', 3765, [2000]).state;
  t.deepEqual(deliver(sets, state, '2', 3765, [300]).state.collecting, [undefined]);
});

test('reopen: a match that acted, and a no match the terminator ended, are never reopened', (t) => {
  const sets = [set({ numbers: { '22': hangup }, patterns: { '^2(\\d+)$': seedTransfer } })];
  const state = deliver(sets, emptyCollector(sets), '*22', 200, [0, 100, 200]).state;
  const matched = timerFired(state, sets, 3500);
  t.is(matched.match?.metaflow, hangup);
  t.deepEqual(deliver(sets, matched.state, '6', 3600, [300]).state.collecting, [undefined]);
  const terminated = deliver(sets, emptyCollector(sets), '*9#', 200, [0, 100, 200]);
  t.is(terminated.match, undefined);
  t.deepEqual(deliver(sets, terminated.state, '2', 300, [300]).state.collecting, [undefined]);
});

test('reopen: a partly typed takeback (`*`, its timer late, then `1` pressed in time) is taken back', (t) => {
  const sets = transferCodeSets(DEFAULT_TRANSFER_CODES, 'transfer-1', DEFAULT_DIGIT_TIMEOUT_MS);
  const state = deliver(sets, emptyCollector(sets), '*', 0, [0]).state;
  const fired = timerFired(state, sets, 2800);
  t.is(fired.match, undefined, '`*` alone matches nothing');
  t.deepEqual(fired.state.collecting, [undefined]);
  const one = deliver(sets, fired.state, '1', 2900, [450]);
  t.is(one.match && transferCodeOf(one.match), 'takeback', 'the takeback acts at its last digit');
  // `1` pressed after the digit timeout is no takeback.
  t.is(deliver(sets, fired.state, '1', 2900, [DEFAULT_DIGIT_TIMEOUT_MS + 1]).match, undefined);
});

// ---------------------------------------------------------------------------------------------------------------
// A promptly delivered digit whose workflow task ran late is not a held one: the ingest says which it held

test('held stamp: *22 delivered at once, its task timed out and ran 3.3 s later, then Temporal away: 602 still joins', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  const typed = (held: boolean | undefined) => {
    let state = emptyCollector(sets);
    // Pressed at 0, 100, 200 (switch); the ingest delivered them at once, the workflow task ran at 3500.
    for (const [i, d] of [...'*22'].entries())
      state = pressOne(state, sets, d, { now: 3500, at: i * 100, ...(held === undefined ? {} : { held }) }, {}).state;
    return state;
  };
  // The timer fires long after (Temporal restarted): late by more than LATE_TIMER_MS.
  const fired = timerFired(typed(false), sets, 9000);
  t.truthy(fired.heldWait, 'the presses were not held: it waits for the ones the ingest may hold');
  // The held 602 (pressed at 300, 400, 500) come, stamped held.
  let state = fired.state;
  for (const [i, d] of [...'602'].entries())
    state = pressOne(state, sets, d, { now: 9500, at: 300 + i * 100, held: true }, {}).state;
  const decided = timerFired(state, sets, 9500 + DEFAULT_DIGIT_TIMEOUT_MS);
  t.falsy(decided.heldWait, 'the ingest is delivering what it held: no second wait');
  t.deepEqual(decided.match?.captures, ['2602'], 'the whole code, not 2');
  // A digit from an older ingest (no stamp), processed 3.3 s after its press, is taken for held, as before.
  const unstamped = timerFired(typed(undefined), sets, 9000);
  t.falsy(unstamped.heldWait);
  t.deepEqual(unstamped.match?.captures, ['2']);
  // Stamped held, though processed soon after its press: no wait either (the rest follows in order).
  let prompt = emptyCollector(sets);
  for (const [i, d] of [...'*22'].entries())
    prompt = pressOne(prompt, sets, d, { now: 1000, at: i * 100, held: true }, {}).state;
  t.falsy(timerFired(prompt, sets, 9000).heldWait);
});

// ---------------------------------------------------------------------------------------------------------------
// A paced ingest: its key presses come on time or hundreds of ms late, one channel's not in step with its presses

test('paced: *22 came through a paced ingest, 600 (pressed in time) 45 ms after the timer: the code is *22600', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  // The load benchmark's storm, by the switch's clock: `*` at 0, `22` at 120 and 240, `600` at 360, 480, 600; the
  // ingest, paced, delivered `22` at 450 and `600` at 795, past the timer (450 + 300).
  const opts = { fallbackTimeoutMs: 300 };
  const paced = (state: CollectorState, digits: string, now: number, at: number[]) => {
    for (const [i, d] of [...digits].entries())
      state = pressOne(state, sets, d, { now, at: at[i]!, paced: true }, opts).state;
    return state;
  };
  let state = paced(emptyCollector(sets), '*22', 450, [0, 120, 240]);
  t.is(state.deadline, 750);
  const fired = timerFired(state, sets, 750, opts);
  t.truthy(fired.heldWait, 'the last digit came paced: the timer waits for the rest');
  t.is(fired.match, undefined);
  t.is(fired.state.deadline, 750 + PACED_DIGITS_GRACE_MS);
  t.deepEqual(fired.heldWait, { until: 750 + PACED_DIGITS_GRACE_MS, late: false, lastAt: 240 });
  state = paced(fired.state, '600', 795, [360, 480, 600]);
  t.deepEqual(state.collecting, ['22600']);
  const again = timerFired(state, sets, state.deadline!, opts);
  t.truthy(again.heldWait, 'once per digit: the 600 came paced too');
  const decided = timerFired(again.state, sets, again.state.deadline!, opts);
  t.falsy(decided.heldWait, 'once per digit: the grace is spent');
  t.deepEqual(decided.match?.captures, ['2600'], 'the transfer goes to 2600, not 2');
  // Unpaced, the same timer decides at once: *22, a transfer to 2.
  let prompt = emptyCollector(sets);
  for (const [i, d] of [...'*22'].entries()) prompt = pressOne(prompt, sets, d, { now: 450, at: i * 120 }, opts).state;
  const atOnce = timerFired(prompt, sets, 750, opts);
  t.falsy(atOnce.heldWait);
  t.deepEqual(atOnce.match?.captures, ['2']);
});

test('paced: the wait only where a patch allows it, and only a timer that ends something', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  let state = emptyCollector(sets);
  for (const [i, d] of [...'*22'].entries())
    state = pressOne(state, sets, d, { now: 300, at: i * 100, paced: true }, {}).state;
  let asked = 0;
  const refused = timerFired(state, sets, state.deadline!, { pacedGrace: () => (asked++, false) });
  t.is(asked, 1);
  t.falsy(refused.heldWait, 'a run from before the wait decides as it did');
  t.deepEqual(refused.match?.captures, ['2']);
  // A timer that fires before any set's deadline ends nothing, and does not ask.
  const early = timerFired(state, sets, state.deadline! - 1, { pacedGrace: () => (asked++, true) });
  t.is(asked, 1);
  t.falsy(early.heldWait);
  t.deepEqual(early.state.collecting, ['22']);
  // A key press that was paced and held too: the ingest is delivering what it held, in order: no wait either.
  let heldToo = emptyCollector(sets);
  for (const [i, d] of [...'*22'].entries())
    heldToo = pressOne(heldToo, sets, d, { now: 300, at: i * 100, paced: true, held: true }, {}).state;
  t.falsy(timerFired(heldToo, sets, heldToo.deadline!).heldWait);
  // A code that no digit can extend acts at its last digit, paced or not: no timer at all.
  const exact = [set({ numbers: { '22': hangup } })];
  let code = emptyCollector(exact);
  let last;
  for (const [i, d] of [...'*22'].entries()) {
    last = pressOne(code, exact, d, { now: 300, at: i * 100, paced: true }, {});
    code = last.state;
  }
  t.is(last!.match?.metaflow, hangup);
});

// ---------------------------------------------------------------------------------------------------------------
// The delivery counted as waited: the timeout runs from the press, by the switch's clock, up to a cap

test('lag credit: a code ends the timeout after its last press, not after that press reached the workflow', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  const opts = { fallbackTimeoutMs: 300, creditLag: () => true };
  // Each press reaches the workflow 40 ms after the switch stamped it (the ingest, Temporal, the task's start).
  let state = emptyCollector(sets);
  for (const [i, d] of [...'*22600'].entries()) {
    state = pressOne(state, sets, d, { now: i * 60 + 40, at: i * 60 }, opts).state;
  }
  t.is(state.deadline, 300 + 300, 'the last press (300) plus the timeout, not its arrival (340) plus it');
  t.deepEqual(timerFired(state, sets, state.deadline!, opts).match?.captures, ['2600']);
  // Without the credit (a run from before it), the arrival counts.
  let before = emptyCollector(sets);
  for (const [i, d] of [...'*22600'].entries()) {
    before = pressOne(before, sets, d, { now: i * 60 + 40, at: i * 60 }, { fallbackTimeoutMs: 300 }).state;
  }
  t.is(before.deadline, 340 + 300);
});

test('lag credit: at most DIGIT_LAG_CREDIT_MS and a quarter of the timeout; never more than the delivery', (t) => {
  t.is(lagCredit(800, 1_000, 400), DIGIT_LAG_CREDIT_MS, 'a delivery of 600 ms: the cap');
  t.is(lagCredit(300, 1_000, 900), 75, 'a quarter of a 300 ms timeout');
  t.is(lagCredit(800, 1_000, 970), 30, 'the delivery itself, below the caps');
  t.is(lagCredit(800, 1_000, 1_050), 0, "a switch clock ahead of the workflow's: nothing");
  const sets = [set({ numbers: { '12': hangup } })];
  const slow = pressOne(emptyCollector(sets), sets, '*', { now: 5_000, at: 1_000 }, { creditLag: () => true });
  t.is(slow.state.deadline, 5_000 + DEFAULT_DIGIT_TIMEOUT_MS - DIGIT_LAG_CREDIT_MS, 'a held press: the cap only');
});

test('lag credit: the next press, in time and delivered within the credit of the last, joins the code', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  const opts = { fallbackTimeoutMs: 300, creditLag: () => true };
  // `*2` delivered 70 ms late: the deadline is 300 ms after `2`'s press (100), 400. `6`, pressed at 290, in time,
  // reaches the workflow at 390, 100 ms after its press: before the timer, so it joins.
  let state = emptyCollector(sets);
  for (const [i, d] of [...'*2'].entries())
    state = pressOne(state, sets, d, { now: i * 100 + 70, at: i * 100 }, opts).state;
  t.is(state.deadline, 400);
  const six = pressOne(state, sets, '6', { now: 390, at: 290 }, opts);
  t.deepEqual(six.state.collecting, ['26']);
  t.is(six.state.deadline, 390 + 300 - 75, 'its own credit: a quarter of the timeout, below its 100 ms delivery');
  // Delivered after the timer fired, it finds the code ended; `2` alone is no code, and a no match is reopened by a
  // press the switch stamped in time, as before the credit.
  const fired = timerFired(state, sets, 400, opts);
  t.is(fired.match, undefined);
  t.deepEqual(pressOne(fired.state, sets, '6', { now: 410, at: 290 }, opts).state.collecting, ['26']);
});

test('lag credit: asked only of a press that came after its stamp and arms or moves a deadline', (t) => {
  const sets = [set({ numbers: { '12': hangup } })];
  let asked = 0;
  const opts = { creditLag: () => (asked++, false) };
  const nothing = pressOne(emptyCollector(sets), sets, '5', { now: 100, at: 50 }, opts);
  t.is(asked, 0, 'a digit that starts no code');
  t.is(nothing.state.deadline, undefined);
  const onTime = pressOne(emptyCollector(sets), sets, '*', { now: 100, at: 100 }, opts);
  t.is(asked, 0, 'a press delivered at its stamp');
  const late = pressOne(onTime.state, sets, '1', { now: 250, at: 200 }, opts);
  t.true(asked > 0);
  t.is(late.state.deadline, 250 + DEFAULT_DIGIT_TIMEOUT_MS, 'the patch refused: the arrival counts');
});

// ---------------------------------------------------------------------------------------------------------------
// The code's timer on a cluster that fires short timers late

test('timer shift: a digit starts the timer again only where waiting for it would end the code later', (t) => {
  // A 1 s shift, an 800 ms timeout. `*` at 0 armed a timer due at 800, which fires at 1000. `2` at 200 moves the
  // deadline to 1000: the timer, kept, ends the code then; started again it would end it at 1200. Kept.
  const first = { at: 800, startedAt: 0 };
  t.false(restartsDigitTimer(first, 1000, 200, 1000));
  // `2` at 300: deadline 1100. Kept, it fires at 1000 and what is left (100 ms) lasts 1 s: 2000. Started again: 1300.
  t.true(restartsDigitTimer(first, 1100, 300, 1000));
  // With the benchmark's 100 ms shift, what is left (300 ms) is precise: kept.
  t.false(restartsDigitTimer(first, 1100, 300, 100));
  // ...but not when what is left is under the shift: 50 ms would last 100.
  t.true(restartsDigitTimer(first, 850, 300, 100));
  // A deadline that came sooner than the timer: started again where that is sooner (a precise cluster)...
  t.true(restartsDigitTimer(first, 500, 200, 0));
  // ...and kept where the new timer could not fire before the running one (a 1 s shift: 1200 against 1000).
  t.false(restartsDigitTimer(first, 500, 200, 1000));
  // A tie keeps the timer: one timer fewer.
  t.false(restartsDigitTimer({ at: 800, startedAt: 0 }, 800, 200, 0));
});

test('timer shift: *22600 on a 1 s shift ends as soon as a timer can end it, and pays a timer for it', (t) => {
  /** The timers a code with its keys `gap` ms apart starts (`*` at 0), and when the last one fires. */
  const typed = (gap: number) => {
    let timer = { at: 800, startedAt: 0 };
    let started = 1;
    for (let k = 1; k <= 5; k++) {
      const now = k * gap;
      if (restartsDigitTimer(timer, now + 800, now, 1000)) {
        timer = { at: now + 800, startedAt: now };
        started++;
      }
    }
    return { started, endsAt: Math.max(timer.at, timer.startedAt + 1000) };
  };
  // Keys 100 ms apart: the first timer (due at 800, fired at 1000) carries the code past its third key; one more,
  // started at it, ends the code at its deadline, 800 ms after the last key (at 500).
  t.deepEqual(typed(100), { started: 2, endsAt: 1300 });
  // Keys 300 ms apart: each key's deadline is past the running timer's fire, and what would be left then lasts 1 s: the
  // timer is started again at every key, and the code ends 1 s after its last key (1500), the soonest a timer started
  // then can fire. Kept, it would have ended up to the shift later (bench/RESULTS-coarse-timers.md).
  t.deepEqual(typed(300), { started: 6, endsAt: 2500 });
});

test('timer shift: a restart must end the code half a shift sooner to be worth its timer', (t) => {
  /** The timers *22600 with its keys `gap` ms apart starts (`*` at 0, a 300 ms timeout), and when the code ends. */
  const typed = (gap: number, shift: number, worthIt: boolean) => {
    let timer = { at: 300, startedAt: 0 };
    let started = 1;
    for (let k = 1; k <= 5; k++) {
      const now = k * gap;
      if (restartsDigitTimer(timer, now + 300, now, shift, worthIt)) {
        timer = { at: now + 300, startedAt: now };
        started++;
      }
    }
    const fires = Math.max(timer.at, timer.startedAt + shift);
    const deadline = 5 * gap + 300;
    // A timer that fires before the code's deadline is followed by one for what is left.
    return { started: fires < deadline ? started + 1 : started, endsAt: Math.max(deadline, fires) };
  };
  // The benchmark's dev server (100 ms shift), keys 60 ms apart: each key's restart would end the code 40 ms sooner
  // were it the last, and the next key moves the deadline again. Kept: two timers, and the code ends on time.
  t.deepEqual(typed(60, 100, false), { started: 6, endsAt: 600 });
  t.deepEqual(typed(60, 100, true), { started: 2, endsAt: 600 });
  // Where the kept timer would end the code late by half the shift or more, the restart is made as before.
  t.true(restartsDigitTimer({ at: 300, startedAt: 0 }, 340, 40, 100, true), 'kept: 400; started again: 340');
  t.false(restartsDigitTimer({ at: 300, startedAt: 0 }, 360, 60, 100, true), 'kept: 400; started again: 360');
  // A 1 s shift: the restarts the rule made save 700 ms each; all are still made.
  for (const [at, deadline, now] of [
    [800, 1100, 300],
    [1100, 1400, 600],
  ] as const) {
    t.true(restartsDigitTimer({ at, startedAt: at - 800 }, deadline, now, 1000, true), `${at}, ${deadline}, ${now}`);
  }
  // With no shift, a restart is worth any gain (the rule of before the shift).
  t.true(restartsDigitTimer({ at: 800, startedAt: 0 }, 500, 200, 0, true));
  t.false(restartsDigitTimer({ at: 800, startedAt: 0 }, 800, 200, 0, true));
});

test('timer shift: with no shift, the rule before it (started again only when the deadline came sooner)', (t) => {
  for (const [at, deadline, now] of [
    [800, 1000, 200],
    [800, 500, 200],
    [800, 800, 200],
    [300, 900, 290],
    [300, 250, 100],
  ] as const) {
    t.is(restartsDigitTimer({ at, startedAt: 0 }, deadline, now), deadline < at, `${at}, ${deadline}, ${now}`);
  }
});

test('collector: a state carried across continue-as-new (through JSON) takes the next code', (t) => {
  const sets = [set({ numbers: { '1': hangup, '2': park } })];
  // `*1` matched; the set's slot is disarmed again (undefined), which JSON carries as null.
  let state = emptyCollector(sets);
  for (const [i, d] of [...'*1'].entries()) state = pressOne(state, sets, d, { now: i * 100, at: i * 100 }, {}).state;
  const payload = JSON.parse(JSON.stringify(state)) as CollectorState;
  t.deepEqual(payload.collecting, [null as unknown as undefined], 'what the next run receives');
  let carried = carriedCollector(payload);
  t.deepEqual(carried.collecting, [undefined]);
  let match;
  for (const [i, d] of [...'*2'].entries()) {
    const step = pressOne(carried, sets, d, { now: 60_000 + i * 100, at: 60_000 + i * 100 }, {});
    carried = step.state;
    match ??= step.match;
  }
  t.is((match ?? expire(carried, sets).match)?.metaflow, park);
});

// ---------------------------------------------------------------------------------------------------------------
// A code the ingest sent as one, with the leg's quiet after its last press (workers/ingest/code-hold.ts)

test('quiet: *22600 delivered at once with a quiet of the timeout ends at the last press, as the timer would', (t) => {
  const sets = [set({ patterns: { '^2(\\d+)$': seedTransfer } })];
  const at = [0, 60, 120, 180, 240, 300];
  const taken = deliver(sets, emptyCollector(sets), '*22600', 300 + DEFAULT_DIGIT_TIMEOUT_MS + 20, at);
  t.deepEqual(taken.state.collecting, ['22600'], 'the pattern could take more: the press alone decides nothing');
  const ended = quietEnded(taken.state, sets, 300 + DEFAULT_DIGIT_TIMEOUT_MS);
  t.is(ended.match?.collected, '22600');
  t.deepEqual(ended.match?.captures, ['2600']);
  t.deepEqual(ended.state.collecting, [undefined]);
  // What the timer decides from the same state, once due.
  t.is(expire(taken.state, sets).match?.collected, '22600');
});

test("quiet: shorter than a set's timeout leaves that set collecting, on its timer; a set it covers ends", (t) => {
  const slow = set({ digit_timeout: 2000, numbers: { '55': hangup } });
  const quick = set({ digit_timeout: 300, patterns: { '^2(\\d+)$': seedTransfer } }, 'peer', 'leg-b');
  const sets = [slow, quick];
  const taken = deliver(sets, emptyCollector(sets), '*26', 400, [0, 50, 100]);
  const short = quietEnded(taken.state, sets, 100 + 299);
  t.is(short.state, taken.state, 'a quiet short of every timeout changes nothing');
  const ended = quietEnded(taken.state, sets, 100 + 300);
  t.is(ended.match?.collected, '26', 'the quick set ends and matches');
  t.deepEqual(ended.state.collecting, [undefined, undefined], 'a match disarms every set, as the timer does');
  const noMatch = deliver(sets, emptyCollector(sets), '*9', 400, [0, 50]);
  const over = quietEnded(noMatch.state, sets, 50 + 300);
  t.is(over.match, undefined);
  t.deepEqual(over.state.collecting, ['9', undefined], 'the slow set goes on; the quick one ended as no match');
});
