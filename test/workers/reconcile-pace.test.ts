// Periodic reconciliations are paced by their own length: on a node with thousands of calls one takes seconds, and
// at a fixed period they would run back to back.
import test from 'ava';
import { periodicReconcileDue, RECONCILE_DUTY } from '../../workers/ingest/schedule.ts';

test('the first periodic reconciliation is due at once', (t) => {
  t.true(periodicReconcileDue(1_000, undefined));
});

test('a reconciliation of 30 s is followed by a pause of nine times that before the next periodic one', (t) => {
  const last = { endedAt: 100_000, tookMs: 30_000 };
  const pause = 30_000 * (1 / RECONCILE_DUTY - 1);
  t.is(pause, 270_000);
  t.false(periodicReconcileDue(100_000 + 30_000, last), 'the 30 s period alone would start it again');
  t.false(periodicReconcileDue(100_000 + pause - 1, last));
  t.true(periodicReconcileDue(100_000 + pause, last));
});

test('a quick reconciliation leaves the period as configured', (t) => {
  // 50 ms of work: due again 450 ms after it ended, well within any period an operator sets.
  t.true(periodicReconcileDue(10_450, { endedAt: 10_000, tookMs: 50 }));
});
