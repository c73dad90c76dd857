// The load benchmark's reading of a failed call (bench/load.ts, phonesSplit): whether its phones split one of the
// call's codes with a pause longer than the digit timeout on the switch's clock (the benchmark's fault, not the
// engine's). The phones run in the benchmark's process, so a stall of it stretches the gap between two presses.
import test from 'ava';
import { phonesSplit } from '../../bench/load.ts';
import type { Press } from '../cluster/scenarios.ts';
import type { SwitchEvent } from '../cluster/switch-watch.ts';

/** DTMF events as the watcher keeps them: received at `at` (this process), stamped by the switch (µs). */
function keys(code: string, receivedAt: number[], switchMs: number[]): SwitchEvent[] {
  return [...code].map((digit, i) => {
    const headers = { 'Event-Name': 'DTMF', 'DTMF-Digit': digit, 'Event-Date-Timestamp': String(switchMs[i]! * 1000) };
    return { name: 'DTMF', headers, list: Object.entries(headers), t: 0, at: receivedAt[i]! };
  });
}

const press = (what: Press['what'], code: string, startedAt: number): Press => ({
  what,
  code,
  startedAt,
  sentAt: startedAt + 400,
});

test('a transfer code with a pause longer than the digit timeout is a split; 60 ms apart is not', (t) => {
  const split = keys('*22600', [1000, 1060, 1500, 1560, 1620, 1680], [5000, 5060, 5480, 5540, 5600, 5660]);
  t.is(
    phonesSplit([press('transfer code', '*22600', 990)], split, 300),
    "the phones paused 420 ms before key 3 of *22600 (switch's clock)",
  );
  const whole = keys('*22600', [1000, 1060, 1120, 1180, 1240, 1300], [5000, 5060, 5120, 5180, 5240, 5300]);
  t.is(phonesSplit([press('transfer code', '*22600', 990)], whole, 300), undefined);
});

test("each code is read from its own presses: the pause between two codes is no split, the takeback's own is", (t) => {
  const events = [
    ...keys('*22600', [1000, 1060, 1120, 1180, 1240, 1300], [5000, 5060, 5120, 5180, 5240, 5300]),
    ...keys('*1', [4000, 4500], [8000, 8450]),
  ];
  const presses = [press('transfer code', '*22600', 990), press('takeback', '*1', 3990)];
  t.is(phonesSplit(presses, events, 300), "the phones paused 450 ms before key 2 of *1 (switch's clock)");
  t.is(phonesSplit(presses.slice(0, 1), events, 300), undefined, 'the 2.7 s between the codes is not counted');
  t.is(phonesSplit([press('REST transfer', '', 990)], events, 300), undefined, 'a REST request presses no key');
});
