// A key press as the call workflow takes it (workflows/key-press.ts): the one rule by which a press is either done at
// once, without a command, or carried out with one (the leg's codes read, a transferor's codes, a code, the mask).
import test from 'ava';
import type { LegPolicy } from '../../activities/policy.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import type { FeatureCodeSet } from '../../contracts/metaflows.ts';
import {
  IDLE_DIGITS_KEPT,
  OPEN_PRESSES_KEPT,
  doneAtOnce,
  keptIdle,
  keptOpen,
  reopenAt,
  type OpenPress,
  pressOn,
  readGaveUp,
  readsAgain,
  type KeyPress,
  type LegDigits,
  type PressStep,
} from '../../workflows/key-press.ts';
import { NO_PRIVATE_DIGITS, masked } from '../../workflows/private-codes.ts';

const codes = (opts: { privateCodes?: boolean; patterns?: Record<string, string> } = {}): FeatureCodeSet => ({
  owner: 'self',
  ownerLeg: 'alice',
  metaflows: {
    binding_digit: '*',
    ...(opts.privateCodes ? { private_codes: true } : {}),
    numbers: { '5': { module: 'hold' } },
    patterns: Object.fromEntries(
      Object.entries(opts.patterns ?? { '^2(\\d+)$': 'transfer' }).map(([p, module]) => [p, { module, data: {} }]),
    ),
  },
});

const policy = (...sets: FeatureCodeSet[]): LegPolicy => ({ sets, defaultDigitTimeoutMs: 800 });

const leg = (over: Partial<LegDigits> = {}): LegDigits => ({
  policy: policy(codes()),
  transferor: false,
  collector: undefined,
  privateDigits: NO_PRIVATE_DIGITS,
  peer: 'bob',
  ...over,
});

/** Presses `digits` one after the other (100 ms apart, on both clocks), each on the state the last left. */
function typed(found: LegDigits, digits: string): { leg: LegDigits; steps: PressStep[] } {
  const steps: PressStep[] = [];
  let now = 1000;
  for (const digit of digits) {
    const step = pressOn(found, { digit, at: now }, now);
    steps.push(step);
    if (step.needs) break;
    found = { ...found, collector: step.collector, privateDigits: step.privateDigits };
    now += 100;
  }
  return { leg: found, steps };
}

test('a press with nothing to command is done at once: a digit outside any code, the codes begun and continued', (t) => {
  const { steps } = typed(leg(), '7*2');
  t.is(steps.length, 3);
  const [seven, star, two] = steps;
  t.true(seven && doneAtOnce(seven) && !seven.acted, 'a digit that is no code does nothing');
  t.true(star && doneAtOnce(star) && star.acted, 'the binding digit starts a collection');
  t.true(two && doneAtOnce(two) && two.acted && two.collector?.collecting[0] === '2', '2 continues it');
});

test("a press waits for a command: the codes to read, a transferor's codes, a code complete", (t) => {
  const key: KeyPress = { digit: '*', at: 1000 };
  const unread = pressOn(leg({ policy: undefined }), key, 1000);
  t.is(unread.needs, 'policy');
  t.false(doneAtOnce(unread));
  // A transferor's presses go to the transfer's codes (and their timeout) first, codes read or not.
  t.is(pressOn(leg({ transferor: true }), key, 1000).needs, 'transfer_codes');
  t.is(pressOn(leg({ transferor: true, policy: undefined }), key, 1000).needs, 'transfer_codes');
  // `*5` is complete at its 5 (no code is longer): it acts without the digit timeout.
  const last = typed(leg(), '*5').steps[1];
  t.truthy(last && !last.needs && last.match, 'the hold code matched');
  t.false(last !== undefined && doneAtOnce(last));
});

test('a leg without feature codes: every press is done at once and does nothing, whatever the mask', (t) => {
  const open = masked(NO_PRIVATE_DIGITS, 'bob', 500);
  const step = pressOn(leg({ policy: policy(), privateDigits: open }), { digit: '*', at: 1000 }, 1000);
  t.true(doneAtOnce(step));
  t.false(!step.needs && step.acted);
  t.is(step.privateDigits.dropped, '*', 'the mask dropped it, as the switch did');
  t.is(step.needs === undefined ? step.private : 'waits', undefined, 'no unmask without codes to end');
});

