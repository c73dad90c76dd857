// Requests sent exactly as Kazoo's documentation (applications/crossbar/doc/*.md: `curl -d`, which says
// application/x-www-form-urlencoded) and browser apps send them, answered as Kazoo's crossbar answers them
// (api_util.erl: CORS, content types, where tokens are read, method override; cb_api_auth.erl: the api_auth answer).
import test from 'ava';
import { startHarness } from './support/server.ts';
import { TransferRefusedError } from '../../api/engine-errors.ts';
import { withoutRequestId, type RecordedCall } from './support/recording-engine-double.ts';

/** curl's Content-Type for `-d`, which every example of Kazoo's documentation uses. */
const CURL_FORM = 'application/x-www-form-urlencoded';

/** What the API last asked the engine, without the request ID it derives. */
const lastAction = (h: { engine: { actions(): RecordedCall[] } }): RecordedCall | undefined => {
  const last = h.engine.actions().at(-1);
  return last && withoutRequestId(last);
};

test('api_auth exactly as api_authentication.md sends it: curl -d (form-urlencoded), Kazoo answer keys', async (t) => {
  const h = await startHarness(t);
  // `curl -v -X PUT -d '{"data": {"api_key":"{API_KEY}"} }' http://{SERVER}:8000/v2/api_auth`
  const res = await h.call('PUT', '/v2/api_auth', {
    body: `{"data": {"api_key":"${h.keys.child}"} }`,
    headers: { 'Content-Type': CURL_FORM },
  });
  t.is(res.status, 201);
  t.is(res.body.status, 'success');
  t.truthy(res.body.auth_token);
  const data = res.body.data as Record<string, unknown>;
  t.like(data, {
    account_id: 'child',
    account_name: 'Child',
    apps: [],
    is_reseller: false,
    is_master_account: false,
    reseller_id: 'root',
    language: 'en-US',
  });
  // No owner: an API key is the account's, not a user's (Kazoo leaves owner_id out then too).
  t.false('owner_id' in data);
  const top = await h.call('PUT', '/v2/api_auth', { body: `{"data":{"api_key":"${h.keys.root}"}}` });
  t.like(top.body.data, { account_id: 'root', is_master_account: true, is_reseller: true, reseller_id: 'root' });
});

test('no Content-Type at all: the body is read as JSON (Kazoo assumes application/json)', async (t) => {
  const h = await startHarness(t);
  const res = await fetch(`${h.url}/v2/api_auth`, {
    method: 'PUT',
    // A Blob without a type makes fetch send no Content-Type header.
    body: new Blob([JSON.stringify({ data: { api_key: h.keys.root } })]),
  });
  t.is(res.status, 201);
  const channels = await h.call('GET', '/v2/accounts/child/channels', {
    headers: { 'X-Auth-Token': h.tokens.child },
  });
  t.is(channels.status, 200);
});

test('tokens: X-Auth-Token, auth_token in the query string, Bearer, and Basic account ID:API key', async (t) => {
  const h = await startHarness(t);
  await h.addChannel({ callId: 'c1', accountId: 'child' });
  const list = '/v2/accounts/child/channels';
  t.is((await h.call('GET', list, { token: h.tokens.child })).status, 200);
  const query = await h.call('GET', `${list}?auth_token=${h.tokens.child}`);
  t.is(query.status, 200);
  t.is(query.body.auth_token, h.tokens.child);
  t.is((await h.call('GET', list, { bearer: h.tokens.child })).status, 200);
  const basic = Buffer.from(`child:${h.keys.child}`).toString('base64');
  const viaBasic = await h.call('GET', list, { headers: { Authorization: `Basic ${basic}` } });
  t.is(viaBasic.status, 200);
  t.deepEqual(
    (viaBasic.body.data as { uuid: string }[]).map((c) => c.uuid),
    ['c1'],
  );
  // The credentials are never echoed back.
  t.is(viaBasic.body.auth_token, '');
  // A parent's key reaches its descendants, as its tokens do.
  const parent = Buffer.from(`root:${h.keys.root}`).toString('base64');
  t.is((await h.call('GET', list, { headers: { Authorization: `Basic ${parent}` } })).status, 200);
  // X-Auth-Token wins over the query string (Kazoo's order).
  t.is((await h.call('GET', `${list}?auth_token=nonsense`, { token: h.tokens.child })).status, 200);
  // The query parameter never reaches the log.
  t.false(h.logText().includes(h.tokens.child));
});

