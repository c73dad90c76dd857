// Takeback: the transferor's takeback digits (default `*1`, a suffix match) while the target rings or
// during the consultation hang the target's leg up and give the transferor back to the transferee. A custom code
// comes from the transfer metaflow's `takeback_dtmf`; with that, `*1` reaches the `resume` feature code, which does
// the same. The ringback keeps playing while the digits are typed.
import anyTest, { type ExecutionContext } from 'ava';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import type { TransferSummary } from '../../contracts/messages.ts';
import { hangUp, placeCall, press, useEngine, type Engine, type Party } from '../support/engine.ts';
import type { EslEvent } from '../support/esl-client.ts';
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
  sleep,
  transferPhase,
  waitForPhase,
  withAccountMetaflows,
  consulting,
  completedByHangup,
  expectSettingsRestored,
} from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'takeback' });

type T = ExecutionContext<Engine>;

/** Alice presses `code` while Carol rings (2602): the ringback must play on through every digit. */
async function takeBackWhileRinging(t: T, e: Engine, code: string, takeback: string): Promise<TransferSummary> {
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, code, commands);
  await expectHearing(t, e, 'target ringing', [
    ['Alice', alice.uuid, ringback(e)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await waitForPhase(e, alice, bob, 'ringing');
  await eventOn(e, 'CHANNEL_CREATE', carol);

  const typed = e.phones.events.length;
  await press(e, alice.uuid, takeback, 150);
  const onAlice = (evs: EslEvent[]) =>
    evs.slice(typed).filter((ev) => ev.name === 'DTMF' && ev.headers['Unique-ID'] === alice.uuid);
  await e.phones.waitUntil((evs) => onAlice(evs).length >= takeback.length, 15_000);
  const dtmf = onAlice(e.phones.events);
  t.deepEqual(
    dtmf.map((ev) => ev.headers['DTMF-Digit']),
    [...takeback],
    'the switch saw the takeback digits',
  );
  // From the first digit to the last one, Alice heard ringback: the digits did not cut it (playback_terminators=none).
  t.is(interruption(e, alice.uuid, ringback(e), dtmf[0]!, dtmf.at(-1)!), undefined, 'ringback through the digits');
  t.false(
    e.phones.events
      .slice(e.phones.events.indexOf(dtmf[0]!), e.phones.events.indexOf(dtmf.at(-1)!))
      .some((ev) => ev.name === 'PLAYBACK_STOP' && ev.headers['Unique-ID'] === alice.uuid),
    'no PLAYBACK_STOP on Alice between the digits',
  );

  await takenBack(t, e, alice, bob, carol);
  const sent = commands();
  t.is(originates(sent).length, 1);
  t.true(sent.includes(`api uuid_kill ${carol} ORIGINATOR_CANCEL`), "the engine cancelled Carol's ringing leg");
  t.false(
    sent.some((c) => c.startsWith(`api uuid_bridge ${alice.uuid} ${carol}`)),
    'no consultation',
  );
  const summary = await transferResult(e, alice, bob);
  await hangUpCall(e, alice, bob);
  return summary;
}

/** Carol's leg is gone, Alice and Bob talk again, and their settings are back. */
async function takenBack(t: T, e: Engine, alice: Party, bob: Party, carol: string): Promise<void> {
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'taken back', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, gone],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'taken_back');
  t.is(summary.targetLeg, carol);
  await expectSettingsRestored(t, e, alice.uuid, bob.uuid);
  t.is(await e.phones.api(`uuid_getvar ${alice.uuid} playback_terminators`), '_undef_');
}

