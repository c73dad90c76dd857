// Transfers started over HTTP, as a mobile app does: a token for the account, then
// POST /v2/accounts/{A}/channels/{CALL_ID} — through the real API, engine, workers and switch.
import anyTest from 'ava';
import { transferWorkflowId } from '../../contracts/ids.ts';
import { request, useEngineWithApi, type EngineWithApi } from '../support/api.ts';
import { hangUp, placeCall, waitFor } from '../support/engine.ts';

const test = useEngineWithApi(anyTest, 'api');

function post(ctx: EngineWithApi, callId: string, data: Record<string, unknown>) {
  return request(ctx, 'POST', `/accounts/${ctx.e.demo.accountId}/channels/${callId}`, data);
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
