// A code typed on a cluster whose timers are nearly precise (the engine told a 100 ms timer shift, as the benchmark's
// dev server runs): a restart of the code's digit timer at a key could end the code at most a few tens of ms sooner,
// and costs a timer each time, so the timer is kept across the keys, as with no shift. On a cluster with Temporal's
// default 1 s shift a restart saves most of a second and is made (test/workflows/collector.test.ts).
import anyTest, { type TestFn } from 'ava';
import { hangUp, placeCall, startEngine, type Engine } from '../support/engine.ts';
import { codeTimers, waitForCallWorkflow } from '../support/scenario.ts';

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
  // The code worked (Bob hears music, Alice is bridged to Carol), and cost these timers.
  const { started, cancelled } = await codeTimers(e, alice, bob, '*22600', 75);
  // One timer from the start of the code, and one more for what the later keys added when it fired; a restart at
  // each key (each cancelling the last) would start up to six.
  t.true(started <= 2, `${started} timers started, ${cancelled} cancelled`);
  t.is(cancelled, 0);
  await hangUp(e, alice.uuid);
  await hangUp(e, bob.uuid);
});
