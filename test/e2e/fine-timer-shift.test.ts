// A code typed on a cluster whose timers are nearly precise (the engine told a 100 ms timer shift, as the benchmark's
// dev server runs): a restart of the code's digit timer at a key could end the code at most a few tens of ms sooner,
// and costs a timer each time, so the timer is kept across the keys, as with no shift. On a cluster with Temporal's
// default 1 s shift a restart saves most of a second and is made (test/workflows/collector.test.ts).
import anyTest, { type TestFn } from 'ava';
import { callWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, press, startEngine, waitFor, type Engine } from '../support/engine.ts';
import { waitForCallWorkflow } from '../support/scenario.ts';
import { EventType } from '../support/history.ts';

const test = anyTest as TestFn<Engine>;
test.before(async (t) => {
  t.context = await startEngine({ TEMPORAL_TIMER_SHIFT_MS: '100' }, { scenario: 'fine-timer-shift' });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

test.serial('*22600 with keys 75 ms apart under a 100 ms shift keeps its digit timer: at most two', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  await press(e, alice.uuid, '*22600', 75);
  // The code worked: Bob hears music, Alice is bridged to Carol.
  await waitFor(e, (ev) => ev.name === 'PLAYBACK_START' && ev.headers['Unique-ID'] === bob.uuid);
  await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === alice.uuid &&
      ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
  );
  const events = (await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).fetchHistory()).events ?? [];
  const started = events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_STARTED).length;
  const cancelled = events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_CANCELED).length;
  // One timer from the start of the code, and one more for what the later keys added when it fired; a restart at
  // each key (each cancelling the last) would start up to six.
  t.true(started <= 2, `${started} timers started, ${cancelled} cancelled`);
  t.is(cancelled, 0);
  await hangUp(e, alice.uuid);
  await hangUp(e, bob.uuid);
});
