// The benchmark's reading of a failed step (bench/calls.ts): whether its phones split a code with a pause longer than
// the digit timeout on the switch's clock (then the engine rightly ended the code there, and the step's failure is
// the benchmark's). The benchmark itself gives figures, not a test.
import test from 'ava';
import { PhonesPaused, longestPause, splitBy, splitWhereInert } from '../../bench/calls.ts';
import type { EslEvent } from '../support/esl-client.ts';

/** DTMF events as the phones receive them: the switch's timestamps (µs) in Event-Date-Timestamp. */
function presses(code: string, atMs: number[]): EslEvent[] {
  return [...code].map((digit, i) => {
    const headers = {
      'Event-Name': 'DTMF',
      'DTMF-Digit': digit,
      'Event-Date-Timestamp': String(atMs[i]! * 1000),
    };
    return { name: 'DTMF', headers, list: Object.entries(headers), t: i * 60 };
  });
}

test('a pause longer than the digit timeout, by the switch clock, splits the code', (t) => {
  // A failed call of a loaded benchmark run (call 124): *2, then 419 ms, then 2600, with DIGIT_TIMEOUT_MS=300.
  const code = presses('*22600', [52_703, 52_770, 53_189, 53_384, 53_580, 53_631]);
  t.deepEqual(longestPause(code), { ms: 419, before: 2 });
  t.deepEqual(splitBy(code, 300), { ms: 419, before: 2 });
  t.is(splitBy(code, 800), undefined, 'the same presses are one code with the production default');
});

test('a code pressed 60 ms apart is not split, and a pause equal to the timeout does not split it', (t) => {
  t.is(splitBy(presses('*22600', [0, 60, 120, 180, 240, 300]), 300), undefined);
  t.is(splitBy(presses('*1', [1_000, 1_300]), 300), undefined);
  t.deepEqual(splitBy(presses('*1', [1_000, 1_301]), 300), { ms: 301, before: 1 });
  t.is(longestPause(presses('*', [5])), undefined, 'one key has no pause');
});

test("the step's failure names the pause and whose it is", (t) => {
  const err = new PhonesPaused('(a) no music for the transferee', '*22600', { ms: 419, before: 2 }, 300);
  t.regex(err.message, /^\(a\) no music for the transferee, but the phones paused 419 ms before key 3 of \*22600/);
  t.regex(err.message, /DIGIT_TIMEOUT_MS=300/);
  t.regex(err.message, /not the engine/);
});

test('a code split where nothing can have started is pressed again; one split further on is not', (t) => {
  // *2, pause: the engine ended `*2` as no code and `2600` has no binding digit.
  t.true(splitWhereInert(presses('*22600', [52_703, 52_770, 53_189, 53_384, 53_580, 53_631]), 300, 2));
  t.true(splitWhereInert(presses('*22600', [0, 400, 460, 520, 580, 640]), 300, 2), '`*`, pause');
  // *226, pause, 00: the engine transferred to 26.
  t.false(splitWhereInert(presses('*22600', [0, 60, 120, 180, 600, 660]), 300, 2));
  t.false(splitWhereInert(presses('*22600', [0, 60, 120, 180, 240, 300]), 300, 2), 'not split');
  t.true(splitWhereInert(presses('*1', [0, 350]), 300, 1));
});
