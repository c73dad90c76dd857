// Three-way and swap during the consultation. Alice (transferor) presses *22600 while talking to Bob (transferee),
// Carol (2600) answers, and then: `*3` puts all three in one conference, from which Alice hanging up completes the
// transfer, `*1` drops Carol, and Bob leaving leaves Alice and Carol; `*4` swaps Alice to Bob while Carol hears music.
// And Kazoo's `hold` outside a transfer: the peer hears the hold music, the holder silence, until pressed again.
// Who hears whom is read from ESL events only (conference membership from conference::maintenance), so the file runs
// unchanged against a real FreeSWITCH with mod_conference (HANDOFF_TEST_FREESWITCH).
import anyTest, { type ExecutionContext } from 'ava';
import { threeWayConference } from '../../contracts/ids.ts';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import { hangUp, placeCall, press, useEngine, type Engine, type Party } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  completedByHangup,
  consulting,
  expectHearing,
  expectMembers,
  expectSettingsRestored,
  gone,
  inConference,
  music,
  peer,
  transferByDigits,
  silence,
  terminateAndAwaitResume,
  transferResult,
  waitForPhase,
  withAccountMetaflows,
} from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'three-way' });

type T = ExecutionContext<Engine>;

/** Alice consults Carol (2600) while Bob hears music. */
async function consultation(t: T, e: Engine): Promise<{ alice: Party; bob: Party; carol: string }> {
  const { alice, bob } = await placeCall(e);
  const carol = await transferByDigits(e, alice, '*22600', commandsFrom(e));
  await consulting(t, e, alice, bob, carol);
  return { alice, bob, carol };
}

/** Alice presses `*3`: all three are members of the transfer's conference and each hears the other two. */
async function threeWay(t: T, e: Engine, alice: Party, bob: Party, carol: string): Promise<string> {
  await press(e, alice.uuid, '*3');
  const name = threeWayConference(carol);
  await expectMembers(t, e, 'three-way', name, [alice.uuid, bob.uuid, carol]);
  await expectHearing(t, e, 'three-way', [
    ['Alice', alice.uuid, inConference(name, bob.uuid, carol)],
    ['Bob', bob.uuid, inConference(name, alice.uuid, carol)],
    ['Carol', carol, inConference(name, alice.uuid, bob.uuid)],
  ]);
  await waitForPhase(e, alice, bob, 'three_way');
  return name;
}

test.serial(
  'three-way, then the transferor hangs up: transferee and target are bridged out of the conference',
  async (t) => {
    const e = t.context;
    const { alice, bob, carol } = await consultation(t, e);
    const name = await threeWay(t, e, alice, bob, carol);
    await completedByHangup(t, e, alice, bob, carol);
    await expectMembers(t, e, 'completed', name, []);
    const summary = await transferResult(e, alice, bob);
    t.is(summary.outcome, 'completed');
    await expectSettingsRestored(t, e, bob.uuid, carol);
    await hangUp(e, bob.uuid);
  },
);

test.serial('three-way, then the takeback code drops the target: transferor and transferee talk again', async (t) => {
  const e = t.context;
  const { alice, bob, carol } = await consultation(t, e);
  const name = await threeWay(t, e, alice, bob, carol);
  await press(e, alice.uuid, '*1');
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectMembers(t, e, 'taken back', name, []);
  await expectHearing(t, e, 'taken back', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, gone],
  ]);
  t.is((await transferResult(e, alice, bob)).outcome, 'taken_back');
  await expectSettingsRestored(t, e, alice.uuid, bob.uuid);
  await hangUp(e, alice.uuid);
});

test.serial('three-way, then the transferee leaves: transferor and target keep talking', async (t) => {
  const e = t.context;
  const { alice, bob, carol } = await consultation(t, e);
  const name = await threeWay(t, e, alice, bob, carol);
  await hangUp(e, bob.uuid);
  await bridgedTogether(e, alice.uuid, carol);
  await expectMembers(t, e, 'transferee left', name, []);
  await expectHearing(t, e, 'transferee left', [
    ['Alice', alice.uuid, peer(carol)],
    ['Carol', carol, peer(alice.uuid)],
    ['Bob', bob.uuid, gone],
  ]);
  t.is((await transferResult(e, alice, bob)).outcome, 'transferee_left');
  await hangUp(e, alice.uuid);
});

