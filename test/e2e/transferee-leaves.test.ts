// The transferee hangs up. While the target rings, the transferor keeps its ringback and talks to the
// target when it answers (Kazoo strands the transferor here); during the consultation, transferor and target stay.
import anyTest from 'ava';
import { hangUp, placeCall, useEngine } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  eventOn,
  expectHearing,
  gone,
  interruption,
  music,
  originates,
  peer,
  ringback,
  transferByDigits,
  transferResult,
  waitForPhase,
  consulting,
  expectSettingsRestored,
} from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'transferee-leaves' });

test.serial('the transferee hangs up while the target rings: the transferor talks to the target', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22604', commands); // rings 2 s, then answers
  await expectHearing(t, e, 'target ringing', [
    ['Alice', alice.uuid, ringback(e)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await waitForPhase(e, alice, bob, 'ringing');

  await hangUp(e, bob.uuid);
  const bobHangup = await eventOn(e, 'CHANNEL_HANGUP', bob.uuid);
  const answered = await eventOn(e, 'CHANNEL_ANSWER', carol);
  // Bob's hangup changed nothing for Alice: ringback until Carol answered.
  t.is(interruption(e, alice.uuid, ringback(e), bobHangup, answered), undefined, 'Alice kept her ringback');

  await bridgedTogether(e, alice.uuid, carol);
  await expectHearing(t, e, 'target answered', [
    ['Alice', alice.uuid, peer(carol)],
    ['Carol', carol, peer(alice.uuid)],
    ['Bob', bob.uuid, gone],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'transferee_left');
  t.is(summary.reason, 'NORMAL_CLEARING');
  t.is(summary.targetLeg, carol);

  const sent = commands();
  t.is(originates(sent).length, 1);
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${carol}`));
  t.false(
    sent.some((c) => c.startsWith('api uuid_kill')),
    'nobody hung up by the engine',
  );
  // Their settings are back: when one hangs up, the other's call ends.
  await expectSettingsRestored(t, e, alice.uuid, carol);
  await hangUp(e, alice.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
});

test.serial('the transferee hangs up during the consultation: transferor and target stay connected', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await consulting(t, e, alice, bob, carol);

  await hangUp(e, bob.uuid);
  const bobHangup = await eventOn(e, 'CHANNEL_HANGUP', bob.uuid);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'transferee_left');
  t.is(summary.reason, 'NORMAL_CLEARING');
  await expectHearing(t, e, 'transferee gone', [
    ['Alice', alice.uuid, peer(carol)],
    ['Carol', carol, peer(alice.uuid)],
    ['Bob', bob.uuid, gone],
  ]);
  t.is(interruption(e, alice.uuid, peer(carol), bobHangup), undefined, 'Alice and Carol were never separated');

  const sent = commands();
  t.is(sent.filter((c) => c.startsWith('api uuid_bridge')).length, 1, 'only the consultation bridge');
  t.false(
    sent.some((c) => c.startsWith('api uuid_kill')),
    'nobody hung up by the engine',
  );
  await expectSettingsRestored(t, e, alice.uuid, carol);
  await hangUp(e, carol);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', alice.uuid);
});
