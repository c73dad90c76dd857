// Walking skeleton: Alice presses *22600 while talking to Bob; Carol answers; Alice hangs up; Bob and Carol talk.
import anyTest from 'ava';
import { transferWorkflowId } from '../../contracts/ids.ts';
import type { TransferSummary } from '../../contracts/messages.ts';
import { hangUp, placeCall, press, useEngine, waitFor } from '../support/engine.ts';
import { expectSettingsRestored, waitForPhase } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'attended' });

test('attended transfer by feature code: consult, then the transferor hangs up and the parties are connected', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await press(e, alice.uuid, '*22600');

  // Bob is put on hold with music, Alice hears ringback.
  await waitFor(e, (ev) => ev.name === 'PLAYBACK_START' && ev.headers['Unique-ID'] === bob.uuid);
  // Carol (2600) answers at once; Alice is bridged to her.
  const consult = await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === alice.uuid &&
      ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
  );
  const carol = consult.headers['Other-Leg-Unique-ID']!;
  t.truthy(carol);
  // The transfer saw that bridge: it is consulting (no fixed pause; the query is asked until it says so).
  await waitForPhase(e, alice, bob, 'consulting');
  const handle = e.client.workflow.getHandle<() => Promise<TransferSummary>>(transferWorkflowId(alice.uuid, bob.uuid));

  await hangUp(e, alice.uuid);
  await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === bob.uuid &&
      ev.headers['Other-Leg-Unique-ID'] === carol,
  );
  const summary = await handle.result();
  t.is(summary.outcome, 'completed');
  t.is(summary.targetLeg, carol);

  const commands = e.journal.commands();
  t.true(commands.some((c) => c === `api uuid_park ${bob.uuid}`));
  const originate = commands.find((c) => c.startsWith('bgapi originate {') && c.includes('loopback/2600/default'));
  t.truthy(originate);
  // Carol sees Alice's number: the caller ID Alice's (outbound, answered, so flipped) leg was created with.
  t.regex(originate ?? '', /[{,]origination_caller_id_number=1001[,}]/);
  t.true(commands.includes(`api uuid_bridge ${alice.uuid} ${carol}`));
  t.true(commands.includes(`api uuid_bridge ${bob.uuid} ${carol}`));
  // The legs' own settings are back: a later hangup ends the call as it would have without a transfer.
  await expectSettingsRestored(t, e, bob.uuid, carol);
});

test('after a completed transfer the target is a call of its own: its feature codes work', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await press(e, alice.uuid, '*22600');
  const consult = await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === alice.uuid &&
      ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
  );
  const carol = consult.headers['Other-Leg-Unique-ID']!;
  await hangUp(e, alice.uuid);
  const first = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
  t.is(first.outcome, 'completed');

  // Carol, now talking to Bob, transfers him on to 2601.
  await press(e, carol, '*22601');
  const second = e.client.workflow.getHandle(transferWorkflowId(carol, bob.uuid));
  const dave = await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === carol &&
      ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
    30_000,
  );
  await hangUp(e, carol);
  const summary = await second.result();
  t.is(summary.outcome, 'completed');
  t.is(summary.targetLeg, dave.headers['Other-Leg-Unique-ID']);
});