test("Basic: a wrong key, another account's key, or a malformed value is 401; failures are throttled as logins", async (t) => {
  const h = await startHarness(t, { settings: { API_AUTH_MAX_FAILURES: 2 } });
  const list = '/v2/accounts/child/channels';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  for (const value of [
    b64(`child:${'0'.repeat(64)}`),
    b64(`child:${h.keys.sibling}`),
    b64('child'),
    b64(`:${h.keys.child}`),
  ]) {
    const res = await h.call('GET', list, { headers: { Authorization: `Basic ${value}` } });
    t.is(res.status, 401, value);
    t.like(res.body, { message: 'invalid_credentials' });
  }
  // Two counted failures (the malformed values try no key): the limit is reached, the right key is refused too.
  const right = await h.call('GET', list, { headers: { Authorization: `Basic ${b64(`child:${h.keys.child}`)}` } });
  t.is(right.status, 429);
  t.truthy(right.headers.get('retry-after'));
  t.is(h.logs().filter((l) => l.msg === 'basic auth failed').length, 2);
  t.false(h.logText().includes(h.keys.sibling));
  // token_auth describes or revokes a token: Basic credentials are no token.
  const other = await startHarness(t);
  const token = await other.call('GET', '/v2/token_auth', {
    headers: { Authorization: `Basic ${b64(`child:${other.keys.child}`)}` },
  });
  t.is(token.status, 401);
});

test("CORS preflight without a token: Kazoo's headers, the route's own methods; every answer then carries them", async (t) => {
  const h = await startHarness(t);
  await h.addChannel({ callId: 'c1', accountId: 'child' });
  const origin = 'http://monster-ui.example:3000';
  const preflight = await h.call('OPTIONS', '/v2/accounts/child/channels/c1', {
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type,x-auth-token',
    },
  });
  t.is(preflight.status, 204);
  t.is(preflight.headers.get('access-control-allow-origin'), '*');
  t.deepEqual(preflight.headers.get('access-control-allow-methods')?.split(',').sort(), [
    'GET',
    'OPTIONS',
    'POST',
    'PUT',
  ]);
  const allowed = preflight.headers.get('access-control-allow-headers')?.split(',') ?? [];
  for (const header of ['content-type', 'x-auth-token', 'authorization', 'x-http-method-override']) {
    t.true(allowed.includes(header), header);
  }
  t.is(preflight.headers.get('access-control-max-age'), '86400');

  const list = await h.call('OPTIONS', '/v2/accounts/child/channels', {
    headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
  });
  t.deepEqual(list.headers.get('access-control-allow-methods')?.split(',').sort(), ['GET', 'OPTIONS']);

  const ok = await h.call('GET', '/v2/accounts/child/channels', { token: h.tokens.child, headers: { Origin: origin } });
  t.is(ok.status, 200);
  t.is(ok.headers.get('access-control-allow-origin'), '*');
  t.true(ok.headers.get('access-control-expose-headers')?.split(',').includes('x-request-id'));
  // An error too: a browser app must be able to read why it was refused.
  const refused = await h.call('GET', '/v2/accounts/child/channels', { headers: { Origin: origin } });
  t.is(refused.status, 401);
  t.is(refused.headers.get('access-control-allow-origin'), '*');
  // Not a CORS request: no CORS headers (Kazoo adds them to CORS requests only), and OPTIONS needs no token.
  const plain = await h.call('OPTIONS', '/v2/accounts/child/channels');
  t.is(plain.status, 200);
  t.is(plain.headers.get('allow'), 'GET, OPTIONS');
  t.is(plain.headers.get('access-control-allow-origin'), null);
});

