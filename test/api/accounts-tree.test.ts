// Authorization over a tree: root → child → grandchild, root → sibling, and a stranger. A token acts on its own account
// and every descendant; anything else is 403.
import test from 'ava';
import type { AccountName } from './support/server.ts';
import { startHarness } from './support/server.ts';

const CAN_SEE: Record<AccountName, AccountName[]> = {
  root: ['root', 'child', 'grandchild', 'sibling'],
  child: ['child', 'grandchild'],
  grandchild: ['grandchild'],
  sibling: ['sibling'],
  stranger: ['stranger'],
};
const ALL: AccountName[] = ['root', 'child', 'grandchild', 'sibling', 'stranger'];

test('tree authorization: every token against every account, on every account resource', async (t) => {
  const h = await startHarness(t);
  const resources = ['', '/children', '/descendants', '/channels', '/metaflows', '/users/u1/metaflows', '/media'];
  for (const who of ALL) {
    for (const target of ALL) {
      for (const resource of resources) {
        const res = await h.call('GET', `/v2/accounts/${target}${resource}`, { token: h.tokens[who] });
        const expected = CAN_SEE[who].includes(target) ? 200 : 403;
        t.is(res.status, expected, `${who} → ${target}${resource}`);
        if (expected === 403) t.like(res.body, { error: '403', message: 'forbidden', data: { message: 'forbidden' } });
      }
    }
  }
});

test('writes are refused the same way: a child cannot create under, or change, its parent or sibling', async (t) => {
  const h = await startHarness(t);
  const create = { data: { name: 'Intruder' } };
  for (const target of ['root', 'sibling', 'stranger'] as const) {
    t.is((await h.call('PUT', `/v2/accounts/${target}`, { token: h.tokens.child, body: create })).status, 403);
    t.is(
      (await h.call('POST', `/v2/accounts/${target}`, { token: h.tokens.child, body: { data: { name: 'x' } } })).status,
      403,
    );
    t.is(
      (await h.call('POST', `/v2/accounts/${target}/metaflows`, { token: h.tokens.child, body: { data: {} } })).status,
      403,
    );
    t.is((await h.call('PUT', `/v2/accounts/${target}/api_key`, { token: h.tokens.child })).status, 403);
  }
  t.is((await h.store.listAccounts()).length, 5);
});

test('an unknown account is 403, like any account outside the tree (no existence leak)', async (t) => {
  const h = await startHarness(t);
  for (const id of ['nope', '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21']) {
    t.is((await h.call('GET', `/v2/accounts/${id}`, { token: h.tokens.root })).status, 403);
  }
});

test('GET an account: Kazoo-style fields and its tree', async (t) => {
  const h = await startHarness(t);
  const res = await h.call('GET', '/v2/accounts/grandchild', { token: h.tokens.root });
  t.like(res.body.data, { id: 'grandchild', name: 'Grandchild', parent_id: 'child', tree: ['root', 'child'] });
});

test('PUT /v2/accounts/{A}: creates a child with a chosen Kazoo ID or a generated one; a taken ID is 400', async (t) => {
  const h = await startHarness(t);
  const kazooId = '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21';
  const chosen = await h.call('PUT', '/v2/accounts/child', {
    token: h.tokens.child,
    body: { data: { id: kazooId, name: 'Kazoo tenant' } },
  });
  t.is(chosen.status, 201);
  t.like(chosen.body.data, { id: kazooId, name: 'Kazoo tenant', parent_id: 'child', tree: ['root', 'child'] });

  const generated = await h.call('PUT', '/v2/accounts/child', {
    token: h.tokens.child,
    body: { data: { name: 'Gen' } },
  });
  t.is(generated.status, 201);
  t.regex((generated.body.data as { id: string }).id, /^[0-9a-f]{32}$/);

  const dup = await h.call('PUT', '/v2/accounts/root', {
    token: h.tokens.root,
    body: { data: { id: kazooId, name: 'X' } },
  });
  t.is(dup.status, 400);
  t.like(dup.body, {
    error: '400',
    message: 'validation error',
    data: {
      id: { unavailable: { message: 'this ID cannot be used: choose another, or leave id out to have one generated' } },
    },
  });

  // The creator's token now reaches the new child; the child's siblings' tokens do not.
  t.is((await h.call('GET', `/v2/accounts/${kazooId}`, { token: h.tokens.root })).status, 200);
  t.is((await h.call('GET', `/v2/accounts/${kazooId}`, { token: h.tokens.sibling })).status, 403);

  const children = await h.call('GET', '/v2/accounts/child/children', { token: h.tokens.child });
  t.deepEqual(
    (children.body.data as { id: string }[]).map((a) => a.id).sort(),
    ['grandchild', kazooId, (generated.body.data as { id: string }).id].sort(),
  );
  const below = await h.call('GET', '/v2/accounts/root/descendants', { token: h.tokens.root });
  t.is((below.body.data as unknown[]).length, 5);
});

