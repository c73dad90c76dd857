// What a call costs in Temporal commands, as its call workflows' histories show it. Search attributes: what the ingest
// set at start is not upserted again, a workflow task upserts at most once (all that changed in it), and the `ended`
// phase is not upserted (the workflow closes in that task; its status says the call ended). A feature code's digits
// share the digit timeout's timer instead of restarting it at each digit. The callers' side is read from ESL events.
import anyTest, { type TestFn } from 'ava';
import type { WorkflowHandle } from '@temporalio/client';
import type proto from '@temporalio/proto';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { bridgedPeer, callQuery, type CallSummary } from '../../contracts/messages.ts';
import { CALL_STATE } from '../../contracts/search-attributes.ts';
import { hangUp, placeCall, press, startEngine, waitFor, type Engine } from '../support/engine.ts';
import {
  callInTransfer,
  commandsFrom,
  transferResult,
  waitForCallWorkflow,
  waitForTarget,
  codeTimers,
} from '../support/scenario.ts';
import { EventType, signalledChannelEvents, type HistoryEvent } from '../support/history.ts';

const test = anyTest as TestFn<Engine>;
test.before(async (t) => {
  // Counted with a code's digit timer kept while the code is typed (a timer shift of 0: the fewest timers). Told the
  // test server's 1 s shift (the default), the engine may start it again at each key to end the code on time
  // (collector.ts restartsDigitTimer; README, sub-second timers).
  t.context = await startEngine({ TEMPORAL_TIMER_SHIFT_MS: '0' }, { scenario: 'call-cost' });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

/** The value of one search attribute in an indexed-fields map (JSON payloads), or undefined. */
function valueOf(fields: Record<string, proto.temporal.api.common.v1.IPayload> | null | undefined, key: string) {
  const data = fields?.[key]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString()) as unknown) : undefined;
}

/** The leg events a call workflow was signalled, in order: a bridge with the peer it names, an unbridge too. */
async function signalledEvents(handle: WorkflowHandle): Promise<string[]> {
  return signalledChannelEvents((await handle.fetchHistory()).events ?? []).map((ev) =>
    ev.name === 'CHANNEL_BRIDGE'
      ? `${ev.name} to ${bridgedPeer(ev)}`
      : ev.name === 'CHANNEL_UNBRIDGE'
        ? `${ev.name} from ${bridgedPeer(ev)}`
        : ev.name,
  );
}

/** Our upserts (not the SDK's own TemporalChangeVersion) per workflow task, in order. */
function upsertsPerTask(events: HistoryEvent[]): Record<string, unknown>[][] {
  const tasks: Record<string, unknown>[][] = [];
  for (const ev of events) {
    if (ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) tasks.push([]);
    const fields = ev.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (!fields) continue;
    const ours = Object.keys(fields).filter((k) => k.startsWith('Handoff'));
    if (ours.length) tasks.at(-1)!.push(Object.fromEntries(ours.map((k) => [k, valueOf(fields, k)])));
  }
  return tasks;
}

