// One transfer per pair of legs: a second transfer asked for on the same pair while one runs is refused,
// by either party, and the first goes on unaffected to its end. Once it has ended, either party's code works at once.
import anyTest, { type ExecutionContext } from 'ava';
import { requestTransferUpdate, type TransferSummary } from '../../contracts/messages.ts';
import { TRANSFER_REFUSED } from '../../contracts/refusals.ts';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { PAIR_CLAIM_MS } from '../../activities/policy.ts';
import { hangUp, placeCall, press, useEngine, type Engine, type Party } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  eventOn,
  expectHearing,
  gone,
  music,
  originates,
  peer,
  sleep,
  transferByDigits,
  transferResult,
  updateRefusal,
  waitForPhase,
  waitForTarget,
  completedByHangup,
} from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'second-transfer' });

type T = ExecutionContext<Engine>;

/** Alice consults Carol (2600); returns Carol's leg and the command log. */
async function consulting(t: T, e: Engine, alice: Party, bob: Party) {
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await bridgedTogether(e, alice.uuid, carol);
  await waitForPhase(e, alice, bob, 'consulting');
  await expectHearing(t, e, 'consulting', [
    ['Alice', alice.uuid, peer(carol)],
    ['Carol', carol, peer(alice.uuid)],
    ['Bob', bob.uuid, music(e)],
  ]);
  return { carol, commands };
}

/** The first transfer was left alone: still consulting; Alice hangs up and Bob gets Carol. */
async function firstCompletes(t: T, e: Engine, alice: Party, bob: Party, carol: string, commands: () => string[]) {
  await sleep(1000); // whatever the second request set off has had time to reach the switch
  await expectHearing(t, e, 'after the refused request', [
    ['Alice', alice.uuid, peer(carol)],
    ['Carol', carol, peer(alice.uuid)],
    ['Bob', bob.uuid, music(e)],
  ]);
  t.is(originates(commands()).length, 1, 'nothing else was dialled');
  await waitForPhase(e, alice, bob, 'consulting');

  await completedByHangup(t, e, alice, bob, carol);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'completed');
  t.is(summary.targetLeg, carol);
  const sent = commands();
  t.is(sent.filter((c) => c.startsWith('api uuid_park ')).length, 1, 'the parties were put on hold once');
  t.true(sent.includes(`api uuid_bridge ${bob.uuid} ${carol}`));
  t.false(
    sent.some((c) => c.startsWith('api uuid_kill')),
    'nobody hung up by the engine',
  );
  await hangUp(e, bob.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
}

test.serial('the transferee presses *22601 during the transfer: refused, the first transfer completes', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const { carol, commands } = await consulting(t, e, alice, bob);
  await press(e, bob.uuid, '*22601');
  await firstCompletes(t, e, alice, bob, carol, commands);
});

test.serial('the transferor presses *22601 again during the transfer: refused, the first completes', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const { carol, commands } = await consulting(t, e, alice, bob);
  await press(e, alice.uuid, '*22601');
  await firstCompletes(t, e, alice, bob, carol, commands);
});

test.serial('a second transfer asked for by either party (the Update) is refused: transfer_in_progress', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const { carol, commands } = await consulting(t, e, alice, bob);
  for (const [name, leg] of [
    ['transferor', alice],
    ['transferee', bob],
  ] as const) {
    const refusal = await updateRefusal(
      t,
      e.client.workflow.getHandle(callWorkflowId(leg.uuid)).executeUpdate(requestTransferUpdate, {
        args: [{ target: '2601' }],
      }),
    );
    t.is(refusal?.type, TRANSFER_REFUSED, `the ${name}'s request`);
    t.deepEqual(refusal?.details, ['transfer_in_progress'], `the ${name}'s request`);
  }
  await firstCompletes(t, e, alice, bob, carol, commands);
});

