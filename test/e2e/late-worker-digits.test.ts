// A feature code the ingest delivered at once but the workflow worker took late, then the rest of it held by the
// ingest: `*22` reached Temporal as it was pressed while the workflow worker was away (a workflow task that times out
// and runs again looks the same), `600` was held by the ingest, whose way to Temporal was cut. The worker comes back
// seconds after the presses; its digit timer, late by as much, must wait for the held digits: `*22` was not held (the
// ingest says so in its signal), so the rest may still come. Before, a digit processed more than 3 s after its press
// was taken for held, no wait was given, and `*22` dialled 2. Each role reaches Temporal through a gate of its own
// (test/support/tcp-gate.ts); what happened is read from ESL, the history only tells the test when to go on.
import anyTest from 'ava';
import { callWorkflowId } from '../../contracts/ids.ts';
import { press, useEngine, type Engine } from '../support/engine.ts';
import { dialledWhole, withGatedCall, type GatedCall } from '../support/gated-call.ts';
import { HELD_DIGITS_TIMER_SUMMARY } from '../../workflows/call.ts';
import {
  EventType,
  handledAfterSignals,
  historyReaches,
  signalledDigits,
  summaryOf,
  type HistoryEvent,
} from '../support/history.ts';
import { sleep } from '../support/scenario.ts';
import type { TcpGate } from '../support/tcp-gate.ts';

const test = useEngine(anyTest, {}, { workflowWorker: false, nodeWorker: false, scenario: 'late-worker-digits' });

/** Long enough for the ingest's gate to shut between `*22` and `600`, by the switch's clock. */
const DIGIT_TIMEOUT_MS = 2000;
/** How long the workflow worker stays away after `*22`: well over the 3 s after which a timer counts as late. */
const WORKER_AWAY_MS = 6000;

test.serial(
  '*22 delivered at once but taken late by the worker, 600 held by the ingest: 2600 is dialled',
  async (t) => {
    const e = t.context;
    await withGatedCall(e, { digitTimeoutMs: DIGIT_TIMEOUT_MS, workflowProcess: true }, async (call) => {
      const { alice, forNodes } = call;
      const forWorkflows = await codesReadThenWorkerAway(e, call);
      await press(e, alice.uuid, '*22');
      // The ingest delivered `*22` at once; no worker has taken it.
      await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '1*22');
      forNodes.shut();
      await press(e, alice.uuid, '600');
      await sleep(WORKER_AWAY_MS);
      // The workflow worker is back: it takes `*22` seconds after their press, and its digit timer fires that late.
      forWorkflows.open();
      await historyReaches(e, alice.uuid, (events) => handledAfterSignals(events, EventType.EVENT_TYPE_TIMER_FIRED));
      // Then the ingest: it delivers what it held.
      forNodes.open();
      await dialledWhole(t, e, call, '2600');
    });
  },
);

test.serial(
  '*22600 delivered at once but taken late by the worker, nothing held: the ingest says so, and 2600 is dialled at once',
  async (t) => {
    const e = t.context;
    await withGatedCall(e, { digitTimeoutMs: DIGIT_TIMEOUT_MS, workflowProcess: true }, async (call) => {
      const { alice } = call;
      const forWorkflows = await codesReadThenWorkerAway(e, call);
      // The ingest vouches only for presses made after it began to listen (by more than the clocks may differ).
      await sleep(1000);
      await press(e, alice.uuid, '*22600');
      await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '1*22600');
      await sleep(WORKER_AWAY_MS);
      // The worker is back: its digit timer fires seconds after the last press, as after a Temporal outage. The ingest
      // delivered everything: asked, it says it holds nothing, and the wait for held digits ends there.
      forWorkflows.open();
      await dialledWhole(t, e, call, '2600');
      const events = await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).fetchHistory();
      const wait = heldWait(events.events ?? []);
      t.truthy(wait.started, 'the late timer waited for held digits');
      t.false(wait.fired, 'and the wait ended before its timer: the ingest said it held nothing');
    });
  },
);

/**
 * A digit that starts no code, so that the call reads its feature codes while the node worker is reachable; then the
 * workflow worker's way to Temporal is cut. Returns its gate.
 */
async function codesReadThenWorkerAway(e: Engine, call: GatedCall): Promise<TcpGate> {
  await press(e, call.alice.uuid, '1');
  await historyReaches(e, call.alice.uuid, (events) =>
    handledAfterSignals(events, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
  );
  const forWorkflows = call.forWorkflows!;
  forWorkflows.shut();
  return forWorkflows;
}

/** The wait for held digits: whether its timer started, and whether it fired (rather than being cancelled). */
function heldWait(events: HistoryEvent[]): { started: boolean; fired: boolean } {
  const started = events.find(
    (ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_STARTED && summaryOf(ev) === HELD_DIGITS_TIMER_SUMMARY,
  );
  const id = started?.timerStartedEventAttributes?.timerId;
  const fired = events.some((ev) => ev.timerFiredEventAttributes?.timerId === id);
  return { started: started !== undefined, fired: id !== undefined && fired };
}