test('PUT /v2/accounts/{A}: bad fields are 400 naming them', async (t) => {
  // Without MEDIA_URL_TEMPLATE a media ID no media record has plays nothing: an account's default must play.
  const h = await startHarness(t, { settings: { MEDIA_URL_TEMPLATE: '' } });
  const cases: [Record<string, unknown>, string][] = [
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(200) }, 'name'],
    [{ name: 'ok', id: 'has space' }, 'id'],
    [{ name: 'ok', id: '../etc' }, 'id'],
    [{ name: 'ok', id: 'x'.repeat(65) }, 'id'],
    [{ name: 'ok', music_on_hold: { media_id: 'bad id' } }, 'music_on_hold.media_id'],
    [{ name: 'ok', music_on_hold: { media_id: 'missing' } }, 'music_on_hold.media_id'],
    [{ name: 'ok', ringback: 'tone_stream://%(1,2,3);{evil}' }, 'ringback'],
  ];
  for (const [data, field] of cases) {
    const res = await h.call('PUT', '/v2/accounts/root', { token: h.tokens.root, body: { data } });
    t.is(res.status, 400, JSON.stringify(data));
    t.is(res.body.message, 'validation error');
    t.true(field in (res.body.data as object), `${JSON.stringify(data)} → ${JSON.stringify(res.body.data)}`);
  }
});

test('POST /v2/accounts/{A}: updates the name and media defaults (media of the account or an ancestor)', async (t) => {
  const h = await startHarness(t, { settings: { MEDIA_URL_TEMPLATE: '' } });
  await h.store.createMedia({ id: 'root-moh', accountId: 'root', name: 'Hold', streamUrl: 'local_stream://moh' });
  await h.store.createMedia({ id: 'sib-moh', accountId: 'sibling', name: 'Hold', streamUrl: 'local_stream://moh' });
  const ok = await h.call('POST', '/v2/accounts/child', {
    token: h.tokens.child,
    body: { data: { name: 'Renamed', music_on_hold: { media_id: 'root-moh' }, ringback: '%(1000,4000,425)' } },
  });
  t.is(ok.status, 200);
  t.like(ok.body.data, { name: 'Renamed', music_on_hold: { media_id: 'root-moh' }, ringback: '%(1000,4000,425)' });
  const sibling = await h.call('POST', '/v2/accounts/child', {
    token: h.tokens.child,
    body: { data: { music_on_hold: { media_id: 'sib-moh' } } },
  });
  t.is(sibling.status, 400);
  t.truthy((sibling.body.data as Record<string, unknown>)['music_on_hold.media_id']);
  const cleared = await h.call('POST', '/v2/accounts/child', {
    token: h.tokens.child,
    body: { data: { music_on_hold: { media_id: null }, ringback: null } },
  });
  t.deepEqual((cleared.body.data as { music_on_hold: unknown }).music_on_hold, {});
  t.false('ringback' in (cleared.body.data as object));
});

test('PUT /v2/accounts/{A}/api_key: a new key, shown once, replaces the account’s keys', async (t) => {
  const h = await startHarness(t);
  const res = await h.call('PUT', '/v2/accounts/child/api_key', { token: h.tokens.root });
  t.is(res.status, 201);
  const { api_key: apiKey } = res.body.data as { api_key: string };
  t.regex(apiKey, /^[0-9a-f]{64}$/);
  t.is((await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.child } } })).status, 404);
  const login = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: apiKey } } });
  t.is(login.status, 201);
  t.like(login.body.data, { account_id: 'child' });
});

test('media: register streams, list, read and delete your own; ancestors’ media are not yours to delete', async (t) => {
  const h = await startHarness(t);
  const created = await h.call('PUT', '/v2/accounts/root/media', {
    token: h.tokens.root,
    body: { data: { id: 'hold', name: 'Hold', stream_url: 'local_stream://moh' } },
  });
  t.is(created.status, 201);
  t.like(created.body.data, { id: 'hold', account_id: 'root', stream_url: 'local_stream://moh' });
  t.is(
    (
      await h.call('PUT', '/v2/accounts/root/media', {
        token: h.tokens.root,
        body: { data: { id: 'hold', name: 'x', stream_url: 'local_stream://a' } },
      })
    ).status,
    409,
  );
  for (const url of [
    '/etc/passwd',
    '/tmp/x.wav',
    'http://evil/x.mp3',
    'local_stream://moh two',
    'tone_stream://%(1,2,3)&x',
  ]) {
    const res = await h.call('PUT', '/v2/accounts/root/media', {
      token: h.tokens.root,
      body: { data: { name: 'x', stream_url: url } },
    });
    t.is(res.status, 400, url);
    t.truthy((res.body.data as Record<string, unknown>).stream_url, url);
  }
  const list = await h.call('GET', '/v2/accounts/root/media', { token: h.tokens.root });
  t.deepEqual(
    (list.body.data as { id: string }[]).map((m) => m.id),
    ['hold'],
  );
  t.is((await h.call('GET', '/v2/accounts/child/media/hold', { token: h.tokens.child })).status, 404);
  t.is((await h.call('DELETE', '/v2/accounts/child/media/hold', { token: h.tokens.child })).status, 404);
  const got = await h.call('GET', '/v2/accounts/root/media/hold', { token: h.tokens.root });
  t.like(got.body.data, { name: 'Hold' });
  t.is((await h.call('DELETE', '/v2/accounts/root/media/hold', { token: h.tokens.root })).status, 200);
  const gone = await h.call('GET', '/v2/accounts/root/media/hold', { token: h.tokens.root });
  t.like(gone.body, { error: '404', message: 'bad identifier', data: ['hold'] });
});
