// Authentication: API keys for tokens, token sources, and every way a token can be bad (forged, expired, revoked).
import { SignJWT, decodeJwt } from 'jose';
import test from 'ava';
import { JWT_SECRET, startHarness } from './support/server.ts';

const key = new TextEncoder().encode(JWT_SECRET);

function sign(claims: Record<string, unknown>, opts: { exp?: number; secret?: Uint8Array; iss?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(opts.iss ?? 'handoff')
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 600)
    .sign(opts.secret ?? key);
}

test('PUT /v2/api_auth: 201, a JWT in auth_token with account_id, jti and a 3600 s expiry', async (t) => {
  const h = await startHarness(t);
  const res = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.child } } });
  t.is(res.status, 201);
  t.like(res.body, { status: 'success', data: { account_id: 'child', account_name: 'Child' } });
  const claims = decodeJwt(res.body.auth_token ?? '');
  t.is(claims.account_id, 'child');
  t.is(typeof claims.jti, 'string');
  t.is((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
  t.is((res.body.data as { expires_in_s: number }).expires_in_s <= 3600, true);
});

test('PUT /v2/api_auth: missing or empty key 401, unknown key 404 naming it (Kazoo), wrong type 400', async (t) => {
  const h = await startHarness(t);
  for (const body of [undefined, {}, { data: {} }, { data: { api_key: '' } }]) {
    const res = await h.call('PUT', '/v2/api_auth', { body });
    t.is(res.status, 401, JSON.stringify(body));
    t.is(res.body.message, 'invalid_credentials');
  }
  const unknown = 'f'.repeat(64);
  const res = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: unknown } } });
  // cb_api_auth: crossbar_util:response_bad_identifier(ApiKey, Context).
  t.is(res.status, 404);
  t.like(res.body, { status: 'error', error: '404', message: 'bad identifier', data: [unknown], auth_token: '' });
  const typed = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: 42 } } });
  t.is(typed.status, 400);
  t.deepEqual(Object.keys(typed.body.data as object), ['api_key']);
});

test('a revoked API key no longer gets tokens', async (t) => {
  const h = await startHarness(t);
  await h.store.revokeApiKey(h.keys.sibling);
  const res = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.sibling } } });
  t.is(res.status, 404);
});

test('tokens are read from X-Auth-Token and from Authorization: Bearer', async (t) => {
  const h = await startHarness(t);
  t.is((await h.call('GET', '/v2/accounts/child', { token: h.tokens.child })).status, 200);
  t.is((await h.call('GET', '/v2/accounts/child', { bearer: h.tokens.child })).status, 200);
  const lower = await h.call('GET', '/v2/accounts/child', { headers: { authorization: `bearer ${h.tokens.child}` } });
  t.is(lower.status, 200);
  // A token sent as Basic credentials is no account ID and key.
  const basic = await h.call('GET', '/v2/accounts/child', { headers: { Authorization: `Basic ${h.tokens.child}` } });
  t.is(basic.status, 401);
});

test('GET /v2/token_auth describes the token; without one, 401', async (t) => {
  const h = await startHarness(t);
  const res = await h.call('GET', '/v2/token_auth', { token: h.tokens.grandchild });
  t.is(res.status, 200);
  t.like(res.body, { data: { account_id: 'grandchild', account_name: 'Grandchild' }, auth_token: h.tokens.grandchild });
  t.is((await h.call('GET', '/v2/token_auth')).status, 401);
});

test('forged tokens get 401: wrong secret, tampered payload, alg none, wrong issuer, garbage', async (t) => {
  const h = await startHarness(t);
  const wrongSecret = await sign(
    { account_id: 'root' },
    { secret: new TextEncoder().encode('another-secret-another-secret-000') },
  );
  const [header, , signature] = h.tokens.child.split('.');
  const payload = Buffer.from(JSON.stringify({ ...decodeJwt(h.tokens.child), account_id: 'root' })).toString(
    'base64url',
  );
  const tampered = `${header}.${payload}.${signature}`;
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
  const rootKey = (await h.store.listApiKeys('root'))[0]?.id;
  const strangerKey = (await h.store.listApiKeys('stranger'))[0]?.id;
  const wrongIssuer = await sign({ account_id: 'root', key_id: rootKey }, { iss: 'kazoo' });
  const noAccount = await sign({ key_id: rootKey });
  // Well signed, but naming no key, an unknown key, or another account's key.
  const noKey = await sign({ account_id: 'root' });
  const unknownKey = await sign({ account_id: 'root', key_id: 'nokey' });
  const othersKey = await sign({ account_id: 'root', key_id: strangerKey });
  for (const token of [
    wrongSecret,
    tampered,
    none,
    wrongIssuer,
    noAccount,
    noKey,
    unknownKey,
    othersKey,
    'garbage',
    'a.b.c',
    'x'.repeat(5000),
  ]) {
    const res = await h.call('GET', '/v2/accounts/root', { token });
    t.is(res.status, 401, token.slice(0, 40));
    t.is(res.body.message, 'invalid_credentials');
  }
  // The real thing, signed with the server's secret, works (so the cases above fail for the right reason).
  const real = await sign({ account_id: 'root', key_id: rootKey });
  t.is((await h.call('GET', '/v2/accounts/root', { token: real })).status, 200);
});

test('expired tokens get 401', async (t) => {
  const h = await startHarness(t);
  const keyId = (await h.store.listApiKeys('root'))[0]?.id;
  const expired = await sign({ account_id: 'root', key_id: keyId }, { exp: Math.floor(Date.now() / 1000) - 10 });
  t.is((await h.call('GET', '/v2/accounts/root', { token: expired })).status, 401);
});

test('a short TOKEN_TTL_S is honoured', async (t) => {
  const h = await startHarness(t, { tokenTtlS: 1 });
  const res = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.root } } });
  const token = res.body.auth_token ?? '';
  // The token says it lives 1 s (read from its claims, not timed: a loaded machine may take longer than that to ask).
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    iat: number;
    exp: number;
  };
  t.is(claims.exp - claims.iat, 1);
  // Once past its expiry it is refused.
  const wait = claims.exp * 1000 + 1100 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  t.is((await h.call('GET', '/v2/token_auth', { token })).status, 401);
});

test('DELETE /v2/token_auth revokes the presented token, and only that one', async (t) => {
  const h = await startHarness(t);
  const second = (await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.root } } })).body.auth_token;
  const res = await h.call('DELETE', '/v2/token_auth', { token: h.tokens.root });
  t.is(res.status, 200);
  t.deepEqual(res.body.data, {});
  t.is((await h.call('GET', '/v2/accounts/root', { token: h.tokens.root })).status, 401);
  t.is((await h.call('DELETE', '/v2/token_auth', { token: h.tokens.root })).status, 401);
  t.is((await h.call('GET', '/v2/accounts/root', { token: second })).status, 200);
});
