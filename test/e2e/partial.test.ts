// Partial transfers: the transferor hangs up while the target still rings. The transferee keeps its
// music and gets the target when it answers; if the target never answers, the transferee is released with the
// target's cause rather than left on hold.
import anyTest from 'ava';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import { hangUp, placeCall, useEngine } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  eventOn,
  expectHearing,
  gone,
  interruption,
  music,
  peer,
  ringback,
  transferByDigits,
  transferResult,
  waitForPhase,
  withAccountMetaflows,
  expectSettingsRestored,
} from '../support/scenario.ts';

// A short ring time, so that the no-answer case ends in seconds (the switch's originate_timeout fires first).
const test = useEngine(anyTest, { TARGET_RING_TIMEOUT_S: '2' }, { scenario: 'partial' });

/** A longer ring time than the file's 2 s for one transfer (the metaflow's `timeout`), where the ring must last. */
const LONG_RING = {
  ...DEMO_METAFLOWS,
  patterns: { '^2(\\d+)$': { module: 'transfer', data: { timeout: 10 } } },
};

test.serial('partial: the transferor hangs up while the target rings; the transferee gets the target', async (t) => {
  const e = t.context;
  // 2604 rings for 2 s, as long as the file's ring time.
  await withAccountMetaflows(e, LONG_RING, async () => {
    const { alice, bob } = await placeCall(e);
    await expectHearing(t, e, 'talking', [
      ['Alice', alice.uuid, peer(bob.uuid)],
      ['Bob', bob.uuid, peer(alice.uuid)],
    ]);
    const commands = commandsFrom(e);
    const carol = await transferByDigits(e, alice, '*22604', commands);
    await expectHearing(t, e, 'target ringing', [
      ['Alice', alice.uuid, ringback(e)],
      ['Bob', bob.uuid, music(e)],
    ]);
    await waitForPhase(e, alice, bob, 'ringing');

    await hangUp(e, alice.uuid);
    const aliceGone = await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', alice.uuid);
    await waitForPhase(e, alice, bob, 'partial');
    await expectHearing(t, e, 'partial, target still ringing', [
      ['Alice', alice.uuid, gone],
      ['Bob', bob.uuid, music(e)],
    ]);

    const answered = await eventOn(e, 'CHANNEL_ANSWER', carol);
    await bridgedTogether(e, bob.uuid, carol);
    // Bob heard music from Alice's hangup until Carol answered: never silence, never dropped.
    t.is(interruption(e, bob.uuid, music(e), aliceGone, answered), undefined, 'Bob kept his music');
    await expectHearing(t, e, 'target answered', [
      ['Alice', alice.uuid, gone],
      ['Bob', bob.uuid, peer(carol)],
      ['Carol', carol, peer(bob.uuid)],
    ]);

    const summary = await transferResult(e, alice, bob);
    t.is(summary.outcome, 'completed_partial');
    t.is(summary.targetLeg, carol);

    const sent = commands();
    t.true(sent.includes(`api uuid_park ${bob.uuid}`), 'Bob parked (unbridged) before the target is dialled');
    t.true(
      sent.some((c) => c.startsWith(`api uuid_broadcast ${bob.uuid} `)),
      'music for Bob',
    );
    t.true(
      sent.some((c) => c.startsWith(`api uuid_broadcast ${alice.uuid} `)),
      'ringback for Alice',
    );
    t.true(sent.some((c) => c.startsWith('bgapi originate {') && c.includes('loopback/2604/default')));
    t.true(sent.some((c) => c.startsWith('bgapi originate {') && c.includes('originate_timeout=10')));
    t.true(sent.includes(`api uuid_bridge ${bob.uuid} ${carol}`));
    t.false(
      sent.some((c) => c.startsWith(`api uuid_bridge ${alice.uuid}`)),
      'Alice was gone: no consultation',
    );
    t.false(
      sent.some((c) => c.startsWith('api uuid_kill')),
      'nobody hung up by the engine',
    );
    // Bob's and Carol's settings are back: a later hangup ends the call.
    await expectSettingsRestored(t, e, bob.uuid, carol);

    await hangUp(e, bob.uuid);
    await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
  });
});

test.serial('partial, then the target does not answer: the transferee is released, not left on hold', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22602', commands); // 2602 rings forever
  await expectHearing(t, e, 'target ringing', [
    ['Alice', alice.uuid, ringback(e)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await waitForPhase(e, alice, bob, 'ringing');

  await hangUp(e, alice.uuid);
  const aliceGone = await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', alice.uuid);
  await expectHearing(t, e, 'partial, target still ringing', [
    ['Alice', alice.uuid, gone],
    ['Bob', bob.uuid, music(e)],
  ]);

  // The ring time (2 s) runs out: the target leg is gone, and Bob with it.
  const bobGone = await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', bob.uuid, 20_000);
  const bobHangup = await eventOn(e, 'CHANNEL_HANGUP', bob.uuid);
  t.is(interruption(e, bob.uuid, music(e), aliceGone, bobHangup), undefined, 'Bob had music until released');
  await expectHearing(t, e, 'target failed', [
    ['Alice', alice.uuid, gone],
    ['Bob', bob.uuid, gone],
    ['Carol', carol, gone],
  ]);
  t.is(bobGone.headers['Hangup-Cause'], 'NO_ANSWER', "Bob's call ends with the target's cause");

  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'partial_failed');
  t.is(summary.reason, 'NO_ANSWER');

  const sent = commands();
  t.true(sent.some((c) => c.startsWith('bgapi originate {') && c.includes('loopback/2602/default')));
  t.true(sent.includes(`api uuid_kill ${bob.uuid} NO_ANSWER`), 'the engine released Bob');
  t.false(
    sent.some((c) => c.startsWith('api uuid_bridge')),
    'nobody was bridged',
  );
});

test.serial('both parties hang up while the target rings: the target leg is cancelled, nobody is left', async (t) => {
  const e = t.context;
  const { alice, bob, carol, commands } = await withAccountMetaflows(e, LONG_RING, async () => {
    const { alice, bob } = await placeCall(e);
    const commands = commandsFrom(e);
    const carol = await transferByDigits(e, alice, '*22602', commands); // rings forever
    return { alice, bob, carol, commands };
  });
  await waitForPhase(e, alice, bob, 'ringing');
  await hangUp(e, alice.uuid);
  await waitForPhase(e, alice, bob, 'partial');
  await hangUp(e, bob.uuid);

  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'transferor_and_transferee_left');
  await expectHearing(t, e, 'everyone gone', [
    ['Alice', alice.uuid, gone],
    ['Bob', bob.uuid, gone],
    ['Carol', carol, gone],
  ]);
  const sent = commands();
  t.true(sent.includes(`api uuid_kill ${carol} ORIGINATOR_CANCEL`), "the engine cancelled Carol's ringing leg");
  t.false(
    sent.some((c) => c.startsWith('api uuid_bridge')),
    'nobody was bridged',
  );
});
