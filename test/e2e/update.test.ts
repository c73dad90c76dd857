// Transfers driven through the call workflow's Updates, as the REST API drives them: requestTransfer (accepted with
// the transfer's ID, or refused with a reason before anything moves), the takeback, and a blind transfer.
import crypto from 'node:crypto';
import anyTest from 'ava';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { takebackUpdate, requestTransferUpdate } from '../../contracts/messages.ts';
import { NO_TRANSFER, TRANSFER_REFUSED } from '../../contracts/refusals.ts';
import { hangUp, placeCall, useEngine, type Engine } from '../support/engine.ts';
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
  transferResult,
  updateRefusal,
  waitForCallWorkflow,
  waitForPhase,
  waitForTarget,
  consulting,
  completedByHangup,
  expectSettingsRestored,
} from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'update' });

const call = (e: Engine, uuid: string) => e.client.workflow.getHandle(callWorkflowId(uuid));

test.serial('requestTransfer: accepted with the transfer ID; consult, then completion', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  const commands = commandsFrom(e);
  const accepted = await call(e, alice.uuid).executeUpdate(requestTransferUpdate, { args: [{ target: '2600' }] });
  t.deepEqual(accepted, {
    transferId: transferWorkflowId(alice.uuid, bob.uuid),
    transferor: alice.uuid,
    transferee: bob.uuid,
    target: '2600',
    type: 'attended',
  });
  const carol = await waitForTarget(e, commands);
  await consulting(t, e, alice, bob, carol);

  await completedByHangup(t, e, alice, bob, carol);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'completed');
  t.is(summary.transferId, accepted.transferId);
  t.is(summary.targetLeg, carol);
  const sent = commands();
  t.is(originates(sent).length, 1);
  t.true(originates(sent)[0]!.includes('loopback/2600/default'));
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${carol}`));
  t.true(sent.includes(`api uuid_bridge ${bob.uuid} ${carol}`));
  await hangUp(e, bob.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
});

test.serial('requestTransfer on a leg that is not bridged is refused (not_bridged) and touches nothing', async (t) => {
  const e = t.context;
  const leg = crypto.randomUUID();
  const vars = `origination_uuid=${leg},origination_caller_id_number=1003,${e.config.ACCOUNT_ID_VARIABLE}=${e.demo.accountId}`;
  const job = await e.phones.bgapi(`originate {${vars}}loopback/2600/default &park()`);
  t.true((await job.result).startsWith('+OK'));
  await waitForCallWorkflow(e, leg);
  const commands = commandsFrom(e);
  const refusal = await updateRefusal(
    t,
    call(e, leg).executeUpdate(requestTransferUpdate, { args: [{ target: '2600' }] }),
  );
  t.is(refusal?.type, TRANSFER_REFUSED);
  t.deepEqual(refusal?.details, ['not_bridged']);
  const sent = commands();
  t.false(
    sent.some((c) => !c.startsWith('api uuid_dump ') && !c.startsWith('api uuid_getvar ')),
    `only reads: ${sent.join('; ')}`,
  );
  // The leg itself is as it was: parked, in silence, no transfer running on it.
  await expectHearing(t, e, 'after the refusal', [['the leg', leg, { kind: 'silence' }]]);
  const noTransfer = await updateRefusal(t, call(e, leg).executeUpdate(takebackUpdate));
  t.is(noTransfer?.type, NO_TRANSFER);
  await hangUp(e, leg);
});

test.serial('takeback while the target rings: the target is cancelled, Alice and Bob talk again', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  const commands = commandsFrom(e);
  const accepted = await call(e, alice.uuid).executeUpdate(requestTransferUpdate, { args: [{ target: '2602' }] });
  const carol = await waitForTarget(e, commands);
  await expectHearing(t, e, 'target ringing', [
    ['Alice', alice.uuid, ringback(e)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await waitForPhase(e, alice, bob, 'ringing');

  const cancelled = await call(e, alice.uuid).executeUpdate(takebackUpdate);
  t.is(cancelled.transferId, accepted.transferId);
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'cancelled', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, gone],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'taken_back');
  t.is(summary.reason, 'api');
  const sent = commands();
  t.true(sent.includes(`api uuid_kill ${carol} ORIGINATOR_CANCEL`));
  t.true(sent.includes(`api uuid_bridge ${alice.uuid} ${bob.uuid}`));
  await expectSettingsRestored(t, e, alice.uuid);
  await hangUp(e, alice.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', bob.uuid);
});

test.serial('a blind transfer: the transferor is released at once, the transferee gets the target', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  const commands = commandsFrom(e);
  const accepted = await call(e, alice.uuid).executeUpdate(requestTransferUpdate, {
    args: [{ target: '2604', type: 'blind' }], // rings 2 s, then answers
  });
  t.is(accepted.type, 'blind');
  const carol = await waitForTarget(e, commands);
  const aliceHangup = await eventOn(e, 'CHANNEL_HANGUP', alice.uuid);
  await expectHearing(t, e, 'target ringing', [
    ['Alice', alice.uuid, gone],
    ['Bob', bob.uuid, music(e)],
  ]);
  const answered = await eventOn(e, 'CHANNEL_ANSWER', carol);
  t.true(aliceHangup.t < answered.t, 'Alice was released before the target answered');
  const onHold = await eventOn(e, 'PLAYBACK_START', bob.uuid);
  t.true(onHold.t < answered.t, 'Bob was on hold before the target answered');
  t.is(interruption(e, bob.uuid, music(e), onHold, answered), undefined, 'Bob had music while Carol rang');

  await bridgedTogether(e, bob.uuid, carol);
  await expectHearing(t, e, 'completed', [
    ['Alice', alice.uuid, gone],
    ['Bob', bob.uuid, peer(carol)],
    ['Carol', carol, peer(bob.uuid)],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'completed_blind');
  t.is(summary.type, 'blind');
  t.is(summary.targetLeg, carol);
  const sent = commands();
  t.true(sent.includes(`api uuid_kill ${alice.uuid} NORMAL_CLEARING`), 'the engine released Alice');
  t.false(
    sent.some((c) => c.startsWith(`api uuid_broadcast ${alice.uuid} `)),
    'no ringback for a released Alice',
  );
  t.false(
    sent.some((c) => c.startsWith(`api uuid_bridge ${alice.uuid} `)),
    'no consultation',
  );
  t.true(sent.includes(`api uuid_bridge ${bob.uuid} ${carol}`));
  await expectSettingsRestored(t, e, bob.uuid);
  await hangUp(e, bob.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', carol);
});
