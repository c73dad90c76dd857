// The transferor's takeback code (workflows/takeback.ts): a suffix match on the digits as the switch timed them, and a
// partly typed code that expires after the inter-digit timeout.
import test from 'ava';
import { NOTHING_TYPED, pressTakeback, takebackExpired, type TypedTakeback } from '../../workflows/takeback.ts';

/** Types `digits` (each `gapMs` after the last, from t = 1000) and says what each digit did. */
function type(digits: string, gapMs: number, code = '*1', timeoutMs = 800): string[] {
  let typed: TypedTakeback = NOTHING_TYPED;
  return [...digits].map((digit, i) => {
    const at = 1000 + i * gapMs;
    const pressed = pressTakeback(typed, code, digit, at, takebackExpired(typed, at, timeoutMs));
    typed = pressed.typed;
    return pressed.matched ? 'matched' : pressed.partial ? 'partial' : 'other';
  });
}

test('typed within the timeout, the code matches, after any stray digits', (t) => {
  t.deepEqual(type('*1', 100), ['partial', 'matched']);
  t.deepEqual(type('5*1', 100), ['other', 'partial', 'matched']);
  t.deepEqual(type('**1', 100), ['partial', 'partial', 'matched']);
  t.deepEqual(type('#9', 100, '#9'), ['partial', 'matched']);
});

test('a partial code expires: its next digit, later than the timeout, starts afresh', (t) => {
  t.deepEqual(type('*1', 801), ['partial', 'other']);
  t.deepEqual(type('*1', 800), ['partial', 'matched'], 'exactly the timeout is still in time');
  t.deepEqual(type('**1', 900), ['partial', 'partial', 'other']);
});

test('a matched code leaves nothing typed', (t) => {
  const first = pressTakeback(NOTHING_TYPED, '*1', '*', 0, false);
  const done = pressTakeback(first.typed, '*1', '1', 10, false);
  t.true(done.matched);
  t.deepEqual(done.typed, NOTHING_TYPED);
  t.false(takebackExpired(done.typed, 1_000_000, 800));
});
