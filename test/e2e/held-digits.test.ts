// A feature code typed while Temporal is away from the ingest and the workflow worker: `*22` reached the call's
// workflow, `600` was held by the ingest, and the inter-digit timer fired long after the last digit when the workflow
// worker got Temporal back, before the ingest did. The code must not be split (`*22` would dial 2): the late timer
// waits for the held digits, whose gaps are measured on the switch's clock, and 2600 is dialled. Each role reaches
// Temporal through a gate of its own (test/support/tcp-gate.ts); what happened is read from ESL.
import anyTest from 'ava';
import { press, useEngine } from '../support/engine.ts';
import { dialledWhole, withGatedCall } from '../support/gated-call.ts';
import { EventType, handledAfterSignals, historyReaches, signalledDigits, timersRunning } from '../support/history.ts';
import { sleep } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { workflowWorker: false, nodeWorker: false, scenario: 'held-digits' });

/** A digit timeout long enough for the gates to shut before the timer of `*22` can fire. */
const DIGIT_TIMEOUT_MS = 1500;

test.serial('*22 delivered, 600 held by the ingest, the timer fired late: 2600 is dialled, not 2', async (t) => {
  const e = t.context;
  await withGatedCall(e, { digitTimeoutMs: DIGIT_TIMEOUT_MS, workflowProcess: true }, async (call) => {
    const { alice, forNodes } = call;
    const forWorkflows = call.forWorkflows!;
    await press(e, alice.uuid, '*22');
    // The collection runs: `*22` arrived and the digit timeout's timer runs (started, neither fired nor cancelled; it
    // may be the first `2`'s: the digits of a code share it).
    await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '*22' && timersRunning(events) > 0);
    forWorkflows.shut();
    forNodes.shut();
    await press(e, alice.uuid, '600');
    // Long enough for the timer to fire, by the switch's clock, well past the digit timeout.
    await sleep(DIGIT_TIMEOUT_MS + 5000);
    // The workflow worker is back first and gets the timer, long after the last digit.
    forWorkflows.open();
    await historyReaches(e, alice.uuid, (events) => handledAfterSignals(events, EventType.EVENT_TYPE_TIMER_FIRED));
    // Then the ingest: it delivers what it held.
    forNodes.open();
    await dialledWhole(t, e, call, '2600');
  });
});
