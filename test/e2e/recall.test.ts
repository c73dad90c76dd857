// A partial transfer that fails under PARTIAL_FAILURE=recall: the transferor has hung up, the target
// never answers, and instead of releasing the transferee the engine calls the transferor back and connects them
// (Asterisk's atxferdropcall=no). The transferee keeps its music throughout, and is released only when every recall
// attempt fails too.
import anyTest, { type ExecutionContext } from 'ava';
import { hangUp, placeCall, useEngine, type Engine } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  eventOn,
  expectHearing,
  gone,
  interruption,
  music,
  originatedLegs,
  originates,
  peer,
  ringback,
  transferByDigits,
  transferResult,
  waitForPhase,
  expectSettingsRestored,
} from '../support/scenario.ts';
import { eventually } from '../support/poll.ts';

const test = useEngine(
  anyTest,
  {
    TARGET_RING_TIMEOUT_S: '2',
    PARTIAL_FAILURE: 'recall',
    RECALL_ATTEMPTS: '2',
    RECALL_DELAY_MS: '500',
    RECALL_RING_TIMEOUT_S: '2',
  },
  { scenario: 'recall' },
);

/** Alice transfers Bob to 2602 (rings forever) and hangs up: a partial transfer whose target will not answer. */
async function partialToNobody(t: ExecutionContext, e: Engine, recallNumber?: string) {
  const { alice, bob } = await placeCall(e);
  if (recallNumber) {
    const reply = await e.phones.api(`uuid_setvar ${alice.uuid} ${e.config.RECALL_NUMBER_VARIABLE} ${recallNumber}`);
    if (!reply.startsWith('+OK')) throw new Error(`uuid_setvar: ${reply}`);
  }
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22602', commands);
  await waitForPhase(e, alice, bob, 'ringing');
  await expectHearing(t, e, 'target ringing', [
    ['Alice', alice.uuid, ringback(e)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await hangUp(e, alice.uuid);
  const aliceGone = await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', alice.uuid);
  return { alice, bob, carol, commands, aliceGone };
}

/** The recall legs the engine originated: every originate after the target's, in order. */
function recallLegs(commands: string[], target: string): string[] {
  return originatedLegs(commands).filter((leg) => leg !== target);
}

function waitForRecall(commands: () => string[], target: string, n: number): Promise<string> {
  return eventually(
    () => `recall #${n}; commands:\n${commands().join('\n')}`,
    () => recallLegs(commands(), target)[n - 1],
    { timeoutMs: 20_000, everyMs: 50 },
  );
}

test.serial('recall: the target does not answer; Alice is called back and gets Bob again', async (t) => {
  const e = t.context;
  // Alice's leg was dialled as 2600 (answers at once): the number that reaches her, without a recall variable.
  const { alice, bob, carol, commands, aliceGone } = await partialToNobody(t, e);
  await waitForPhase(e, alice, bob, 'partial');

  const recall = await waitForRecall(commands, carol, 1);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol); // the target's ring time ran out
  const answered = await eventOn(e, 'CHANNEL_ANSWER', recall);
  await bridgedTogether(e, bob.uuid, recall);
  t.is(interruption(e, bob.uuid, music(e), aliceGone, answered), undefined, 'Bob kept his music until Alice answered');
  await expectHearing(t, e, 'Alice called back', [
    ['Alice (first leg)', alice.uuid, gone],
    ['Carol', carol, gone],
    ['Bob', bob.uuid, peer(recall)],
    ['Alice (recall)', recall, peer(bob.uuid)],
  ]);

  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'recalled');
  t.is(summary.reason, 'NO_ANSWER', 'why the transfer did not happen');
  t.is(summary.recallLeg, recall);

  const sent = commands();
  const recallOriginate = originates(sent).find((c) => c.includes(`origination_uuid=${recall}`)) ?? '';
  t.true(recallOriginate.includes('loopback/2600/default'), 'dialled the number that reached Alice');
  t.true(recallOriginate.includes('origination_caller_id_number=1002'), "Alice sees Bob's number");
  t.true(recallOriginate.includes('originate_timeout=2'), 'the recall ring time');
  t.true(sent.includes(`api uuid_bridge ${bob.uuid} ${recall}`));
  t.false(
    sent.some((c) => c.startsWith(`api uuid_kill ${bob.uuid}`)),
    'Bob was not released',
  );
  // Settings put back on both: a later hangup ends the call as usual.
  await expectSettingsRestored(t, e, bob.uuid, recall);
  await hangUp(e, bob.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', recall);
});

test.serial('recall: every attempt fails (busy), with a pause between; then Bob is released', async (t) => {
  const e = t.context;
  const { alice, bob, carol, commands, aliceGone } = await partialToNobody(t, e, '2603'); // 2603 is busy
  const first = await waitForRecall(commands, carol, 1);
  const second = await waitForRecall(commands, carol, 2);
  t.not(first, second, 'each attempt is a new leg');
  const bobHangup = await eventOn(e, 'CHANNEL_HANGUP', bob.uuid, 20_000);
  t.is(interruption(e, bob.uuid, music(e), aliceGone, bobHangup), undefined, 'Bob had music until released');
  t.is(bobHangup.headers['Hangup-Cause'], 'NO_ANSWER', "Bob's call ends with the target's cause");

  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'partial_failed');
  t.is(summary.reason, 'NO_ANSWER');
  const recalls = originates(commands()).filter((c) => c.includes('loopback/2603/default'));
  t.is(recalls.length, 2, 'RECALL_ATTEMPTS=2');
  await expectHearing(t, e, 'all gone', [
    ['Alice', alice.uuid, gone],
    ['Bob', bob.uuid, gone],
    ['Carol', carol, gone],
  ]);
});

test.serial('recall: Bob hangs up while Alice is being called back; the recall is cancelled', async (t) => {
  const e = t.context;
  const { alice, bob, carol, commands } = await partialToNobody(t, e, '2602'); // the recall rings forever too
  const recall = await waitForRecall(commands, carol, 1);
  await waitForPhase(e, alice, bob, 'recalling');
  await hangUp(e, bob.uuid);
  const recallGone = await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', recall);
  t.is(recallGone.headers['Hangup-Cause'], 'ORIGINATOR_CANCEL');
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'transferor_and_transferee_left');
  t.true(commands().includes(`api uuid_kill ${recall} ORIGINATOR_CANCEL`));
});
