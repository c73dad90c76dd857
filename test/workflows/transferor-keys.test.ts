// A transfer's own hearing of its transferor's presses (workflows/transferor-keys.ts): it acts on a transfer code that
// a press decides, by the collector's rules over the transferor's sets, once, whichever way the code came first.
import test from 'ava';
import type { LegPolicy } from '../../activities/policy.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import type { FeatureCodeSet } from '../../contracts/metaflows.ts';
import { DEFAULT_TRANSFER_CODES } from '../../contracts/transfer-codes.ts';
import { keyPressId } from '../../contracts/ids.ts';
import { transferorSets } from '../../workflows/key-press.ts';
import {
  NO_KEYS,
  TAKEN_KEPT,
  codeTaken,
  transferorPressed,
  type TransferorKeys,
} from '../../workflows/transferor-keys.ts';

const own = (
  patterns: Record<string, string> = {},
  numbers: Record<string, string> = { '5': 'hold' },
): FeatureCodeSet => ({
  owner: 'self',
  ownerLeg: 'alice',
  metaflows: {
    binding_digit: '*',
    numbers: Object.fromEntries(Object.entries(numbers).map(([n, module]) => [n, { module }])),
    patterns: Object.fromEntries(Object.entries(patterns).map(([p, module]) => [p, { module, data: {} }])),
  },
});

const policy = (...sets: FeatureCodeSet[]): LegPolicy => ({ sets, defaultDigitTimeoutMs: 800 });

const transfer = { id: 'transfer:alice:bob', codes: DEFAULT_TRANSFER_CODES, digitTimeoutMs: 800 };

let seq = 100;
const dtmf = (digit: string, at: number, uuid = 'alice'): ChannelEvent => ({
  name: 'DTMF',
  uuid,
  coreUuid: 'core-1',
  seq: seq++,
  at,
  node: 'fs1',
  digit,
});

/** The presses of `digits`, `gapMs` apart on the switch's clock, heard one after the other: the codes each decided. */
function heard(p: LegPolicy, digits: string, gapMs = 100, keys: TransferorKeys = NO_KEYS) {
  const sets = transferorSets(transfer, p.sets);
  const codes: (string | undefined)[] = [];
  const events: ChannelEvent[] = [];
  let at = 10_000;
  for (const digit of digits) {
    const event = dtmf(digit, at);
    events.push(event);
    const step = transferorPressed(keys, sets, p, event);
    keys = step.keys;
    codes.push(step.code);
    at += gapMs;
  }
  return { codes, keys, events };
}

test('the takeback `*1`, which nothing extends, is decided by its last press', (t) => {
  t.deepEqual(heard(policy(own()), '*1').codes, [undefined, 'takeback']);
  t.deepEqual(heard(policy(own()), '*3').codes, [undefined, 'three_way']);
  t.deepEqual(heard(policy(own()), '*4').codes, [undefined, 'swap']);
});

test("the leg's own codes and digits outside any code are no transfer code", (t) => {
  t.deepEqual(heard(policy(own()), '7*5').codes, [undefined, undefined, undefined]);
  t.deepEqual(heard(policy(own()), '12').codes, [undefined, undefined]);
});

test("a code the leg's own pattern extends waits for the digit timeout: the call workflow's timer decides it", (t) => {
  const p = policy(own({ '^1(\\d+)$': 'transfer' }));
  const typed = heard(p, '*1');
  t.deepEqual(typed.codes, [undefined, undefined]);
  // The next press comes after the timeout: the collection it finds timed out is the timer's match, not acted on here.
  const sets = transferorSets(transfer, p.sets);
  const late = transferorPressed(typed.keys, sets, p, dtmf('7', 10_100 + 900));
  t.is(late.code, undefined);
  // ... and a press that ends it with the terminator decides it at once.
  const ended = heard(p, '*1#');
  t.deepEqual(ended.codes, [undefined, undefined, 'takeback']);
});

test('a pause longer than the digit timeout between `*` and `1` is no takeback', (t) => {
  t.deepEqual(heard(policy(own()), '*1', 900).codes, [undefined, undefined]);
  t.deepEqual(heard(policy(own()), '*1', 700).codes, [undefined, 'takeback']);
});

test("a code is acted on once: the press after the call workflow's signal, the signal after the press", (t) => {
  const p = policy(own());
  const sets = transferorSets(transfer, p.sets);
  const star = dtmf('*', 1000);
  const one = dtmf('1', 1100);
  // The call workflow's signal came first, naming the press that ended the code.
  const signalled = codeTaken(NO_KEYS, keyPressId(one));
  t.true(signalled.fresh);
  const afterStar = transferorPressed(signalled.keys, sets, p, star);
  t.is(transferorPressed(afterStar.keys, sets, p, one).code, undefined);
  // The press came first: the signal for the same code is not acted on again.
  const pressed = heard(p, '*1');
  t.is(pressed.codes[1], 'takeback');
  t.false(codeTaken(pressed.keys, keyPressId(pressed.events[1]!)).fresh);
  // A code without its press (a REST request) always acts; another press's code does too.
  t.true(codeTaken(pressed.keys, undefined).fresh);
  t.true(codeTaken(pressed.keys, keyPressId(pressed.events[0]!)).fresh);
});

test('the presses taken are bounded', (t) => {
  let keys = NO_KEYS;
  for (let i = 0; i < TAKEN_KEPT + 5; i++) keys = codeTaken(keys, `core/${i}`).keys;
  t.is(keys.taken.length, TAKEN_KEPT);
  t.true(codeTaken(keys, 'core/0').fresh, 'the oldest forgotten');
  t.false(codeTaken(keys, `core/${TAKEN_KEPT + 4}`).fresh);
});

test('a press that is no key press is no input', (t) => {
  const p = policy(own());
  const step = transferorPressed(NO_KEYS, transferorSets(transfer, p.sets), p, {
    ...dtmf('1', 1),
    name: 'CHANNEL_ANSWER',
  });
  t.is(step.code, undefined);
  t.is(step.keys, NO_KEYS);
});
