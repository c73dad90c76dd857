// Against a real FreeSWITCH (HANDOFF_TEST_FREESWITCH) every test file shares one switch, so a file must leave no leg
// up behind it. Exercised here on a simulator this file starts and hands to the engine as if it were the real switch
// (the engine then neither owns nor closes it): after the engine stops, the switch lists no channel.
import anyTest, { type TestFn } from 'ava';
import { startSimulator, type Simulator } from '../../simulator/index.ts';
import { placeCall, press, startEngine, waitFor } from '../support/engine.ts';
import { EslClient } from '../support/esl-client.ts';
import { liveChannels } from '../support/engine.ts';

const test = anyTest as TestFn<{ sim: Simulator; before?: string }>;

test.before(async (t) => {
  const sim = await startSimulator({ port: 0 });
  t.context = { sim, before: process.env.HANDOFF_TEST_FREESWITCH };
  process.env.HANDOFF_TEST_FREESWITCH = sim.url;
});
test.after.always(async (t) => {
  if (t.context.before === undefined) delete process.env.HANDOFF_TEST_FREESWITCH;
  else process.env.HANDOFF_TEST_FREESWITCH = t.context.before;
  await t.context.sim?.close();
});

test('after a test file, every leg it created is hung up: the calls it placed and the target legs', async (t) => {
  const e = await startEngine();
  t.false(e.sw.simulated, 'the engine takes the switch for a real one');
  try {
    // One plain call, and one whose transfer leaves the target ringing (2602 rings until cancelled) and the
    // transferee on hold: the state a failed assertion would leave behind.
    await placeCall(e);
    const { alice } = await placeCall(e);
    await press(e, alice.uuid, '*22602');
    await waitFor(e, (ev) => ev.name === 'CHANNEL_CREATE' && ev.headers['Channel-Name'] === 'loopback/2602-a', 15_000);
  } finally {
    await e.stop();
  }
  const phones = await EslClient.connect(t.context.sim, null);
  try {
    t.deepEqual(await liveChannels(phones), [], 'no channel left on the switch');
  } finally {
    await phones.close();
  }
});
