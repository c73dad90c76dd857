// A feature code split by a paced ingest. Over Temporal's rate limit the ingest paces its signals (workers/ingest/
// queue.ts): a caller's key presses still go first, but no faster than the pace, so one leg's presses reach its call
// workflow hundreds of ms after they were pressed, and not in step with each other. In the load benchmark's storm
// `*22` came on time, and `600`, pressed 120 ms after the last `2` by the switch's clock, came after the digit timer
// had fired: `*22` was acted on, a transfer to 2. The ingest stamps what it sends while paced; a timer whose last
// digit came so waits a moment for the rest before it decides. (The presses are signalled to the call workflow as the
// paced ingest sent them, with a switch run of their own so that the switch's real events of the call do not
// interleave.)
import anyTest from 'ava';
import { callWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal } from '../../contracts/messages.ts';
import { placeCall, useEngine } from '../support/engine.ts';
import { consultThenHangUp, keyPresses } from '../support/events.ts';
import { EventType, historyReaches, summaryOf, timersRunning, type HistoryEvent } from '../support/history.ts';
import { HELD_DIGITS_TIMER_SUMMARY } from '../../workflows/call.ts';

const test = useEngine(anyTest, {}, { scenario: 'paced-digits' });

test('*22 from a paced ingest, 604 pressed in time but delivered after the digit timer fired: 2604 is dialled', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  // As a paced ingest sends them: stamped so, and none held.
  const code = keyPresses(e, alice.uuid, '*22604', { held: false, paced: true });
  const call = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  // `*` first, then `22`, as the paced ingest sent them in the storm: the timer armed at `*` is kept for `22`.
  await call.signal(channelEventsSignal, code.slice(0, 1));
  await historyReaches(e, alice.uuid, (events) => timersRunning(events) === 1);
  await call.signal(channelEventsSignal, code.slice(1, 3));
  const summary = await consultThenHangUp(e, { alice: alice.uuid, bob: bob.uuid }, '2604', from, async () => {
    // The code's digit timeout runs out, on time by the switch's clock, while the ingest still has `604`: the call
    // waits for it (or, before the wait was, resolves a transfer to 2).
    await historyReaches(e, alice.uuid, (events) => decided(events.slice(lastSignal(events))));
    await call.signal(channelEventsSignal, code.slice(3));
  });
  t.is(summary.target, '2604');
  t.is(summary.outcome, 'completed');
});

function lastSignal(events: HistoryEvent[]): number {
  return events.map((ev) => ev.eventType).lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
}

/** The code's timer has decided: it waits for held digits (its timer says so), or a transfer is being resolved. */
function decided(events: HistoryEvent[]): boolean {
  return events.some(
    (ev) =>
      (ev.eventType === EventType.EVENT_TYPE_TIMER_STARTED && summaryOf(ev) === HELD_DIGITS_TIMER_SUMMARY) ||
      ev.activityTaskScheduledEventAttributes?.activityType?.name === 'resolveTransfer',
  );
}
