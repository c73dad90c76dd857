// A REST cancel_transfer that comes when the transfer's outcome is decided already (the target was busy and the
// callers are being given back) cancels nothing: the engine says the transfer was ending, and how, instead of
// answering as if the cancel had worked. The give-back's bridge is held up for a few seconds between the engine's
// switch activities and the switch (a slow or restarting node worker), so that the cancel lands in that window.
import anyTest from 'ava';
import type { SwitchCommands } from '../../activities/switch.ts';
import { TransferEndingError } from '../../api/engine.ts';
import { TemporalCallEngine } from '../../api/temporal-engine.ts';
import { hangUp, placeCall, press, useEngine, waitFor } from '../support/engine.ts';
import { bridgedPair, createdFor } from '../support/events.ts';
import { sleep } from '../support/scenario.ts';

let holdBridges = false;
const slowBridges = (esl: SwitchCommands): SwitchCommands => ({
  api: async (command) => {
    if (holdBridges && command.startsWith('uuid_bridge ')) await sleep(4000);
    return esl.api(command);
  },
  bgapi: (command, jobUuid) => esl.bgapi(command, jobUuid),
});
const test = useEngine(anyTest, {}, { scenario: 'cancel-late', commands: slowBridges });

test.serial(
  'cancel_transfer while the callers are given back after a busy target: "ending", with the outcome',
  async (t) => {
    const e = t.context;
    const engine = new TemporalCallEngine(e.client);
    const { alice, bob } = await placeCall(e);
    const from = e.phones.events.length;
    holdBridges = true;
    try {
      await press(e, alice.uuid, '*22603'); // busy
      const target = (await waitFor(e, createdFor(e, '2603', from), 20_000)).headers['Unique-ID'];
      await waitFor(e, (ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === target, 20_000);
      await sleep(1000); // the transfer has heard it and is bridging Alice and Bob again (held up for 4 s)
      const refused = await t.throwsAsync(engine.takeback(alice.uuid), { instanceOf: TransferEndingError });
      t.is(refused?.transfer.outcome, 'target_failed');
      t.is(refused?.transfer.reason, 'USER_BUSY');
    } finally {
      holdBridges = false;
    }
    await waitFor(e, bridgedPair(e, alice.uuid, bob.uuid, from), 20_000);
    await hangUp(e, alice.uuid);
  },
);
