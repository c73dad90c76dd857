// A feature code typed while Temporal is away from the ingest and the workflow worker: `*22` reached the call's
// workflow, `600` was held by the ingest, and the inter-digit timer fired long after the last digit when the workflow
// worker got Temporal back, before the ingest did. The code must not be split (`*22` would dial 2): the late timer
// waits for the held digits, whose gaps are measured on the switch's clock, and 2600 is dialled. Each role reaches
// Temporal through a gate of its own (test/support/tcp-gate.ts); what happened is read from ESL.
//
// `600` must be typed within the digit timeout of the `2` by the switch's clock, or the caller paused and dialling 2 is
// right. So the ingest's gate shuts and `600` is typed as soon as the ingest delivered `*22`, not once the workflow
// took it: on a loaded machine the workflow's first tasks take seconds (a 2 s task timeout, then reading the feature
// codes, an activity), which put the `6` 2.97 s after the `2` with a 1.5 s timeout, and 2 was rightly dialled.
import anyTest from 'ava';
import { press, useEngine } from '../support/engine.ts';
import { dialledWhole, withGatedCall } from '../support/gated-call.ts';
import {
  EventType,
  handledAfterSignals,
  historyReaches,
  signalledDigits,
  signalsTaken,
  timersRunning,
} from '../support/history.ts';
import { sleep } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { workflowWorker: false, nodeWorker: false, scenario: 'held-digits' });

/**
 * Long enough, on a loaded machine, for `600` to follow the ingest's delivery of `*22` within it, and for the workflow
 * worker's gate to shut after the workflow took `*22` and before its timer fires.
 */
const DIGIT_TIMEOUT_MS = 2000;
/**
 * How long the workflow worker stays away after its gate shuts: it takes the timer at least 5 s after the timeout ran out
 * by the switch's clock, more than LATE_TIMER_MS (3 s), so the timer waits for held digits (at least 7 s).
 */
const WORKER_AWAY_MS = DIGIT_TIMEOUT_MS + 5000;

test.serial('*22 delivered, 600 held by the ingest, the timer fired late: 2600 is dialled, not 2', async (t) => {
  const e = t.context;
  await withGatedCall(e, { digitTimeoutMs: DIGIT_TIMEOUT_MS, workflowProcess: true }, async (call) => {
    const { alice, forNodes } = call;
    const forWorkflows = call.forWorkflows!;
    // A digit that starts no code: the call reads its feature codes now, while the node worker is reachable, so that
    // taking `*22` needs nothing of the node worker.
    await press(e, alice.uuid, '1');
    await historyReaches(e, alice.uuid, (events) =>
      handledAfterSignals(events, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
    );
    await press(e, alice.uuid, '*22');
    // The ingest delivered `*22`: it loses Temporal, and `600` follows at once, held by it.
    await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '1*22');
    forNodes.shut();
    await press(e, alice.uuid, '600');
    // The workflow took `*22` and the digit timeout's timer runs (started, neither fired nor cancelled; it may be the
    // `*`'s: the digits of a code share it): the workflow worker loses Temporal too.
    await historyReaches(e, alice.uuid, (events) => signalsTaken(events) && timersRunning(events) > 0);
    forWorkflows.shut();
    await sleep(WORKER_AWAY_MS);
    // The workflow worker is back first and gets the timer, long after the last digit.
    forWorkflows.open();
    await historyReaches(e, alice.uuid, (events) => handledAfterSignals(events, EventType.EVENT_TYPE_TIMER_FIRED));
    // Then the ingest: it delivers what it held.
    forNodes.open();
    await dialledWhole(t, e, call, '2600');
  });
});