test('a private code: masking and unmasking the peer are commands; no peer, no mask', (t) => {
  const found = leg({ policy: policy(codes({ privateCodes: true })) });
  const star = pressOn(found, { digit: '*', at: 1000 }, 1000);
  t.deepEqual(star.needs === undefined && star.private, { do: 'mask', peer: 'bob' });
  t.false(doneAtOnce(star));
  t.true(doneAtOnce(pressOn({ ...found, peer: undefined }, { digit: '*', at: 1000 }, 1000)), 'nobody to keep it from');
  // Masked: `*9` is no code (none starts with 9): the mask comes off and sends on the 9 it dropped.
  if (star.needs) return t.fail();
  const armed = { ...found, collector: star.collector, privateDigits: masked(star.privateDigits, 'bob', 1050) };
  const nine = pressOn(armed, { digit: '9', at: 1100 }, 1100);
  t.deepEqual(nine.needs === undefined && nine.private, { do: 'unmask', peer: 'bob', resend: '9' });
  t.false(doneAtOnce(nine));
  // Masked, `*2` may still be a transfer: the mask stays, nothing to command.
  const two = pressOn(armed, { digit: '2', at: 1100 }, 1100);
  t.true(doneAtOnce(two));
  t.is(two.privateDigits.dropped, '2');
});

test('a code ended with no match beside a pattern that cannot run: done at once, the pattern reported', (t) => {
  // The press used to leave this to the awaited path, only to log the pattern: no command either way.
  const { steps } = typed(leg({ policy: policy(codes({ patterns: { '(': 'transfer' } })) }), '*9#');
  const end = steps[2];
  t.true(end !== undefined && doneAtOnce(end));
  t.true(end !== undefined && !end.needs && end.acted && end.errors.length === 1);
  t.regex((end && !end.needs && end.errors[0]) || '', /is not run/);
});

test('the presses kept for late ones: none once one acted, else the last few', (t) => {
  const press = (seq: number): ChannelEvent => ({
    name: 'DTMF',
    digit: '0',
    uuid: 'alice',
    coreUuid: 'core',
    seq,
    at: seq,
    node: 'n',
  });
  let idle: ChannelEvent[] = [];
  for (let seq = 1; seq <= IDLE_DIGITS_KEPT + 2; seq++) idle = keptIdle(idle, press(seq), false);
  t.deepEqual(
    idle.map((e) => e.seq),
    Array.from({ length: IDLE_DIGITS_KEPT }, (_, i) => i + 3),
  );
  t.deepEqual(keptIdle(idle, press(99), true), []);
});

test('open presses: the last OPEN_PRESSES_KEPT kept; a late press reopens from the first after it on its switch run', (t) => {
  const press = (seq: number, coreUuid = 'core'): ChannelEvent => ({
    name: 'DTMF',
    digit: String(seq % 10),
    uuid: 'alice',
    coreUuid,
    seq,
    at: seq,
    node: 'n',
  });
  const before = { collector: undefined, collectorOf: undefined, privateDigits: NO_PRIVATE_DIGITS };
  let open: OpenPress[] = [];
  for (let seq = 1; seq <= OPEN_PRESSES_KEPT + 3; seq++) open = keptOpen(open, { event: press(seq), before });
  t.is(open.length, OPEN_PRESSES_KEPT);
  t.is(open[0]?.event.seq, 4);
  // `*` (10) then `0` (15) taken; `2260` (11–14) comes late: taken again from the `0`.
  const taken = [10, 15].map((seq) => ({ event: press(seq), before }));
  t.is(
    reopenAt(
      taken,
      [11, 12, 13, 14].map((seq) => press(seq)),
    ),
    1,
  );
  t.is(reopenAt(taken, [press(9)]), 0, 'before them all: all taken again');
  t.is(reopenAt(taken, [press(16)]), -1, 'after them all: nothing to take again');
  t.is(reopenAt(taken, [press(11, 'restarted')]), -1, "another switch run's sequence says nothing of the order");
  t.is(reopenAt([], [press(11)]), -1);
});

test('after a read of the codes gave up: presses sent before the give-up read no more, later ones read again', (t) => {
  // The switch's clock is 120 s behind the workflow's, or 120 s ahead: the give-up falls at the same switch time.
  for (const skew of [-120_000, 0, 120_000]) {
    const pressAt = 1_000_000; // the switch's time of the press that read
    const readFrom = pressAt - skew + 40; // the workflow took it 40 ms later
    const gaveUp = readGaveUp(pressAt, readFrom, readFrom + 30_000);
    t.is(gaveUp, pressAt + 30_000, `skew ${skew}`);
    t.false(readsAgain(gaveUp, pressAt + 10_000), 'pressed during the read: it queued behind it');
    t.false(readsAgain(gaveUp, pressAt + 29_999));
    t.true(readsAgain(gaveUp, pressAt + 32_000), 'pressed after the give-up: the caller tries again');
  }
  t.true(readsAgain(undefined, 0), 'no read gave up');
});
