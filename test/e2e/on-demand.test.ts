// Call workflows on demand (CALL_WORKFLOWS=on_demand): a plain call starts no workflow at all; a leg's call workflow
// starts at the first binding digit of its metaflows while it is bridged (its peer's with it), or at a REST request.
// Everything a caller hears is read from ESL events; whether a leg has a call workflow, from Temporal.
import anyTest, { type ExecutionContext } from 'ava';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { callWorkflowId } from '../../contracts/ids.ts';
import { workflowExists } from '../support/history.ts';
import { request, useEngineWithApi, type EngineWithApi } from '../support/api.ts';
import { hangUp, placeCall, press, type Engine, type Party } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  completedByHangup,
  consulting,
  eventOn,
  expectHearing,
  peer,
  silence,
  transferByDigits,
  takenBack,
  transferResult,
  waitForTarget,
} from '../support/scenario.ts';
import { eventually } from '../support/poll.ts';

const test = useEngineWithApi(anyTest, 'on-demand', { CALL_WORKFLOWS: 'on_demand' });
type T = ExecutionContext<EngineWithApi>;

/** Whether the leg has (or had) a call workflow: its ID is the leg's. */
const hasCallWorkflow = (e: Engine, leg: string) => workflowExists(e.client, callWorkflowId(leg));

/** Alice calls Bob; once the ingest has taken every event of the call in, neither leg has a call workflow. */
async function callWithoutWorkflows(t: T): Promise<{ alice: Party; bob: Party }> {
  const { e } = t.context;
  const call = await placeCall(e);
  await e.nodeWorker!.ingest.idle();
  t.false(await hasCallWorkflow(e, call.alice.uuid), 'no call workflow for Alice before a feature is used');
  t.false(await hasCallWorkflow(e, call.bob.uuid), 'no call workflow for Bob before a feature is used');
  return call;
}

async function hangUpCall(e: Engine, a: Party, b: Party | string): Promise<void> {
  await hangUp(e, a.uuid);
  await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', typeof b === 'string' ? b : b.uuid);
}

function post(ctx: EngineWithApi, callId: string, data: Record<string, unknown>) {
  return request(ctx, 'POST', `/accounts/${ctx.e.demo.accountId}/channels/${callId}`, data);
}

/** The API shows the leg bridged to `to` (the channel projection has caught up with the switch), as a client sees it. */
async function apiShowsBridged(t: T, leg: string, to: string): Promise<void> {
  let res: unknown;
  await eventually(
    () => `the API to show ${leg} bridged to ${to} (last answer: ${JSON.stringify(res)})`,
    async () => {
      const answer = await request(t.context, 'GET', `/accounts/${t.context.e.demo.accountId}/channels/${leg}`);
      res = answer;
      return (answer.body.data as { other_leg_call_id?: string } | undefined)?.other_leg_call_id === to || undefined;
    },
    { timeoutMs: 10_000, everyMs: 50 },
  );
}

test.serial('a plain call starts no call workflow, not even for a key press that begins no code', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await placeCall(e);
  await press(e, alice.uuid, '5');
  await hangUpCall(e, alice, bob);
  await e.nodeWorker!.ingest.idle();
  t.false(await hasCallWorkflow(e, alice.uuid), "Alice's leg has no call workflow");
  t.false(await hasCallWorkflow(e, bob.uuid), "Bob's leg has no call workflow");
});

test.serial('an attended transfer by *22600 starts both parties’ workflows and completes', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await callWithoutWorkflows(t);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await consulting(t, e, alice, bob, carol);
  await completedByHangup(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).outcome, 'completed');
  t.true(await hasCallWorkflow(e, alice.uuid));
  t.true(await hasCallWorkflow(e, bob.uuid));
  // Bob's workflow started from his state alone (Alice's key press started it): every signal it got said something.
  const bobHistory = (await e.client.workflow.getHandle(callWorkflowId(bob.uuid)).fetchHistory()).events ?? [];
  const empty = bobHistory.filter((ev) => {
    const signal = ev.workflowExecutionSignaledEventAttributes;
    const payload = signal?.signalName === 'channelEvents' ? signal.input?.payloads?.[0] : undefined;
    return payload && defaultPayloadConverter.fromPayload<unknown[]>(payload as Payload).length === 0;
  });
  t.is(empty.length, 0, 'no empty channelEvents signal');
  await hangUpCall(e, { uuid: carol, number: '' }, bob);
});

test.serial('the takeback *1 during the consultation gives Alice back to Bob', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await callWithoutWorkflows(t);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600', commands);
  await consulting(t, e, alice, bob, carol);
  await takenBack(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).outcome, 'taken_back');
  await hangUpCall(e, alice, bob);
});

test.serial('a busy target: Alice and Bob talk again', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await callWithoutWorkflows(t);
  const commands = commandsFrom(e);
  await transferByDigits(e, alice, '*22603', commands);
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'reconnected', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
  ]);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'target_failed');
  t.is(summary.reason, 'USER_BUSY');
  await hangUpCall(e, alice, bob);
});

test.serial('a REST transfer on a call without workflows: consultation, then completion', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await placeCall(e);
  await apiShowsBridged(t, alice.uuid, bob.uuid);
  t.false(await hasCallWorkflow(e, alice.uuid), 'no call workflow before the request');
  const commands = commandsFrom(e);
  const res = await post(t.context, alice.uuid, { action: 'transfer', target: '2600' });
  t.is(res.status, 200, JSON.stringify(res.body));
  const carol = await waitForTarget(e, commands);
  await consulting(t, e, alice, bob, carol);
  await completedByHangup(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).outcome, 'completed');
  await hangUpCall(e, { uuid: carol, number: '' }, bob);
});

test.serial('a REST hold on a leg with no workflow yet: Bob hears music, and unhold gives him back', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await placeCall(e);
  await apiShowsBridged(t, alice.uuid, bob.uuid);
  t.false(await hasCallWorkflow(e, alice.uuid), 'no call workflow before the request');
  const held = await post(t.context, alice.uuid, { action: 'hold' });
  t.is(held.status, 200, JSON.stringify(held.body));
  await expectHearing(t, e, 'held', [
    ['Alice', alice.uuid, silence],
    ['Bob', bob.uuid, { kind: 'stream', stream: 'local_stream://moh' }],
  ]);
  const unheld = await post(t.context, alice.uuid, { action: 'unhold' });
  t.is(unheld.status, 200, JSON.stringify(unheld.body));
  await expectHearing(t, e, 'unheld', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
  ]);
  await hangUpCall(e, alice, bob);
  // Alice's workflow heard her hangup (the hold marked her leg): it ended with the call.
  const summary = (await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).result()) as { phase: string };
  t.is(summary.phase, 'ended');
});