/** Both parties press a code at the same moment: exactly one transfer runs, which then completes. */
async function bothPressOneRuns(t: T, e: Engine, alice: Party, bob: Party): Promise<void> {
  const commands = commandsFrom(e);
  await Promise.all([press(e, alice.uuid, '*22600'), press(e, bob.uuid, '*22601')]);
  const carol = await waitForTarget(e, commands);
  const handle = e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid));
  await waitForPhase(e, alice, bob, 'consulting');
  const running = await handle.query<TransferSummary>('transfer');
  const [transferor, transferee] = running.transferor === alice.uuid ? [alice, bob] : [bob, alice];
  t.is(running.transferee, transferee.uuid);
  t.log(`the transferor is ${transferor === alice ? 'Alice' : 'Bob'} (target ${running.target})`);
  await bridgedTogether(e, transferor.uuid, carol);
  await sleep(1000); // the loser's request has had time to reach the switch, had it been let through
  await expectHearing(t, e, 'one transfer consulting', [
    ['the transferor', transferor.uuid, peer(carol)],
    ['the target', carol, peer(transferor.uuid)],
    ['the transferee', transferee.uuid, music(e)],
  ]);
  t.is(originates(commands()).length, 1, 'one target dialled');
  t.is(commands().filter((c) => c.startsWith('api uuid_park ')).length, 1, 'the parties were put on hold once');

  await hangUp(e, transferor.uuid);
  await bridgedTogether(e, transferee.uuid, carol);
  await expectHearing(t, e, 'completed', [
    ['the transferor', transferor.uuid, gone],
    ['the transferee', transferee.uuid, peer(carol)],
    ['the target', carol, peer(transferee.uuid)],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'completed');
  await hangUp(e, transferee.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
}

test.serial('both parties press a transfer code at the same moment: exactly one transfer runs', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await bothPressOneRuns(t, e, alice, bob);
});

test.serial(
  "a transfer ends busy; the transferee's own code at once, within the first claim's lease, works",
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    const commands = commandsFrom(e);
    const pair = transferWorkflowId(alice.uuid, bob.uuid);
    await transferByDigits(e, alice, '*22603', commands); // Carol is busy
    const first = await transferResult(e, alice, bob);
    const endedAt = Date.now();
    t.is(first.outcome, 'target_failed');
    await bridgedTogether(e, alice.uuid, bob.uuid);
    const aliceClaim = await e.store.transferPairClaim(pair);
    t.is(aliceClaim?.by, alice.uuid, "Alice's claim is still there");

    // Bob presses his own code as soon as he hears Alice again.
    const pressedAt = Date.now();
    await press(e, bob.uuid, '*22600');
    const carol = await waitForTarget(e, () => originates(commands()).slice(1)); // the second originate's leg
    const bobClaim = await e.store.transferPairClaim(pair);
    t.is(bobClaim?.by, bob.uuid, "Bob's claim replaced Alice's");
    t.true(bobClaim!.at! < aliceClaim!.until, `made ${aliceClaim!.until - bobClaim!.at!} ms before Alice's lapsed`);
    t.log(
      `Bob's code pressed ${pressedAt - endedAt} ms after the first transfer's end; his claim made ` +
        `${bobClaim!.at! - (aliceClaim!.until - PAIR_CLAIM_MS)} ms after Alice's, within its ${PAIR_CLAIM_MS} ms lease`,
    );
    await waitForPhase(e, alice, bob, 'consulting');
    const running = await e.client.workflow.getHandle(pair).query<TransferSummary>('transfer');
    t.is(running.transferor, bob.uuid);
    await bridgedTogether(e, bob.uuid, carol);
    await expectHearing(t, e, "Bob's transfer consulting", [
      ['Bob', bob.uuid, peer(carol)],
      ['Carol', carol, peer(bob.uuid)],
      ['Alice', alice.uuid, music(e)],
    ]);
    await hangUp(e, bob.uuid);
    await bridgedTogether(e, alice.uuid, carol);
    t.is((await transferResult(e, alice, bob)).outcome, 'completed');
    await hangUp(e, alice.uuid);
    await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
  },
);

test.serial(
  'after a transfer has ended, both parties press a code at the same moment: one transfer still',
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    await transferByDigits(e, alice, '*22603', commandsFrom(e)); // Carol is busy: the pair's workflow has a closed run
    t.is((await transferResult(e, alice, bob)).outcome, 'target_failed');
    await bridgedTogether(e, alice.uuid, bob.uuid);
    // That run started before either new claim: it spends neither, and the first claim keeps the pair.
    await bothPressOneRuns(t, e, alice, bob);
  },
);
