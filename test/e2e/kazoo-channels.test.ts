// Kazoo's channel API over live calls (applications/crossbar/doc/channels.md): the account's list with Kazoo's keys,
// a user's and a device's channels, one channel's detail, and the system-wide list for a top-level account. The legs
// carry the ecallmgr_* variables a Kazoo cluster sets; everything is read through the real ingest, store and API.
import anyTest from 'ava';
import { request, tokenFor, useEngineWithApi } from '../support/api.ts';
import { hangUp, placeCall } from '../support/engine.ts';
import { eventually } from '../support/poll.ts';

const test = useEngineWithApi(anyTest, 'kazoo-channels');

const USER = '72855158432d790dfb22d03ff64c033e';
const DEVICE = '63fbb9ac78e11f3ccb387928a423798a';

/** Kazoo's list keys, as channels.md documents them. */
const LIST_KEYS = [
  'answered',
  'authorizing_id',
  'authorizing_type',
  'destination',
  'direction',
  'other_leg',
  'owner_id',
  'presence_id',
  'timestamp',
  'username',
  'uuid',
];

type Channel = Record<string, unknown>;

test.serial("the account, user and device lists carry Kazoo's keys; the detail adds to_api_props", async (t) => {
  const { e } = t.context;
  const account = e.demo.accountId;
  const { alice, bob } = await placeCall(e, {
    aliceVars: {
      'ecallmgr_Owner-ID': USER,
      'ecallmgr_Authorizing-ID': DEVICE,
      'ecallmgr_Authorizing-Type': 'device',
      ecallmgr_Username: 'user_zu0bf7',
      ecallmgr_Realm: 'account.realm.com',
      'ecallmgr_Account-Billing': 'flat_rate',
      presence_id: 'user_zu0bf7@account.realm.com',
    },
  });
  t.teardown(() => hangUp(e, alice.uuid).catch(() => undefined));

  // The ingest writes the projection as the events come.
  const listed = await eventually("Alice's channel listed with her owner and Bob", async () => {
    const res = await request(t.context, 'GET', `/accounts/${account}/channels`);
    const mine = (res.body.data as Channel[]).find((c) => c.uuid === alice.uuid);
    return mine?.owner_id && mine.other_leg === bob.uuid ? { res, mine } : undefined;
  });
  t.is(listed.res.status, 200);
  for (const key of LIST_KEYS) t.true(key in listed.mine, key);
  t.like(listed.mine, {
    uuid: alice.uuid,
    answered: true,
    authorizing_id: DEVICE,
    authorizing_type: 'device',
    owner_id: USER,
    presence_id: 'user_zu0bf7@account.realm.com',
    username: 'user_zu0bf7',
    destination: '2600',
    other_leg: bob.uuid,
  });
  t.true(Number.isInteger(listed.mine.timestamp) && (listed.mine.timestamp as number) > 63_000_000_000);

  const user = await request(t.context, 'GET', `/accounts/${account}/users/${USER}/channels`);
  t.is(user.status, 200);
  t.deepEqual(
    (user.body.data as Channel[]).map((c) => c.uuid),
    [alice.uuid],
  );
  const device = await request(t.context, 'GET', `/accounts/${account}/devices/${DEVICE}/channels`);
  t.deepEqual(
    (device.body.data as Channel[]).map((c) => c.uuid),
    [alice.uuid],
  );
  const nobody = await request(t.context, 'GET', `/accounts/${account}/users/${'0'.repeat(32)}/channels`);
  t.deepEqual(nobody.body.data, []);

  const one = await request(t.context, 'GET', `/accounts/${account}/channels/${alice.uuid}`);
  t.is(one.status, 200);
  t.like(one.body.data as Channel, {
    call_id: alice.uuid,
    other_leg_call_id: bob.uuid,
    owner_id: USER,
    authorizing_id: DEVICE,
    authorizing_type: 'device',
    username: 'user_zu0bf7',
    presence_id: 'user_zu0bf7@account.realm.com',
    destination: '2600',
    account_billing: 'flat_rate',
    custom_channel_vars: { 'Owner-ID': USER, Realm: 'account.realm.com', 'Account-Billing': 'flat_rate' },
  });
  // cb_channels deletes these from what ecallmgr gives it.
  for (const key of ['account_id', 'node', 'realm', 'profile', 'context', 'dialplan', 'switch_url', 'media_node']) {
    t.false(key in (one.body.data as Channel), key);
  }

  // GET /v2/channels: a top-level account's token lists its whole tree; a child account's token is refused.
  const all = await fetch(`${t.context.url}/v2/channels`, { headers: { 'X-Auth-Token': t.context.token } });
  t.is(all.status, 200);
  const uuids = ((await all.json()) as { data: Channel[] }).data.map((c) => c.uuid);
  t.true(uuids.includes(alice.uuid) && uuids.includes(bob.uuid));
  const child = await e.store.createAccount({ name: 'Child of demo', parentId: account });
  const childToken = await tokenFor(t.context.url, (await e.store.createApiKey(child.id)).key);
  const refused = await fetch(`${t.context.url}/v2/channels`, { headers: { 'X-Auth-Token': childToken } });
  t.is(refused.status, 403);
  // And its own account list does not show its parent's calls.
  const childList = await request({ url: t.context.url, token: childToken }, 'GET', `/accounts/${child.id}/channels`);
  t.deepEqual(childList.body.data, []);
});
