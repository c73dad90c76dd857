// Transfers started over HTTP, as a mobile app does: a token for the account, then
// POST /v2/accounts/{A}/channels/{CALL_ID} — through the real API, engine, workers and switch.
import anyTest from 'ava';
import crypto from 'node:crypto';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal } from '../../contracts/messages.ts';
import { NODE } from '../../contracts/search-attributes.ts';
import { request, useEngineWithApi, type EngineWithApi } from '../support/api.ts';
import { hangUp, placeCall, press, waitFor } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  expectHearing,
  expectMembers,
  inConference,
  originates as originatesIn,
  peer,
  silence,
  sleep,
  transferPhase,
  waitForPhase,
} from '../support/scenario.ts';
import { threeWayConference } from '../../contracts/ids.ts';

const test = useEngineWithApi(anyTest, 'api');

function post(ctx: EngineWithApi, callId: string, data: Record<string, unknown>, idempotencyKey?: string) {
  const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
  return request(ctx, 'POST', `/accounts/${ctx.e.demo.accountId}/channels/${callId}`, data, headers);
}

test.serial('POST transfer: accepted, consult, then completion when the transferor hangs up', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await placeCall(e);
  const res = await post(t.context, alice.uuid, { action: 'transfer', target: '2600', takeback_dtmf: '*1' });
  t.is(res.status, 200, JSON.stringify(res.body));
  const consult = await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === alice.uuid &&
      ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
  );
  // A second request on the same pair while the first runs is a conflict.
  const again = await post(t.context, bob.uuid, { action: 'transfer', target: '2601' });
  t.is(again.status, 409, JSON.stringify(again.body));
  await hangUp(e, alice.uuid);
  const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
  t.is(summary.outcome, 'completed');
  t.is(summary.targetLeg, consult.headers['Other-Leg-Unique-ID']);
});

test.serial('POST cancel_transfer during the consultation gives the transferor back to the transferee', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await placeCall(e);
  t.is((await post(t.context, alice.uuid, { action: 'transfer', target: '2600' })).status, 200);
  await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === alice.uuid &&
      ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
  );
  const cancel = await post(t.context, alice.uuid, { action: 'cancel_transfer' });
  t.is(cancel.status, 200, JSON.stringify(cancel.body));
  const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
  t.is(summary.outcome, 'taken_back');
  t.is(await e.phones.api(`uuid_getvar ${alice.uuid} bridge_uuid`), bob.uuid);
});

test.serial('POST a blind transfer: the transferor is released at once, the transferee gets the target', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await placeCall(e);
  const res = await post(t.context, alice.uuid, { action: 'transfer', target: '2604', transfer_type: 'blind' });
  t.is(res.status, 200, JSON.stringify(res.body));
  await waitFor(e, (ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === alice.uuid);
  const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
  t.is(summary.outcome, 'completed_blind');
  t.is(await e.phones.api(`uuid_getvar ${bob.uuid} bridge_uuid`), summary.targetLeg);
});

test.serial('POST refusals tell the truth: a bad target is 400 naming the field, an unknown call 404', async (t) => {
  const { e } = t.context;
  const { alice } = await placeCall(e);
  const bad = await post(t.context, alice.uuid, { action: 'transfer', target: '2600,&park()' });
  t.is(bad.status, 400);
  t.truthy((bad.body.data as Record<string, unknown>)['target']);
  const unknown = await post(t.context, '00000000-0000-4000-8000-000000000000', { action: 'transfer', target: '2600' });
  t.is(unknown.status, 404);
});