test.serial(
  'a plain call: at most one upsert per workflow task, nothing set at start upserted again, no ended',
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    await waitForCallWorkflow(e, alice.uuid);
    await waitForCallWorkflow(e, bob.uuid);
    await hangUp(e, alice.uuid);
    await waitFor(e, (ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === bob.uuid);

    for (const [name, leg] of [
      ['alice', alice.uuid],
      ['bob', bob.uuid],
    ] as const) {
      const handle = e.client.workflow.getHandle(callWorkflowId(leg));
      const summary = (await handle.result()) as { phase: string };
      t.is(summary.phase, 'ended', `${name}'s call ended`);
      const events = (await handle.fetchHistory()).events ?? [];
      const started = events[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields;
      const tasks = upsertsPerTask(events);
      t.true(
        tasks.every((upserts) => upserts.length <= 1),
        `${name}: at most one upsert per task: ${JSON.stringify(tasks)}`,
      );
      // The phase as Temporal held it, start value first: never told the same phase twice in a row, never `ended`.
      const phases = [valueOf(started, 'HandoffCallState'), ...tasks.flat().map((u) => u['HandoffCallState'])].filter(
        (p) => p !== undefined,
      );
      t.false(phases.includes('ended'), `${name}: ${phases.join(' → ')}`);
      t.true(
        phases.every((p, i) => i === 0 || p !== phases[i - 1]),
        `${name}: ${phases.join(' → ')}`,
      );
      t.false(
        tasks.flat().some((u) => 'HandoffAccountId' in u),
        `${name}: the account is set at start`,
      );
      if (leg === alice.uuid) t.true(phases.includes('bridged'), `alice was seen bridged: ${phases.join(' → ')}`);
      const closed = await handle.describe();
      t.is(closed.status.name, 'COMPLETED');
    }
  },
);

test.serial("a feature code's digits share the digit timeout's timer: *22600 starts at most two", async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  // The code worked (Bob hears music, Alice is bridged to Carol), and cost these timers.
  const { started, cancelled } = await codeTimers(e, alice, bob, '*22600');
  // Five digits after the binding `*`, 60 ms apart, the fixture's timeout: one timer from the first `2`, and one more for
  // what the later digits added when it fired. Each digit used to cancel the running timer and start another (5).
  t.true(started <= 2, `${started} timers started, ${cancelled} cancelled`);
  t.is(cancelled, 0);
  await hangUp(e, alice.uuid);
  const transfer = e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid));
  // Alice's hangup and bridges went straight from the ingest to the transfer; her unbridges (the hold's, the one
  // before her hangup) are nothing the transfer acts on: her call workflow signals it nothing.
  await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).result();
  const forwarded = (
    (await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).fetchHistory()).events ?? []
  ).filter((ev) => ev.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'transferLegEvents');
  t.is(forwarded.length, 0, "signals of Alice's events from her call workflow to the transfer");
  t.is(((await transfer.result()) as { outcome?: string }).outcome, 'completed');
  // Bob's bridge to Carol is the transfer's last bridge, and its end tells Bob's call workflow whom he talks to: the
  // ingest signals Bob's CHANNEL_BRIDGE no more (a signal and a workflow task that changed nothing his call shows).
  // What SREs see is unchanged: Bob bridged to Carol, in his call and his search attributes.
  const targetLeg = ((await transfer.result()) as { targetLeg?: string }).targetLeg;
  const bobCall = e.client.workflow.getHandle(callWorkflowId(bob.uuid));
  let bobNow: CallSummary | undefined;
  for (let tries = 0; tries < 50 && bobNow?.phase !== 'bridged'; tries++) {
    if (tries) await new Promise((r) => setTimeout(r, 100));
    bobNow = await bobCall.query(callQuery);
  }
  t.like(bobNow, { phase: 'bridged', bridgedTo: targetLeg });
  t.is((await bobCall.describe()).typedSearchAttributes.get(CALL_STATE), 'bridged');
  const bobHeard = await signalledEvents(bobCall);
  // The mark that told the ingest Bob is the transferee went with the transfer's other settings.
  t.is(await e.phones.api(`uuid_getvar ${bob.uuid} handoff_transferee_of`), '_undef_');
  t.true(bobHeard.includes('CHANNEL_ANSWER'), bobHeard.join(', '));
  t.false(
    bobHeard.some((name) => name.startsWith('CHANNEL_BRIDGE')),
    `Bob's call workflow heard: ${bobHeard.join(', ')}`,
  );
  // The hold's unbridge of the pair (on whichever leg made their bridge) reaches neither call workflow: Alice's
  // started the transfer and Bob's was told by it, and each took its leg for unbridged then.
  const aliceHeard = await signalledEvents(e.client.workflow.getHandle(callWorkflowId(alice.uuid)));
  t.false(
    aliceHeard.includes(`CHANNEL_UNBRIDGE from ${bob.uuid}`),
    `Alice's call workflow heard: ${aliceHeard.join(', ')}`,
  );
  t.false(
    bobHeard.includes(`CHANNEL_UNBRIDGE from ${alice.uuid}`),
    `Bob's call workflow heard: ${bobHeard.join(', ')}`,
  );
  // The transfer's state: one upsert per workflow task, the last state of the inputs stepped in it.
  const transferEvents = (await transfer.fetchHistory()).events ?? [];
  const transferTasks = upsertsPerTask(transferEvents);
  t.true(
    transferTasks.every((upserts) => upserts.length <= 1),
    `the transfer: at most one upsert per task: ${JSON.stringify(transferTasks.filter((u) => u.length))}`,
  );
  t.like(transferTasks.flat().at(-1), { HandoffTransferState: 'ended', HandoffTransferOutcome: 'completed' });
  // The states the callers were in, each once, the first set at start: `ringing` (where the hold and the originate
  // lead, a few hundred ms later), then consulting, then ended; a bridge awaiting its event (`connecting`) is not
  // upserted.
  const startedWith = transferEvents[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields;
  const states = [
    valueOf(startedWith, 'HandoffTransferState'),
    ...transferTasks.flat().map((u) => u['HandoffTransferState']),
  ];
  t.deepEqual(states, ['ringing', 'consulting', 'ended'], `transfer states: ${states.join(' → ')}`);
  // Both bridges (Alice ↔ Carol, then Bob ↔ Carol) confirmed by their CHANNEL_BRIDGE within their activities: no
  // bridge-confirmation timer (the only one left may be the no-answer deadline's, while Carol's answer comes).
  const timers = transferEvents
    .filter((ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
    .map((ev) => ev.userMetadata?.summary?.data)
    .map((d) => (d ? (JSON.parse(Buffer.from(d).toString()) as string) : '(unnamed)'));
  t.false(
    timers.some((summary) => summary.startsWith('bridge confirmation')),
    `the transfer's timers: ${timers.join(' | ')}`,
  );
  t.true(timers.length <= 1, `the transfer's timers: ${timers.join(' | ')}`);
  // The parties were put on hold by the activity that resolved the transfer, in Alice's call workflow: the transfer
  // dials at once. The completing bridge put Bob's and Carol's settings back in its own activity, once confirmed.
  const activities = transferEvents
    .map((ev) => ev.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => !!name);
  t.deepEqual(activities, ['originateTarget', 'bridgeAndConfirm', 'bridgeAndConfirm']);
  // Carol's answer told the transfer she answered: the originate's +OK after it is not sent as well.
  const transferSignals = ((await transfer.fetchHistory()).events ?? []).flatMap(
    (ev) => ev.workflowExecutionSignaledEventAttributes?.signalName ?? [],
  );
  t.false(transferSignals.includes('originateResult'), transferSignals.join(', '));
  // What the transfer heard of the legs: Carol's answer and Alice's hangup, nothing else. Each bridge was confirmed in
  // its own activity, so Alice's and Bob's CHANNEL_BRIDGE are not signalled to it as well.
  const heard = transferEvents.flatMap((ev) => {
    const signaled = ev.workflowExecutionSignaledEventAttributes;
    const data = signaled?.signalName === 'transferLegEvents' ? signaled.input?.payloads?.[0]?.data : undefined;
    const events = data ? (JSON.parse(Buffer.from(data).toString()) as { name: string; uuid: string }[]) : [];
    return events.map((e) => `${e.uuid === alice.uuid ? 'alice' : e.uuid === bob.uuid ? 'bob' : 'carol'} ${e.name}`);
  });
  t.deepEqual(heard, ['carol CHANNEL_ANSWER', 'alice CHANNEL_HANGUP_COMPLETE'], heard.join(', '));
  // Its billable actions: its start, those two signals, the consulting and ended upserts, its three activities, and
  // at most the no-answer deadline's timer (12 when the parties' bridges were signalled to it, 10 when it held them).
  const count = (key: keyof HistoryEvent) => transferEvents.filter((ev) => ev[key] != null).length;
  const transferActions =
    count('workflowExecutionStartedEventAttributes') +
    count('workflowExecutionSignaledEventAttributes') +
    count('upsertWorkflowSearchAttributesEventAttributes') +
    count('activityTaskScheduledEventAttributes') +
    count('timerStartedEventAttributes');
  t.true(transferActions <= 9, `the transfer's actions: ${transferActions}`);
  // Carol, a call of her own since the transfer completed: Bob hangs up, then she does. Her call workflow starts with
  // her hangup and closes, with no signal.
  const carolLeg = targetLeg!;
  const carolGone = waitFor(e, (ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === carolLeg);
  await hangUp(e, bob.uuid);
  await Promise.race([carolGone, new Promise((r) => setTimeout(r, 2000))]);
  await hangUp(e, carolLeg).catch(() => undefined);
  await carolGone;
  const carolCall = e.client.workflow.getHandle(callWorkflowId(carolLeg));
  for (
    let tries = 0;
    !(await carolCall.describe().then(
      () => true,
      () => false,
    )) && tries < 100;
    tries++
  )
    await new Promise((r) => setTimeout(r, 100));
  t.like(await carolCall.result(), { phase: 'ended' });
  const carolHistory = (await carolCall.fetchHistory()).events ?? [];
  t.is(carolHistory.filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).length, 0);
  t.is(carolHistory.filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length, 1);
});

test.serial(
  "the hold's unbridge is no signal, yet both calls name no peer while their transfer runs, whichever leg made the pair's bridge",
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    await waitForCallWorkflow(e, alice.uuid);
    await waitForCallWorkflow(e, bob.uuid);
    // Bob transfers Alice. The pair's bridge is Alice's leg's (placeCall bridges hers to Bob's), so the hold's unbridge
    // is on the transferee's leg this time; 2602 rings until the ring time ends.
    const commands = commandsFrom(e);
    await press(e, bob.uuid, '*22602#');
    await waitForTarget(e, commands);
    for (const [name, party] of [
      ['Bob (transferor)', bob],
      ['Alice (transferee)', alice],
    ] as const) {
      t.like(await callInTransfer(e, party.uuid), { phase: 'in_transfer', bridgedTo: undefined }, name);
    }
    await press(e, bob.uuid, '*1');
    t.is((await transferResult(e, bob, alice)).outcome, 'taken_back');
    const aliceHeard = await signalledEvents(e.client.workflow.getHandle(callWorkflowId(alice.uuid)));
    t.false(aliceHeard.includes(`CHANNEL_UNBRIDGE from ${bob.uuid}`), aliceHeard.join(', '));
    await hangUp(e, alice.uuid);
  },
);
