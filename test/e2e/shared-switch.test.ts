// Against a real FreeSWITCH (HANDOFF_TEST_FREESWITCH) every test file shares one switch in turn, so a file must leave
// it as it found it: no leg up, its global variables as they were. Exercised here on a simulator this file starts and
// hands to the tests as if it were the real switch (they then neither own nor close it). The tests run one after the
// other: each judges the whole switch.
import { randomUUID } from 'node:crypto';
import anyTest, { type TestFn } from 'ava';
import { startSimulator, type Simulator } from '../../simulator/index.ts';
import { placeCall, press, startEngine, waitFor } from '../support/engine.ts';
import { EslClient } from '../support/esl-client.ts';
import { liveChannels, switchUnderTest } from '../support/switch.ts';

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

/** The channels the switch lists, asked on a connection of the check's own. */
async function channelsOn(sim: Simulator): Promise<string[]> {
  const phones = await EslClient.connect(sim, null);
  try {
    return await liveChannels(phones);
  } finally {
    await phones.close();
  }
}

test.serial(
  'after a test file, every leg it created is hung up: the calls it placed and the target legs',
  async (t) => {
    const e = await startEngine();
    t.false(e.sw.simulated, 'the engine takes the switch for a real one');
    try {
      // One plain call, and one whose transfer leaves the target ringing (2602 rings until cancelled) and the
      // transferee on hold: the state a failed assertion would leave behind.
      await placeCall(e);
      const { alice } = await placeCall(e);
      await press(e, alice.uuid, '*22602');
      await waitFor(
        e,
        (ev) => ev.name === 'CHANNEL_CREATE' && ev.headers['Channel-Name'] === 'loopback/2602-a',
        15_000,
      );
    } finally {
      await e.stop();
    }
    t.deepEqual(await channelsOn(t.context.sim), [], 'no channel left on the switch');
  },
);

test.serial(
  'a test that drives the switch itself (capture replays, the simulator tests) leaves no leg either',
  async (t) => {
    const sut = await switchUnderTest();
    t.false(sut.simulated, 'the test takes the switch for a real one');
    const own = await EslClient.connect(sut, 'plain CHANNEL_PARK');
    try {
      // Two parked legs (each with its loopback partner) and one that rings until cancelled.
      for (const ext of ['2600', '2601']) {
        const uuid = randomUUID();
        await own.api(`originate {origination_uuid=${uuid}}loopback/${ext}/default &park()`);
        await own.waitForEvent((ev) => ev.name === 'CHANNEL_PARK' && ev.headers['Unique-ID'] === uuid);
      }
      await own.bgapi(`originate {origination_uuid=${randomUUID()},originate_timeout=60}loopback/2602/default &park()`);
      t.true((await liveChannels(own)).length >= 5, 'the legs are up before the switch under test is closed');
    } finally {
      await own.close();
      await sut.close();
    }
    t.deepEqual(await channelsOn(t.context.sim), [], 'no channel left on the switch');
  },
);

test.serial('a test that asks for other global variables gets them, and the switch gets its own back', async (t) => {
  const phones = await EslClient.connect(t.context.sim, null);
  try {
    t.is(await phones.api('global_getvar hold_music'), 'local_stream://moh', "the switch's own");
    // The switch the captures of steps 00-18 were recorded on had no global variables.
    const sut = await switchUnderTest({ globals: {} });
    t.regex(await phones.api('global_getvar hold_music'), /^-ERR/, 'unset for the test');
    await sut.close();
    t.is(await phones.api('global_getvar hold_music'), 'local_stream://moh', 'back after it');
    const other = await switchUnderTest({ globals: { hold_music: 'tone_stream://%(500,500,480)' } });
    t.is(await phones.api('global_getvar hold_music'), 'tone_stream://%(500,500,480)', 'another value for the test');
    await other.close();
    t.is(await phones.api('global_getvar hold_music'), 'local_stream://moh', 'back again');
  } finally {
    await phones.close();
  }
});
