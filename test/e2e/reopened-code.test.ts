// A feature code whose digit timer fired while the ingest still held the rest of it: `*2` reached the call's workflow,
// `2604` (pressed well within the digit timeout, by the switch's clock) was held by the ingest, whose way to Temporal
// was cut, and the timer fired on time, before the ingest got through. The timer ends `*2` as no match; that did
// nothing on the switch, so the held digits, stamped within the digit timeout of the `2`, reopen it and 2604 is
// dialled. (With a Temporal restart the timer fires a little late instead, but by less than the lateness for which it
// waits for held digits: the same split, as the HA chaos round showed.) The node worker reaches Temporal through a
// gate (test/support/tcp-gate.ts); what happened is read from ESL, the history only tells the test when to go on.
import anyTest from 'ava';
import { press, useEngine } from '../support/engine.ts';
import { dialledWhole, withGatedCall } from '../support/gated-call.ts';
import { EventType, handledAfterSignals, historyReaches, signalledDigits, timersRunning } from '../support/history.ts';

const test = useEngine(anyTest, {}, { nodeWorker: false, scenario: 'reopened-code' });

/** Long enough for the gate to shut between the `2` and the rest of the code, by the switch's clock. */
const DIGIT_TIMEOUT_MS = 2500;

test.serial('*2 delivered, its timer fired before the held 2604 got through: 2604 is dialled', async (t) => {
  const e = t.context;
  await withGatedCall(e, { digitTimeoutMs: DIGIT_TIMEOUT_MS, workflowProcess: false }, async (call) => {
    const { alice, forNodes } = call;
    // A digit that starts no code: the call reads its feature codes now, while the node worker is reachable, so that
    // taking `*2` needs nothing of the node worker.
    await press(e, alice.uuid, '1');
    await historyReaches(e, alice.uuid, (events) =>
      handledAfterSignals(events, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
    );
    await press(e, alice.uuid, '*2');
    // The ingest delivered `*2`: its way to Temporal is cut at once, not once the workflow took `*2` (on a loaded
    // machine that takes seconds, and 2604 typed after the digit timeout rightly makes `*2` a code of its own).
    await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '1*2');
    forNodes.shut();
    await press(e, alice.uuid, '2604');
    // The timer fired with `*2` alone and the collection ended: no timer runs any more.
    await historyReaches(
      e,
      alice.uuid,
      (events) => handledAfterSignals(events, EventType.EVENT_TYPE_TIMER_FIRED) && timersRunning(events) === 0,
    );
    forNodes.open();
    await dialledWhole(t, e, call, '2604');
  });
});