test.serial(
  'swap: the transferor talks to the transferee while the target hears music, swaps back, then completes',
  async (t) => {
    const e = t.context;
    const { alice, bob, carol } = await consultation(t, e);
    await press(e, alice.uuid, '*4');
    await bridgedTogether(e, alice.uuid, bob.uuid);
    await expectHearing(t, e, 'swapped', [
      ['Alice', alice.uuid, peer(bob.uuid)],
      ['Bob', bob.uuid, peer(alice.uuid)],
      ['Carol', carol, music(e)],
    ]);
    await waitForPhase(e, alice, bob, 'swapped');
    await press(e, alice.uuid, '*4');
    await consulting(t, e, alice, bob, carol);
    await press(e, alice.uuid, '*4');
    await waitForPhase(e, alice, bob, 'swapped');
    await expectHearing(t, e, 'swapped again', [['Carol', carol, music(e)]]);
    // The transferor hangs up on the swapped side too: the transfer completes.
    await completedByHangup(t, e, alice, bob, carol);
    t.is((await transferResult(e, alice, bob)).outcome, 'completed');
    await hangUp(e, bob.uuid);
  },
);

test.serial(
  'a three-way whose transfer was ended by hand resumes as a three-way; the transferor hanging up then completes it',
  async (t) => {
    const e = t.context;
    const { alice, bob, carol } = await consultation(t, e);
    const name = await threeWay(t, e, alice, bob, carol);
    const runs = await terminateAndAwaitResume(e, alice, bob);
    t.not(runs.first, runs.second);
    await waitForPhase(e, alice, bob, 'three_way');
    await expectMembers(t, e, 'three-way, resumed', name, [alice.uuid, bob.uuid, carol]);
    await completedByHangup(t, e, alice, bob, carol);
    t.is((await transferResult(e, alice, bob)).outcome, 'completed');
    await hangUp(e, bob.uuid);
  },
);

test.serial(
  "hold (Kazoo's module on *5): the peer hears the hold music, the holder silence; *5 again ends it",
  async (t) => {
    const e = t.context;
    const doc = { ...DEMO_METAFLOWS, numbers: { ...(DEMO_METAFLOWS.numbers ?? {}), '5': { module: 'hold' } } };
    await withAccountMetaflows(e, doc, async () => {
      const { alice, bob } = await placeCall(e);
      await press(e, alice.uuid, '*5');
      // The switch's hold music: the holder's hold_music, else the global one (local_stream://moh on the captures' switch).
      await expectHearing(t, e, 'held', [
        ['Alice', alice.uuid, silence],
        ['Bob', bob.uuid, { kind: 'stream', stream: 'local_stream://moh' }],
      ]);
      await press(e, alice.uuid, '*5');
      await expectHearing(t, e, 'off hold', [
        ['Alice', alice.uuid, peer(bob.uuid)],
        ['Bob', bob.uuid, peer(alice.uuid)],
      ]);
      await hangUp(e, alice.uuid);
    });
  },
);

test.serial(
  "hold plays the account's music on hold, and the media a hold_control metaflow names (Kazoo's moh_bleg) over it",
  async (t) => {
    const e = t.context;
    const accountMoh = 'tone_stream://%(500,500,480)';
    const flowMoh = 'tone_stream://%(250,250,350)';
    const numbers = {
      ...(DEMO_METAFLOWS.numbers ?? {}),
      '5': { module: 'hold' },
      '6': { module: 'hold_control', data: { action: 'hold', moh_bleg: flowMoh } },
      '7': { module: 'hold_control', data: { action: 'unhold' } },
    };
    const before = await e.store.getAccount(e.demo.accountId);
    await e.store.updateAccount(e.demo.accountId, { musicOnHoldMediaId: accountMoh });
    try {
      await withAccountMetaflows(e, { ...DEMO_METAFLOWS, numbers }, async () => {
        const { alice, bob } = await placeCall(e);
        await press(e, alice.uuid, '*5');
        await expectHearing(t, e, "held: the account's music", [
          ['Alice', alice.uuid, silence],
          ['Bob', bob.uuid, { kind: 'stream', stream: `${accountMoh};loops=-1` }],
        ]);
        await press(e, alice.uuid, '*7');
        await expectHearing(t, e, 'off hold', [
          ['Alice', alice.uuid, peer(bob.uuid)],
          ['Bob', bob.uuid, peer(alice.uuid)],
        ]);
        await press(e, alice.uuid, '*6');
        await expectHearing(t, e, "held: the metaflow's music", [
          ['Alice', alice.uuid, silence],
          ['Bob', bob.uuid, { kind: 'stream', stream: `${flowMoh};loops=-1` }],
        ]);
        await hangUp(e, alice.uuid);
      });
    } finally {
      await e.store.updateAccount(e.demo.accountId, { musicOnHoldMediaId: before?.musicOnHoldMediaId ?? null });
    }
  },
);
