// Reconciliation puts right a leg whose state disagrees with what its transfer expects:
// - after a reconnect (events may have been lost) each running transfer audits its legs on the switch: here the
//   consultation bridge is broken behind the engine's back and is rebuilt;
// - a transfer whose workflow was ended by hand (terminated in the UI) left its callers on hold: the transferor's call
//   workflow (its parent) starts a new run at once, or, when the transferor has gone, the ingest's sweep does; the new
//   run resumes from the switch's state, and the transfer then ends as it would have.
import anyTest from 'ava';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, press, useEngine, waitFor } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  completedByHangup,
  consulting,
  expectHearing,
  gone,
  music,
  peer,
  ringback,
  sleep,
  transferByDigits,
  waitForCallWorkflow,
  transferResult,
  terminateAndAwaitResume,
  waitForPhase,
  withAccountMetaflows,
  expectSettingsRestored,
} from '../support/scenario.ts';

const test = useEngine(anyTest, { TRANSFER_SWEEP_MS: '1000' }, { scenario: 'reconcile-transfers' });

test.serial('audit after a reconnect: a consultation bridge broken behind the engine is rebuilt', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await consulting(t, e, alice, bob, carol);

  // Something else parks Carol: Alice and Carol are unbridged and parked (park_after_bridge), hearing nothing.
  t.true((await e.phones.api(`uuid_park ${carol}`)).startsWith('+OK'));
  await expectHearing(t, e, 'bridge broken', [
    ['Alice', alice.uuid, { kind: 'silence' }],
    ['Carol', carol, { kind: 'silence' }],
    ['Bob', bob.uuid, music(e)],
  ]);
  // The reconciliation the ingest runs when its event connection comes back (same code path, called directly so that
  // the test also runs against a real FreeSWITCH).
  const report = await e.nodeWorker!.ingest.reconcile({ snapshotRunning: true });
  t.is(report.liveCalls >= 2, true);
  t.true(e.nodeWorker!.ingest.stats().transfersAudited >= 1);
  await bridgedTogether(e, alice.uuid, carol);
  await expectHearing(t, e, 'consultation again', [
    ['Alice', alice.uuid, peer(carol)],
    ['Carol', carol, peer(alice.uuid)],
    ['Bob', bob.uuid, music(e)],
  ]);
  await waitForPhase(e, alice, bob, 'consulting');
  t.is(commands().filter((c) => c === `api uuid_bridge ${alice.uuid} ${carol}`).length, 2, 'bridged again');

  await completedByHangup(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).outcome, 'completed');
});

test.serial('a transfer terminated by hand during the consultation resumes and completes', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await consulting(t, e, alice, bob, carol);

  const runs = await terminateAndAwaitResume(e, alice, bob);
  t.not(runs.first, runs.second);
  await waitForPhase(e, alice, bob, 'consulting');
  await completedByHangup(t, e, alice, bob, carol);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'completed');
  // The resumed run put back the settings the first run saved on the channels: a later hangup ends the call.
  await expectSettingsRestored(t, e, bob.uuid);
  t.is(await e.phones.api(`uuid_getvar ${bob.uuid} handoff_active_transfer`), '_undef_');
  t.false(
    commands().some((c) => c.startsWith('bgapi originate') && !c.includes(`origination_uuid=${carol}`)),
    'nobody was dialled again',
  );
});

test.serial('a transfer terminated by hand while the target rings resumes; takeback still works', async (t) => {
  const e = t.context;
  const longRing = { ...DEMO_METAFLOWS, patterns: { '^2(\\d+)$': { module: 'transfer', data: { timeout: 30 } } } };
  const { alice, bob, carol } = await withAccountMetaflows(e, longRing, async () => {
    const { alice, bob } = await placeCall(e);
    const carol = await transferByDigits(e, alice, '*22602', commandsFrom(e)); // rings forever
    return { alice, bob, carol };
  });
  await waitForPhase(e, alice, bob, 'ringing');
  await expectHearing(t, e, 'ringing', [
    ['Alice', alice.uuid, ringback(e)],
    ['Bob', bob.uuid, music(e)],
  ]);

  await terminateAndAwaitResume(e, alice, bob);
  await waitForPhase(e, alice, bob, 'ringing');
  await press(e, alice.uuid, '*1');
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'taken back', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, gone],
  ]);
  t.is((await transferResult(e, alice, bob)).outcome, 'taken_back');
});

