// An ingest of an HA pair restarted in the middle of a feature code hears only its tail: `2600` of `*22600`. The pair's
// other ingest holds the whole code after its `*` and sends it once the leg has been quiet for the digit timeout. Were
// the restarted one to send its `2600` at once, the call workflow would collect `*2600` and its timer would dial 600
// before the held code arrived (an act cannot be taken back). Just after it connects, an ingest holds presses it
// cannot place in a code until the leg has been quiet a while longer (workers/ingest/code-hold.ts): the held code
// arrives first, and the restarted ingest's copies are dropped. Here the engine's node worker is the ingest that
// holds (its deliveries a little slow, as behind a queue), and a second ingest, started between `*2` and `2600`, is
// the restarted one.
import anyTest from 'ava';
import type { BatchSender } from '../../workers/ingest/queue.ts';
import {
  placeCall,
  press,
  startEngine,
  startPairIngest,
  testLogger,
  useShared,
  waitFor,
  type Engine,
} from '../support/engine.ts';
import { consultThenHangUp } from '../support/events.ts';
import { sleep } from '../support/scenario.ts';

/** How much later than the restarted ingest the holding one delivers: less than the wait it is given. */
const SLOWER_MS = 400;

const slow = (send: BatchSender): BatchSender =>
  async function deliver(batch) {
    if (batch.kind !== 'originate' && batch.events.some((ev) => ev.name === 'DTMF')) await sleep(SLOWER_MS);
    return send(batch);
  };

const test = useShared<Engine>(
  anyTest,
  () => startEngine({}, { scenario: 'restart-mid-code', deliveries: slow }),
  (e) => e.stop(),
);

test('an ingest restarted between `*2` and `2600` holds what it hears: the pair dials 2600, not 600', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  await press(e, alice.uuid, '*2');
  const restarted = await startPairIngest(e, { readsCodes: true, logger: testLogger });
  t.teardown(() => restarted.stop());
  // The first leg a transfer originates after the code: the number it dialled.
  const dialled = waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_CREATE' &&
      /^loopback\/\d+-a$/.test(ev.headers['Channel-Name'] ?? '') &&
      e.phones.events.indexOf(ev) >= from,
    20_000,
  );
  const summary = await consultThenHangUp(e, { alice: alice.uuid, bob: bob.uuid }, '2600', from, async () => {
    await press(e, alice.uuid, '2600');
    t.is((await dialled).headers['Channel-Name'], 'loopback/2600-a', 'the code dialled 2600');
  });
  t.is(summary.target, '2600');
  t.is(summary.outcome, 'completed');
  await restarted.idle();
  t.true(restarted.stats().signalsSent > 0, 'the restarted ingest sent what it heard');
});