async function hangUpCall(e: Engine, alice: Party, bob: Party): Promise<void> {
  await hangUp(e, alice.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', bob.uuid);
}

test.serial('takeback *1 while the target rings: the target leg is cancelled, Alice and Bob talk again', async (t) => {
  const summary = await takeBackWhileRinging(t, t.context, '*22602', '*1');
  t.is(summary.reason, 'takeback');
});

test.serial('takeback *1 during the consultation: the target is hung up, Alice and Bob talk again', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await consulting(t, e, alice, bob, carol);

  await press(e, alice.uuid, '*1');
  await takenBack(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).reason, 'takeback');
  const sent = commands();
  t.true(sent.includes(`api uuid_kill ${carol} NORMAL_CLEARING`), 'the engine hung Carol up');
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${bob.uuid}`));
  await hangUpCall(e, alice, bob);
});

test.serial(
  'a partly typed takeback expires: `*`, then `1` after the inter-digit timeout, takes nothing back',
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    const commands = commandsFrom(e);
    const carol = await transferByDigits(e, alice, '*22600', commands);
    await consulting(t, e, alice, bob, carol);

    await press(e, alice.uuid, '*');
    await sleep(e.config.DIGIT_TIMEOUT_MS * 3);
    await press(e, alice.uuid, '1');
    // A takeback takes about a tenth of this; nothing may happen.
    await sleep(2000);
    t.is(await transferPhase(e, alice, bob), 'consulting');
    t.false(
      commands().some((c) => c.startsWith(`api uuid_kill ${carol}`)),
      'Carol is not hung up',
    );
    // The whole code, typed now, takes back.
    await press(e, alice.uuid, '*1');
    await takenBack(t, e, alice, bob, carol);
    await hangUpCall(e, alice, bob);
  },
);

const CUSTOM = {
  ...DEMO_METAFLOWS,
  patterns: { '^2(\\d+)$': { module: 'transfer', data: { takeback_dtmf: '#9' } } },
};

test.serial("a custom takeback code from the metaflow's takeback_dtmf takes back", async (t) => {
  const summary = await withAccountMetaflows(t.context, CUSTOM, () =>
    takeBackWhileRinging(t, t.context, '*22602', '#9'),
  );
  t.is(summary.reason, 'takeback');
});

test.serial('with a custom takeback code, *1 is the resume feature code: it takes back as well', async (t) => {
  const summary = await withAccountMetaflows(t.context, CUSTOM, () =>
    takeBackWhileRinging(t, t.context, '*22602', '*1'),
  );
  t.is(summary.reason, 'resume');
});

test.serial('resume (*1) during the consultation, with a custom takeback code: Alice and Bob talk again', async (t) => {
  const e = t.context;
  await withAccountMetaflows(e, CUSTOM, async () => {
    const { alice, bob } = await placeCall(e);
    const commands = commandsFrom(e);
    const carol = await transferByDigits(e, alice, '*22600', commands);
    await bridgedTogether(e, alice.uuid, carol);
    await waitForPhase(e, alice, bob, 'consulting');
    await press(e, alice.uuid, '*1');
    await takenBack(t, e, alice, bob, carol);
    t.is((await transferResult(e, alice, bob)).reason, 'resume');
    t.true(commands().includes(`api uuid_kill ${carol} NORMAL_CLEARING`));
    await hangUpCall(e, alice, bob);
  });
});

test.serial('after a takeback the transferor can transfer again on the same pair, and complete it', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const first = commandsFrom(e);
  const ringing = await transferByDigits(e, alice, '*22602', first);
  await waitForPhase(e, alice, bob, 'ringing');
  await press(e, alice.uuid, '*1');
  await takenBack(t, e, alice, bob, ringing);

  const second = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', second);
  t.not(carol, ringing, 'a new target leg');
  await bridgedTogether(e, alice.uuid, carol);
  await waitForPhase(e, alice, bob, 'consulting');
  await expectHearing(t, e, 'consulting again', [
    ['Alice', alice.uuid, peer(carol)],
    ['Carol', carol, peer(alice.uuid)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await completedByHangup(t, e, alice, bob, carol);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'completed');
  t.is(summary.targetLeg, carol);
  t.is(originates(second()).length, 1);
  t.true(second().includes(`api uuid_bridge ${bob.uuid} ${carol}`));
  await hangUp(e, bob.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
});
