// Calls connected by the dialplan `bridge` application (capture 07; how Kazoo connects calls) rather than uuid_bridge:
// the transferor's leg runs `bridge` to the transferee. park_after_bridge keeps both legs alive through the unbridge,
// and once the transfer is over a hangup ends the call as it would have without a transfer.
import anyTest from 'ava';
import { hangUp, placeCall, press, useEngine } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  eventOn,
  expectHearing,
  gone,
  music,
  originates,
  peer,
  ringback,
  transferByDigits,
  transferResult,
  waitForPhase,
  consulting,
  completedByHangup,
  expectSettingsRestored,
} from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'bridge-app' });

test.serial('bridge app: attended transfer, consult, the transferor hangs up, the parties are connected', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e, { bridgeApp: true });
  await expectHearing(t, e, 'talking', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
  ]);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await consulting(t, e, alice, bob, carol);

  await completedByHangup(t, e, alice, bob, carol);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'completed');
  t.is(summary.targetLeg, carol);

  const sent = commands();
  t.true(sent.includes(`api uuid_setvar ${alice.uuid} park_after_bridge true`), 'Alice survives the unbridge');
  t.true(sent.includes(`api uuid_setvar ${bob.uuid} park_after_bridge true`), 'Bob survives the unbridge');
  t.true(sent.includes(`api uuid_park ${bob.uuid}`));
  t.is(originates(sent).length, 1);
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${carol}`));
  t.true(sent.includes(`api uuid_bridge ${bob.uuid} ${carol}`));
  t.false(
    sent.some((c) => c.startsWith('api uuid_kill')),
    'nobody hung up by the engine',
  );
  await expectSettingsRestored(t, e, bob.uuid, carol);

  // A later hangup ends the call: nobody is left parked in silence.
  await hangUp(e, carol);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', bob.uuid);
});

test.serial('bridge app: takeback *1 while the target rings gives Alice back to Bob', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e, { bridgeApp: true });
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22602', commands); // rings forever
  await expectHearing(t, e, 'target ringing', [
    ['Alice', alice.uuid, ringback(e)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await waitForPhase(e, alice, bob, 'ringing');

  await press(e, alice.uuid, '*1');
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'taken back', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, gone],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'taken_back');
  t.is(summary.reason, 'takeback');

  const sent = commands();
  t.true(sent.includes(`api uuid_kill ${carol} ORIGINATOR_CANCEL`));
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${bob.uuid}`));
  await expectSettingsRestored(t, e, alice.uuid, bob.uuid);

  // Bob hangs up: Alice's call ends too, as it would have without the transfer.
  await hangUp(e, bob.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', alice.uuid);
});

test.serial('bridge app: takeback *1 during the consultation gives Alice back to Bob', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e, { bridgeApp: true });
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await bridgedTogether(e, alice.uuid, carol);
  await waitForPhase(e, alice, bob, 'consulting');

  await press(e, alice.uuid, '*1');
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'taken back', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, gone],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'taken_back');
  t.true(commands().includes(`api uuid_kill ${carol} NORMAL_CLEARING`));

  await hangUp(e, alice.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', bob.uuid);
});
