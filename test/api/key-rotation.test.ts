// A token lives no longer than the API key that issued it: rotating or revoking the key revokes its tokens. And an
// account's key is rotated by an account above it or by the administrator, never by the account's own token.
import { decodeJwt } from 'jose';
import { runAdmin } from '../../api/admin.ts';
import { startHarness } from './support/server.ts';
import { bothEngines } from '../store/engines.ts';

bothEngines('rotating a key (PUT …/api_key by the parent) revokes every token the old key issued', async (t, store) => {
  const h = await startHarness(t, { store });
  const second = (await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.child } } })).body.auth_token;
  t.is((await h.call('GET', '/v2/accounts/child', { token: h.tokens.child })).status, 200);

  const rotated = await h.call('PUT', '/v2/accounts/child/api_key', { token: h.tokens.root });
  t.is(rotated.status, 201);
  for (const old of [h.tokens.child, second ?? '']) {
    const res = await h.call('GET', '/v2/accounts/child', { token: old });
    t.is(res.status, 401);
    t.is(res.body.message, 'invalid_credentials');
    t.is((await h.call('GET', '/v2/token_auth', { token: old })).status, 401);
  }
  // The new key's tokens work; the rotation touched no other account's tokens.
  const { api_key: fresh } = rotated.body.data as { api_key: string };
  const login = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: fresh } } });
  t.is((await h.call('GET', '/v2/accounts/child', { token: login.body.auth_token ?? '' })).status, 200);
  for (const other of ['root', 'grandchild', 'sibling'] as const) {
    t.is((await h.call('GET', `/v2/accounts/${other}`, { token: h.tokens[other] })).status, 200, other);
  }
  // A grandparent may rotate too.
  t.is((await h.call('PUT', '/v2/accounts/grandchild/api_key', { token: h.tokens.root })).status, 201);
  t.is((await h.call('GET', '/v2/accounts/grandchild', { token: h.tokens.grandchild })).status, 401);
});

bothEngines(
  'an account’s own token cannot rotate its key: 403, and the key and its tokens keep working',
  async (t, store) => {
    const h = await startHarness(t, { store });
    for (const who of ['root', 'child', 'stranger'] as const) {
      const res = await h.call('PUT', `/v2/accounts/${who}/api_key`, { token: h.tokens[who] });
      t.is(res.status, 403, who);
      t.like(res.body, { error: '403', message: 'forbidden' });
      t.is((await h.call('GET', `/v2/accounts/${who}`, { token: h.tokens[who] })).status, 200, who);
      const login = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys[who] } } });
      t.is(login.status, 201, who);
    }
  },
);

bothEngines(
  'tokens name the key that issued them; revoking that key (admin) revokes them, other keys’ tokens live on',
  async (t, store) => {
    const h = await startHarness(t, { store });
    const extra = await h.store.createApiKey('child', 'second device');
    const extraToken =
      (await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: extra.key } } })).body.auth_token ?? '';
    t.is(decodeJwt(extraToken).key_id, extra.id);

    t.is((await runAdmin(['keys', 'revoke', '--id', extra.id], h.store)).code, 0);
    t.is((await h.call('GET', '/v2/accounts/child', { token: extraToken })).status, 401);
    t.is((await h.call('GET', '/v2/accounts/child', { token: h.tokens.child })).status, 200);

    // The admin command rotates too: the account's keys are replaced, and their tokens die with them.
    const rotated = await runAdmin(['keys', 'rotate', '--account', 'child'], h.store);
    t.is(rotated.code, 0);
    t.like(rotated.output, { account_id: 'child' });
    t.is((await h.call('GET', '/v2/accounts/child', { token: h.tokens.child })).status, 401);
    t.deepEqual(
      (await h.store.listApiKeys('child')).map((k) => k.id),
      [(rotated.output as { id: string }).id],
    );
    t.is((await runAdmin(['keys', 'rotate', '--account', 'nope'], h.store)).code, 1);
  },
);