test.serial('a transfer terminated by hand while the transferor types a feature code resumes at once', async (t) => {
  const e = t.context;
  // The takeback code is #9, so Alice's `*` starts a feature-code collection, with its inter-digit timer running.
  const custom = {
    ...DEMO_METAFLOWS,
    patterns: { '^2(\\d+)$': { module: 'transfer', data: { takeback_dtmf: '#9' } } },
  };
  await withAccountMetaflows(e, custom, async () => {
    const { alice, bob } = await placeCall(e);
    const carol = await transferByDigits(e, alice, '*22600', commandsFrom(e));
    await consulting(t, e, alice, bob, carol);
    const from = e.phones.events.length;
    await press(e, alice.uuid, '*', 0);
    await waitFor(
      e,
      (ev) => ev.name === 'DTMF' && ev.headers['Unique-ID'] === alice.uuid && e.phones.events.indexOf(ev) >= from,
    );
    await terminateAndAwaitResume(e, alice, bob);
    await waitForPhase(e, alice, bob, 'consulting');
    await completedByHangup(t, e, alice, bob, carol);
    t.is((await transferResult(e, alice, bob)).outcome, 'completed');
  });
});

test.serial('a partial transfer terminated by hand: the sweep resumes it for the waiting transferee', async (t) => {
  const e = t.context;
  const before = e.nodeWorker!.ingest.stats().transfersResumed;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22604', commands); // rings 2 s, then answers
  await waitForPhase(e, alice, bob, 'ringing');
  await hangUp(e, alice.uuid);
  await waitForPhase(e, alice, bob, 'partial');
  // The transfer hears Alice's hangup straight from the ingest; her call workflow may take a moment longer to end,
  // and while it runs it would resume the transfer itself.
  await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).result();

  // Alice's call (the transfer's parent) has ended: only the sweep can notice, for Bob's call that still waits.
  await terminateAndAwaitResume(e, alice, bob);
  // (the sweep counts its resumptions when it finishes, just after starting the run)
  const resumed = () => e.nodeWorker!.ingest.stats().transfersResumed;
  for (const until = Date.now() + 10_000; resumed() === before && Date.now() < until;) await sleep(50);
  t.is(resumed(), before + 1, 'resumed by the ingest sweep');
  // Whether Carol answered before or after the resumption, Bob gets her.
  await bridgedTogether(e, bob.uuid, carol);
  await expectHearing(t, e, 'partial transfer completed', [
    ['Alice', alice.uuid, gone],
    ['Bob', bob.uuid, peer(carol)],
    ['Carol', carol, peer(bob.uuid)],
  ]);
  t.is((await transferResult(e, alice, bob)).outcome, 'completed_partial');
  await expectSettingsRestored(t, e, bob.uuid, carol);
});

test.serial('a call workflow terminated by hand: its transfer still hears the leg hang up and completes', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await consulting(t, e, alice, bob, carol);

  // Alice's call workflow is gone; her leg's hangup reaches the transfer straight from the ingest.
  await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).terminate('test: ended by hand');
  await completedByHangup(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).outcome, 'completed');
  await expectSettingsRestored(t, e, bob.uuid, carol);
});

test.serial(
  'a transferee without a running call workflow is still transferred: its workflow is started for the transfer',
  async (t) => {
    // As when Bob's leg appeared while Temporal was away and the ingest still holds his workflow's start: a transfer
    // that found no call workflow for him took him for gone and left him on hold.
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    // Terminated once it runs: under load the ingest may not have started it yet when the call is placed.
    await waitForCallWorkflow(e, bob.uuid);
    await e.client.workflow.getHandle(callWorkflowId(bob.uuid)).terminate('test: as if its start were still held');
    const commands = commandsFrom(e);
    const carol = await transferByDigits(e, alice, '*22600', commands);
    await consulting(t, e, alice, bob, carol);
    await completedByHangup(t, e, alice, bob, carol);
    t.is((await transferResult(e, alice, bob)).outcome, 'completed');
    await hangUp(e, bob.uuid);
  },
);
