// A metaflows document as Kazoo stores it (its validation writes transfer_type "blind" and captures ["no_match"]
// into every transfer), posted through the API, then pressed on a live call: the transfer consults the target as
// Konami's does; a blind transfer by feature code is the module blind_transfer. What the callers get is read from ESL.
import anyTest from 'ava';
import { request, useEngineWithApi, type EngineWithApi } from '../support/api.ts';
import { placeCall, waitFor } from '../support/engine.ts';
import { transferWorkflowId } from '../../contracts/ids.ts';
import { commandsFrom, completedByHangup, consulting, transferByDigits, transferResult } from '../support/scenario.ts';

const test = useEngineWithApi(anyTest, 'kazoo-metaflows');

/** As Kazoo's crossbar saves it (metaflows.transfer.json's defaults written in), with monster-ui's extra keys. */
const KAZOO_DOC = {
  binding_digit: '*',
  digit_timeout: 800,
  listen_on: 'self',
  ui_metadata: { origin: 'callflows', version: '4.3.0' },
  numbers: { '1': { module: 'resume', data: {} } },
  patterns: {
    '^2(\\d+)$': { module: 'transfer', data: { transfer_type: 'blind', captures: ['no_match'] }, children: {} },
    '^3(\\d+)$': { module: 'blind_transfer', data: {} },
    '^4(\\d+)$': { module: 'move', data: { device_id: '63fbb9ac78e11f3ccb387928a423798a' } },
  },
};

test.serial(
  'Kazoo\'s transfer_type "blind" is ignored as Konami ignores it: *2 consults; blind_transfer is blind',
  async (t) => {
    const { e } = t.context;
    const posted = await request(t.context, 'POST', `/accounts/${e.demo.accountId}/metaflows`, KAZOO_DOC);
    t.is(posted.status, 200, JSON.stringify(posted.body));
    t.deepEqual(posted.body.data, KAZOO_DOC);
    const handoff = posted.body.handoff as {
      inactive_entries: Record<string, string>;
      ignored: Record<string, string>;
    };
    t.deepEqual(Object.keys(handoff.inactive_entries), ['patterns.^4(\\d+)$']);
    t.truthy(handoff.ignored['patterns.^2(\\d+)$.data.transfer_type']);

    // *22600: attended, whatever the stored transfer_type says. Alice consults Carol while Bob hears music.
    const first = await placeCall(e);
    const commands = commandsFrom(e);
    const carol = await transferByDigits(e, first.alice, '*22600', commands);
    await consulting(t, e, first.alice, first.bob, carol);
    await completedByHangup(t, e, first.alice, first.bob, carol);
    const attended = await transferResult(e, first.alice, first.bob);
    t.is(attended.type, 'attended');
    t.is(attended.outcome, 'completed');

    // *32601: blind_transfer. Alice is released at once; Bob gets the target.
    const second = await placeCall(e);
    await transferByDigits(e, second.alice, '*32601', commandsFrom(e));
    const blind = await transferResult(e, second.alice, second.bob);
    t.is(blind.type, 'blind');
    t.is(blind.outcome, 'completed_blind');
  },
);

/** `PUT /v2/accounts/{A}/channels/{CALL_ID}` as a client sends it, the body as is. */
async function put(ctx: EngineWithApi, callId: string, body: string) {
  const res = await fetch(`${ctx.url}/v2/accounts/${ctx.e.demo.accountId}/channels/${callId}`, {
    method: 'PUT',
    headers: { 'X-Auth-Token': ctx.token, 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test.serial(
  'the metaflow channel action runs transfer, then resume, on a live call, answering as the POST does',
  async (t) => {
    const { e } = t.context;
    const { alice, bob } = await placeCall(e);
    const started = await put(
      t.context,
      alice.uuid,
      '{"data":{"action":"metaflow","data":{"module":"transfer","data":{"target":"2600"}}}}',
    );
    t.is(started.status, 200, JSON.stringify(started.body));
    t.is(started.body.data, 'metaflow sent');
    t.like(started.body.handoff, { transferor: alice.uuid, transferee: bob.uuid, target: '2600' });
    // Alice consults the target.
    await waitFor(
      e,
      (ev) =>
        ev.name === 'CHANNEL_BRIDGE' &&
        ev.headers['Unique-ID'] === alice.uuid &&
        ev.headers['Other-Leg-Unique-ID'] !== bob.uuid,
    );
    // A second transfer on the pair is refused as the POST refuses it.
    const again = await put(
      t.context,
      alice.uuid,
      '{"action":"metaflow","data":{"module":"transfer","data":{"target":"2601"}}}',
    );
    t.is(again.status, 409, JSON.stringify(again.body));
    const resumed = await put(t.context, alice.uuid, '{"action":"metaflow","data":{"module":"resume"}}');
    t.is(resumed.status, 200, JSON.stringify(resumed.body));
    t.is(resumed.body.data, 'metaflow sent');
    const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
    t.is(summary.outcome, 'taken_back');
    t.is(await e.phones.api(`uuid_getvar ${alice.uuid} bridge_uuid`), bob.uuid);
    // Kazoo's PUT example hangs the call up.
    const hungUp = await put(t.context, alice.uuid, '{"action":"metaflow", "data": {"data": { "module": "hangup" }}}');
    t.is(hungUp.status, 200, JSON.stringify(hungUp.body));
    await waitFor(e, (ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === alice.uuid);
  },
);
