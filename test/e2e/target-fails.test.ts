// The target fails: a misdial, a busy target, no answer within the ring time, or a target that answers
// and then hangs up during the consultation. Each time the transferor and the transferee talk to each other again.
import anyTest, { type ExecutionContext } from 'ava';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import type { TransferSummary } from '../../contracts/messages.ts';
import { hangUp, placeCall, useEngine, waitFor, type Engine, type Party } from '../support/engine.ts';
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
  withAccountMetaflows,
  consulting,
  expectSettingsRestored,
} from '../support/scenario.ts';

// A short ring time, so that the no-answer case ends in seconds.
const test = useEngine(anyTest, { TARGET_RING_TIMEOUT_S: '2' }, { scenario: 'target-fails' });

/** After the transfer gave up: Alice and Bob talk again, the target is gone, and the legs' settings are back. */
async function talkingAgain(
  t: ExecutionContext<Engine>,
  e: Engine,
  alice: Party,
  bob: Party,
  carol: string,
): Promise<TransferSummary> {
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'given back', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, gone],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.targetLeg, carol);
  await expectSettingsRestored(t, e, alice.uuid, bob.uuid);
  return summary;
}

async function hangUpCall(e: Engine, alice: Party, bob: Party): Promise<void> {
  await hangUp(e, alice.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', bob.uuid);
}

for (const [name, target, cause] of [
  ['misdial (no route)', '9999', 'NO_ROUTE_DESTINATION'],
  ['busy target', '2603', 'USER_BUSY'],
  ['no answer within the ring time', '2602', 'NO_ANSWER'],
] as const) {
  test.serial(`${name}: the transferor and the transferee talk again (target_failed ${cause})`, async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    const commands = commandsFrom(e);
    const carol = await transferByDigits(e, alice, `*2${target}`, commands);
    if (target === '2602') {
      // Ringing long enough to be heard: Alice has ringback, Bob music.
      await expectHearing(t, e, 'target ringing', [
        ['Alice', alice.uuid, ringback(e)],
        ['Bob', bob.uuid, music(e)],
      ]);
    } else {
      // Bob was put on hold before the target was dialled. His music may never start: a target that fails at once
      // is answered by bridging him back, which cancels a broadcast that has not started yet (uuid_break).
      const deadline = Date.now() + 15_000;
      while (!commands().some((c) => c.startsWith(`api uuid_broadcast ${bob.uuid}`)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      t.true(
        commands().some((c) => c.startsWith(`api uuid_broadcast ${bob.uuid}`)),
        'Bob was put on hold',
      );
    }

    const summary = await talkingAgain(t, e, alice, bob, carol);
    t.is(summary.outcome, 'target_failed');
    t.is(summary.reason, cause);

    const sent = commands();
    t.is(originates(sent).length, 1, 'dialled once');
    t.true(originates(sent)[0]!.includes(`loopback/${target}/default`));
    t.true(originates(sent)[0]!.includes('originate_timeout=2'));
    t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${bob.uuid}`), 'Alice and Bob bridged again');
    t.false(sent.some((c) => c.startsWith(`api uuid_kill ${alice.uuid}`) || c.startsWith(`api uuid_kill ${bob.uuid}`)));
    await hangUpCall(e, alice, bob);
  });
}

test.serial('the target rejects the call while ringing: the transferor and the transferee talk again', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const from = e.phones.events.length;
  // A longer ring time than the file's 2 s (the metaflow's `timeout`): the rejection, not the timer, ends the ringing.
  const longRing = { ...DEMO_METAFLOWS, patterns: { '^2(\\d+)$': { module: 'transfer', data: { timeout: 10 } } } };
  const carol = await withAccountMetaflows(e, longRing, () => transferByDigits(e, alice, '*22602', commands));
  await expectHearing(t, e, 'target ringing', [
    ['Alice', alice.uuid, ringback(e)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await waitForPhase(e, alice, bob, 'ringing');
  // Carol's phone (the loopback's -b half, which runs the dialplan) declines the call.
  const phone = await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_CREATE' &&
      ev.headers['Channel-Name'] === 'loopback/2602-b' &&
      e.phones.events.indexOf(ev) >= from,
  );
  await e.phones.api(`uuid_kill ${phone.headers['Unique-ID']} CALL_REJECTED`);

  const summary = await talkingAgain(t, e, alice, bob, carol);
  t.is(summary.outcome, 'target_failed');
  t.is(summary.reason, 'CALL_REJECTED');
  const sent = commands();
  t.is(originates(sent).length, 1);
  t.true(originates(sent)[0]!.includes('originate_timeout=10'));
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${bob.uuid}`), 'Alice and Bob bridged again');
  await hangUpCall(e, alice, bob);
});

test.serial('the target answers, then hangs up during the consultation: back to the transferee', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22605', commands); // answers, hangs up 2 s later
  await consulting(t, e, alice, bob, carol);

  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
  const summary = await talkingAgain(t, e, alice, bob, carol);
  t.is(summary.outcome, 'target_hung_up');
  t.is(summary.reason, 'NORMAL_CLEARING');

  const sent = commands();
  t.is(originates(sent).length, 1);
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${carol}`), 'the consultation');
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${bob.uuid}`), 'Alice and Bob bridged again');
  t.false(
    sent.some((c) => c.startsWith('api uuid_kill')),
    'the target hung up by itself',
  );
  await hangUpCall(e, alice, bob);
});