test('API_CORS_ORIGINS: only the listed origins are allowed', async (t) => {
  const h = await startHarness(t, { settings: { API_CORS_ORIGINS: ['https://ui.example.com'] } });
  const asked = (origin: string) =>
    h.call('OPTIONS', '/v2/api_auth', { headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' } });
  const good = await asked('https://ui.example.com');
  t.is(good.headers.get('access-control-allow-origin'), 'https://ui.example.com');
  t.true(good.headers.get('vary')?.includes('Origin'));
  const bad = await asked('https://evil.example.com');
  t.is(bad.headers.get('access-control-allow-origin'), null);
});

test('method override on a POST: ?verb= (Kazoo) and X-HTTP-Method-Override; never on a GET', async (t) => {
  const h = await startHarness(t);
  // PUT /v2/api_auth tunnelled through a POST.
  const login = await h.call('POST', '/v2/api_auth?verb=PUT', {
    body: { data: { api_key: h.keys.child } },
    headers: { 'Content-Type': CURL_FORM },
  });
  t.is(login.status, 201);
  const token = login.body.auth_token as string;
  const header = await h.call('POST', '/v2/api_auth', {
    body: { data: { api_key: h.keys.child } },
    headers: { 'X-HTTP-Method-Override': 'put' },
  });
  t.is(header.status, 201);
  // A GET with verb=DELETE stays a GET: the token is described, not revoked.
  const get = await h.call('GET', '/v2/token_auth?verb=DELETE', { token });
  t.is(get.status, 200);
  t.is((await h.call('GET', '/v2/token_auth', { token })).status, 200);
  // DELETE /v2/token_auth through a POST revokes it.
  const revoke = await h.call('POST', '/v2/token_auth?verb=delete', { token });
  t.is(revoke.status, 200);
  t.is((await h.call('GET', '/v2/token_auth', { token })).status, 401);
  const bogus = await h.call('POST', '/v2/api_auth?verb=FETCH', { body: { data: { api_key: h.keys.child } } });
  t.is(bogus.status, 400);
  t.regex(JSON.stringify(bogus.body.data), /"verb":\{"enum"/);
});

test('channels.md\'s transfer exactly as documented: "moh": "media_id" plays as Kazoo plays it, or the default', async (t) => {
  const h = await startHarness(t);
  await h.addChannel({ callId: 'alice', accountId: 'child', bridgedTo: 'bob' });
  h.engine.known.set('alice', { callId: 'alice', accountId: 'child' } as never);
  // `curl -X POST -d '{"data": {"action": "transfer", "target": "2600", "takeback_dtmf": "*1", "moh": "media_id" }}'`
  const documented = '{"data": {"action": "transfer", "target": "2600", "takeback_dtmf": "*1", "moh": "media_id" }}';
  const res = await h.call('POST', '/v2/accounts/child/channels/alice', {
    token: h.tokens.child,
    body: documented,
    headers: { 'Content-Type': CURL_FORM },
  });
  t.is(res.status, 200, res.text);
  t.is(res.body.data, 'transfer initiated');
  // A Kazoo media ID: the URL Kazoo's ecallmgr hands FreeSWITCH for the account's media (MEDIA_URL_TEMPLATE).
  t.like(res.body.handoff, {
    media: {
      moh: {
        media_id: 'media_id',
        plays: 'http_cache://http://127.0.0.1:5984/account%2Fchild/media_id/media_id',
        source: 'MEDIA_URL_TEMPLATE',
      },
    },
  });
  t.like(h.engine.actions()[0], {
    method: 'requestTransfer',
    ask: { target: '2600', takebackDtmf: '*1', moh: 'media_id' },
  });

  // The template off: the ID resolves nowhere, the account's default plays, and the answer says so.
  const off = await startHarness(t, { settings: { MEDIA_URL_TEMPLATE: '' } });
  await off.addChannel({ callId: 'alice', accountId: 'child', bridgedTo: 'bob' });
  off.engine.known.set('alice', { callId: 'alice', accountId: 'child' } as never);
  const fallback = await off.call('POST', '/v2/accounts/child/channels/alice', {
    token: off.tokens.child,
    body: documented,
    headers: { 'Content-Type': CURL_FORM },
  });
  t.is(fallback.status, 200, fallback.text);
  t.like(fallback.body.handoff, { media: { moh: { media_id: 'media_id', plays: "the account's default" } } });
  const ask = (off.engine.actions()[0] as unknown as { ask: Record<string, unknown> }).ask;
  t.false('moh' in ask);
});

test('PUT …/channels/{CALL_ID} action metaflow, in each form Kazoo documents: runs the module, answers "metaflow sent"', async (t) => {
  const h = await startHarness(t);
  await h.addChannel({ callId: 'alice', accountId: 'child', bridgedTo: 'bob' });
  await h.addChannel({ callId: 'bob', accountId: 'child', bridgedTo: 'alice' });
  for (const id of ['alice', 'bob']) h.engine.known.set(id, { callId: id, accountId: 'child' } as never);
  const put = (body: string) =>
    h.call('PUT', '/v2/accounts/child/channels/alice', {
      token: h.tokens.child,
      body,
      headers: { 'Content-Type': CURL_FORM },
    });

  // The issue's and in-house clients' form: action inside data, the metaflow in data.data.
  const transfer = await put('{"data":{"action":"metaflow","data":{"module":"transfer","data":{"target":"2600"}}}}');
  t.is(transfer.status, 200, transfer.text);
  t.is(transfer.body.data, 'metaflow sent');
  t.like(transfer.body.handoff, { transferor: 'alice', target: '2600', transfer_type: 'attended' });
  t.deepEqual(lastAction(h), { method: 'requestTransfer', callId: 'alice', ask: { target: '2600' } });

  // channels.md's form (top-level action, the metaflow in data): Transfer-Type is ignored (Konami), leg bleg makes
  // the other leg the transferor.
  const doc = await put(
    '{"data":{"module":"transfer","data":{"target":"2600","Transfer-Type":"blind","leg":"bleg"}},"action":"metaflow"}',
  );
  t.is(doc.status, 200, doc.text);
  t.like(doc.body.handoff, { transferor: 'bob' });
  t.regex(JSON.stringify(doc.body.handoff), /"ignored":\{"data\.Transfer-Type":"a metaflow transfer consults/);
  t.deepEqual(lastAction(h), { method: 'requestTransfer', callId: 'bob', ask: { target: '2600' } });

  const blind = await put('{"action":"metaflow","data":{"module":"blind_transfer","data":{"target":"2601"}}}');
  t.is(blind.status, 200, blind.text);
  t.deepEqual(lastAction(h), {
    method: 'requestTransfer',
    callId: 'alice',
    ask: { target: '2601', type: 'blind' },
  });

  // channels.md's PUT example: `{"action":"metaflow", "data": {"data": { "module": "hangup" }}}`.
  const hangup = await put('{"action":"metaflow", "data": {"data": { "module": "hangup" }}}');
  t.is(hangup.status, 200, hangup.text);
  t.is(hangup.body.data, 'metaflow sent');
  t.deepEqual(lastAction(h), { method: 'hangup', callId: 'alice' });

  const resume = await put('{"action":"metaflow","data":{"module":"resume"}}');
  t.is(resume.status, 200, resume.text);
  t.deepEqual(lastAction(h), { method: 'takeback', callId: 'alice' });
  // The same metaflow action through a POST (channels.md's transfer example is a POST).
  const posted = await h.call('POST', '/v2/accounts/child/channels/alice', {
    token: h.tokens.child,
    body: '{"data":{"module":"transfer","data":{"target":"2602"}},"action":"metaflow"}',
  });
  t.is(posted.status, 200, posted.text);
  t.deepEqual(lastAction(h), { method: 'requestTransfer', callId: 'alice', ask: { target: '2602' } });
  const actions = h.engine.actions().length;

  // Refusals: a module Handoff does not run on a call, one no schema knows, a transfer without a target, no action.
  const move = await put('{"action":"metaflow","data":{"module":"move","data":{"device_id":"d"}}}');
  t.is(move.status, 400);
  t.like(move.body, { message: 'invalid data' });
  t.truthy((move.body.data as Record<string, unknown>).module);
  const teleport = await put('{"action":"metaflow","data":{"module":"teleport"}}');
  t.is(teleport.status, 400);
  t.like(teleport.body.data, { module: { enum: { message: 'unable to find metaflow schema for module teleport' } } });
  const noTarget = await put('{"action":"metaflow","data":{"module":"transfer","data":{}}}');
  t.is(noTarget.status, 400);
  t.like(noTarget.body.data, { target: { required: { message: 'No target destination specified' } } });
  const noAction = await put('{"data":{"module":"hangup"}}');
  t.is(noAction.status, 400);
  t.is(h.engine.actions().length, actions);
});

test('PUT metaflow answers as the POST transfer does: the engine refusal, an unknown call', async (t) => {
  const h = await startHarness(t);
  await h.addChannel({ callId: 'alice', accountId: 'child', bridgedTo: null });
  h.engine.known.set('alice', { callId: 'alice', accountId: 'child' } as never);
  h.engine.onTransfer = () => {
    throw new TransferRefusedError('not_bridged', 'the call is not bridged to another party');
  };
  const body = { action: 'metaflow', data: { module: 'transfer', data: { target: '2600' } } };
  const refused = await h.call('PUT', '/v2/accounts/child/channels/alice', { token: h.tokens.child, body });
  t.is(refused.status, 400);
  t.like(refused.body.data, { other_leg_call_id: { required: { message: 'Channel is not bridged' } } });
  const unknown = await h.call('PUT', '/v2/accounts/child/channels/nobody', { token: h.tokens.child, body });
  t.is(unknown.status, 404);
  t.like(unknown.body, { message: 'bad identifier', data: ['nobody'] });
});

test('revision where Kazoo sends one (documents, listings): changes with the document; none on channels', async (t) => {
  const h = await startHarness(t);
  const path = '/v2/accounts/child/metaflows';
  const posted = await h.call('POST', path, {
    token: h.tokens.child,
    body: { data: { numbers: { '1': { module: 'resume' } } } },
  });
  const read = await h.call('GET', path, { token: h.tokens.child });
  t.regex(String(posted.body.revision), /^[0-9a-f]{32}$/);
  t.is(read.body.revision, posted.body.revision);
  t.is(read.headers.get('etag'), `"${String(read.body.revision)}"`);
  await h.call('POST', path, { token: h.tokens.child, body: { data: { numbers: { '2': { module: 'resume' } } } } });
  t.not((await h.call('GET', path, { token: h.tokens.child })).body.revision, read.body.revision);
  t.regex(
    String((await h.call('GET', '/v2/accounts/child', { token: h.tokens.child })).body.revision),
    /^[0-9a-f]{32}$/,
  );
  t.regex(
    String((await h.call('GET', '/v2/accounts/root/children', { token: h.tokens.root })).body.revision),
    /^[0-9a-f]{32}$/,
  );
  t.false('revision' in (await h.call('GET', '/v2/accounts/child/channels', { token: h.tokens.child })).body);
});