test.serial(
  'a POST retried with the same Idempotency-Key starts one transfer, also after the call continued as new',
  async (t) => {
    const { e } = t.context;
    // Alice's call workflow continues as new every few events, as a long call does every EVENTS_PER_RUN.
    const aliceUuid = crypto.randomUUID();
    await e.client.workflow.signalWithStart('callWorkflow', {
      workflowId: callWorkflowId(aliceUuid),
      taskQueue: e.config.WORKFLOW_TASK_QUEUE,
      args: [{ callId: aliceUuid, node: e.node.name, eventsPerRun: 4 }],
      signal: channelEventsSignal,
      signalArgs: [[]],
      typedSearchAttributes: [{ key: NODE, value: e.node.name }],
    });
    const { alice, bob } = await placeCall(e, { uuids: { alice: aliceUuid } });
    const originates = commandsFrom(e);
    const key = crypto.randomUUID();
    const first = await post(t.context, alice.uuid, { action: 'transfer', target: '2600' }, key);
    t.is(first.status, 200, JSON.stringify(first.body));
    const transferId = (first.body.handoff as { transfer_id: string }).transfer_id;
    // The response was lost; the app sends it again.
    const again = await post(t.context, alice.uuid, { action: 'transfer', target: '2600' }, key);
    t.is(again.status, 200, JSON.stringify(again.body));
    t.deepEqual(again.body.handoff, first.body.handoff, 'the first answer');
    // The same key for another request is refused.
    const other = await post(t.context, alice.uuid, { action: 'transfer', target: '2601' }, key);
    t.is(other.status, 409, JSON.stringify(other.body));
    t.truthy((other.body.data as Record<string, unknown>)['Idempotency-Key'], 'refused as a reused key');
    // The transfer is taken back; the call's next events roll it over to a new run.
    const run = (await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).describe()).runId;
    t.is((await post(t.context, alice.uuid, { action: 'cancel_transfer' })).status, 200);
    t.is((await e.client.workflow.getHandle(transferId).result()).outcome, 'taken_back');
    await press(e, alice.uuid, '5'); // one more event, after the transfer has ended
    const until = Date.now() + 15_000;
    while ((await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).describe()).runId === run) {
      if (Date.now() > until) throw new Error('the call did not continue as new');
      await sleep(200);
    }
    // A late retry of the first request: the same answer, and no second transfer.
    const late = await post(t.context, alice.uuid, { action: 'transfer', target: '2600' }, key);
    t.is(late.status, 200, JSON.stringify(late.body));
    t.deepEqual(late.body.handoff, first.body.handoff);
    await sleep(1000);
    t.is(originatesIn(originates()).length, 1, 'the target was dialled once');
    t.is((await e.client.workflow.getHandle(transferId).describe()).status.name, 'COMPLETED', 'no new transfer run');
    await hangUp(e, alice.uuid);
    await hangUp(e, bob.uuid);
  },
);

test.serial('POST three_way, then swap is ignored in it, then hold and unhold after the transfer', async (t) => {
  const { e } = t.context;
  const { alice, bob } = await placeCall(e);
  // Not a transferor yet: 409.
  t.is((await post(t.context, alice.uuid, { action: 'three_way' })).status, 409);
  t.is((await post(t.context, alice.uuid, { action: 'transfer', target: '2600' })).status, 200);
  const consult = await waitFor(
    e,
    (ev) =>
      ev.name === 'CHANNEL_BRIDGE' &&
      ev.headers['Unique-ID'] === alice.uuid &&
      ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
  );
  const carol = consult.headers['Other-Leg-Unique-ID']!;
  await waitForPhase(e, alice, bob, 'consulting');
  // The transferee is not the transferor: 409.
  t.is((await post(t.context, bob.uuid, { action: 'three_way' })).status, 409);
  const res = await post(t.context, alice.uuid, { action: 'three_way' });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is((res.body as { data: string }).data, 'three_way initiated');
  const name = threeWayConference(carol);
  await expectMembers(t, e, 'three-way', name, [alice.uuid, bob.uuid, carol]);
  await expectHearing(t, e, 'three-way', [['Bob', bob.uuid, inConference(name, alice.uuid, carol)]]);
  await waitForPhase(e, alice, bob, 'three_way');
  // A swap does nothing in a three-way (only in the consultation): accepted, the three stay together.
  t.is((await post(t.context, alice.uuid, { action: 'swap' })).status, 200);
  await sleep(500);
  await expectMembers(t, e, 'still three', name, [alice.uuid, bob.uuid, carol]);
  t.is(await transferPhase(e, alice, bob), 'three_way');
  // The takeback drops Carol: Alice and Bob talk again.
  t.is((await post(t.context, alice.uuid, { action: 'cancel_transfer' })).status, 200);
  await bridgedTogether(e, alice.uuid, bob.uuid);
  const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
  t.is(summary.outcome, 'taken_back');
  // Hold over REST: Bob hears the hold music, Alice silence; unhold brings them back.
  const held = await post(t.context, alice.uuid, { action: 'hold' });
  t.is(held.status, 200, JSON.stringify(held.body));
  await expectHearing(t, e, 'held', [
    ['Alice', alice.uuid, silence],
    ['Bob', bob.uuid, { kind: 'stream', stream: 'local_stream://moh' }],
  ]);
  t.is((await post(t.context, alice.uuid, { action: 'unhold' })).status, 200);
  await expectHearing(t, e, 'unheld', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
  ]);
  await hangUp(e, alice.uuid);
});
