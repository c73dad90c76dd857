// Feature codes kept from the other party (workflows/private-codes.ts): when the peer's ear is masked and lifted, and
// which digits are sent on, read off the switch's timestamps.
import test from 'ava';
import type { FeatureCodeSet } from '../../contracts/metaflows.ts';
import { emptyCollector, press } from '../../workflows/collector.ts';
import {
  NO_PRIVATE_DIGITS,
  afterStep,
  digitPressed,
  masked,
  privateCollection,
  unmasked,
} from '../../workflows/private-codes.ts';

const set = (privateCodes: boolean | undefined): FeatureCodeSet => ({
  owner: 'self',
  ownerLeg: 'alice',
  metaflows: {
    binding_digit: '*',
    ...(privateCodes === undefined ? {} : { private_codes: privateCodes }),
    numbers: { '5': { module: 'hold' } },
    patterns: { '^2(\\d+)$': { module: 'transfer', data: {} } },
  },
});

function collect(sets: FeatureCodeSet[], digits: string) {
  let state = emptyCollector(sets);
  for (const d of digits) state = press(state, sets, d, { now: 0, at: 0 }).state;
  return state;
}

test('a private collection: armed by the binding digit, over when nothing can become a code; off by default', (t) => {
  const mine = [set(true)];
  t.false(privateCollection(collect(mine, ''), mine));
  t.true(privateCollection(collect(mine, '*'), mine));
  t.true(privateCollection(collect(mine, '*2'), mine), '2 may become a transfer');
  t.true(privateCollection(collect(mine, '*22600'), mine), 'a transfer, which a longer target would still be');
  t.false(privateCollection(collect(mine, '*9'), mine), 'no code starts with 9');
  t.false(privateCollection(collect([set(undefined)], '*2'), [set(undefined)]));
  t.false(privateCollection(collect([set(false)], '*2'), [set(false)]));
  // The peer's private set beside the leg's own: a collection of either one counts only for its own document.
  const both = [set(false), { ...set(true), owner: 'peer' as const, ownerLeg: 'bob' }];
  t.true(privateCollection(collect(both, '*2'), both));
  // A running transfer's codes (ahead of the leg's own) are private when one of the leg's sets is.
  const transfer: FeatureCodeSet = {
    owner: 'transfer',
    ownerLeg: 'transfer:x',
    metaflows: { binding_digit: '*', numbers: { '1': { module: 'takeback' } } },
  };
  const withOwn = (own: FeatureCodeSet) => [
    transfer,
    { ...own, metaflows: { ...own.metaflows, numbers: {}, patterns: {} } },
  ];
  t.true(privateCollection(collect(withOwn(set(true)), '*'), withOwn(set(true))));
  t.false(privateCollection(collect(withOwn(set(false)), '*'), withOwn(set(false))));
});

test('mask as the code begins; a code keeps its digits; no code sends on what the mask dropped, once', (t) => {
  let s = NO_PRIVATE_DIGITS;
  t.is(afterStep(s, false, false, 'bob'), undefined, 'nothing typed');
  s = digitPressed(s, '*', 100); // the binding digit crossed before any mask: the peer heard it
  t.deepEqual(afterStep(s, true, false, 'bob'), { do: 'mask', peer: 'bob' });
  s = masked(s, 'bob', 150);
  t.is(afterStep(s, true, false, 'bob'), undefined, 'already masked');
  s = digitPressed(s, '5', 400);
  t.is(s.dropped, '5');
  t.deepEqual(afterStep(s, false, true, 'bob'), { do: 'unmask', peer: 'bob', resend: '' }, 'the code keeps 5');
  s = unmasked(s, 500);
  t.is(afterStep(s, false, false, 'bob'), undefined, 'nothing left to send');
  // Digits after the lift crossed unmasked: nothing to send on.
  s = digitPressed(s, '7', 600);
  t.is(s.dropped, '');
});

test('a digit that crossed before the mask went on is not sent again; one dropped just before the lift is', (t) => {
  let s = masked(digitPressed(NO_PRIVATE_DIGITS, '*', 100), 'bob', 150);
  s = digitPressed(s, '2', 120); // pressed before the mask was sent: the peer heard it
  s = digitPressed(s, '2', 200);
  t.deepEqual(afterStep(s, false, false, 'bob'), { do: 'unmask', peer: 'bob', resend: '2' });
  s = unmasked(s, 300);
  // Dropped before the lift (the switch's time) but seen after it: sent on by itself, the mask already off.
  s = digitPressed(s, '6', 290);
  t.deepEqual(afterStep(s, false, false, 'bob'), { do: 'unmask', peer: 'bob', resend: '6' });
  s = unmasked(s, 350);
  t.is(s.dropped, '');
  t.is(s.mask?.until, 300, 'the window stays the first lift');
});
