// A party hangs up the moment the transfer's last bridge is made, before the transfer has put the legs' own settings
// back. Until then both legs of that bridge carry park_after_bridge=true: the switch parks the survivor, alone and in
// silence, unless the transfer ends its call. Judged from the switch's events only.
import anyTest from 'ava';
import { hangUp, placeCall, press, useEngine, type Engine } from '../support/engine.ts';
import type { EslEvent } from '../support/esl-client.ts';
import { bridgedTogether, eventOn } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'hangup-after-bridge' });

/** How long a survivor may wait for its call to end (generous: the transfer sees the hangup within a second). */
const ENDS_WITHIN_MS = 10_000;

const bridgeOf = (ev: EslEvent, a: string, b: string): boolean => {
  if (ev.name !== 'CHANNEL_BRIDGE') return false;
  const x = ev.headers['Bridge-A-Unique-ID'] ?? ev.headers['Unique-ID'];
  const y = ev.headers['Bridge-B-Unique-ID'] ?? ev.headers['Other-Leg-Unique-ID'];
  return (x === a && y === b) || (x === b && y === a);
};

/** Resolves once `leg` has been hung up, at the very event that shows it bridged to `peer` (no round trip between). */
function hangUpOnBridge(e: Engine, leg: string, peer: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = e.phones.onEvent((ev) => {
      if (!bridgeOf(ev, leg, peer)) return;
      stop();
      hangUp(e, leg).then(resolve, reject);
    });
  });
}

/** Alice consults Carol (2600, answers at once) while Bob hears music; returns Carol's leg. */
async function consult(e: Engine, alice: string, bob: string): Promise<string> {
  const mark = e.phones.events.length;
  await press(e, alice, '*22600');
  const consultation = await e.phones.waitForEvent(
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === alice &&
      ev.headers['Other-Leg-Unique-ID'] !== undefined &&
      ev.headers['Other-Leg-Unique-ID'] !== bob,
    15_000,
    mark,
  );
  return consultation.headers['Other-Leg-Unique-ID']!;
}

test('completed: the transferee hangs up as it is bridged to the target; the target’s call ends too', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const carol = await consult(e, alice.uuid, bob.uuid);
  const bobLeaves = hangUpOnBridge(e, bob.uuid, carol);
  await hangUp(e, alice.uuid);
  await bobLeaves;
  await eventOn(e, 'CHANNEL_HANGUP', bob.uuid);
  const carolEnds = await eventOn(e, 'CHANNEL_HANGUP', carol, ENDS_WITHIN_MS);
  t.truthy(carolEnds, 'Carol is not left parked alone');
});

test('taken back: the transferor hangs up as it is bridged back to the transferee; the transferee’s call ends', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const carol = await consult(e, alice.uuid, bob.uuid);
  await bridgedTogether(e, alice.uuid, carol);
  const aliceLeaves = hangUpOnBridge(e, alice.uuid, bob.uuid);
  await press(e, alice.uuid, '*1');
  await aliceLeaves;
  await eventOn(e, 'CHANNEL_HANGUP', carol);
  const bobEnds = await eventOn(e, 'CHANNEL_HANGUP', bob.uuid, ENDS_WITHIN_MS);
  t.truthy(bobEnds, 'Bob is not left parked alone');
});

test('the transferee leaves the consultation and the transferor hangs up at once; the target’s call ends', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const carol = await consult(e, alice.uuid, bob.uuid);
  await bridgedTogether(e, alice.uuid, carol);
  const aliceLeaves = new Promise<void>((resolve, reject) => {
    const stop = e.phones.onEvent((ev) => {
      if (ev.name !== 'CHANNEL_HANGUP' || ev.headers['Unique-ID'] !== bob.uuid) return;
      stop();
      hangUp(e, alice.uuid).then(resolve, reject);
    });
  });
  await hangUp(e, bob.uuid);
  await aliceLeaves;
  const carolEnds = await eventOn(e, 'CHANNEL_HANGUP', carol, ENDS_WITHIN_MS);
  t.truthy(carolEnds, 'Carol is not left parked alone');
});
