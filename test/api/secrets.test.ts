// Secrets stay where they belong: answers that carry a token or a key are never cached, the engine's own words never
// reach a client (only the log, under the request's ID), and no token or key ever reaches the log.
import test from 'ava';
import { EngineFailedError, EngineUnavailableError } from '../../api/engine.ts';
import { redactUrl } from '../../api/log.ts';
import { startHarness } from './support/server.ts';

const A = '/v2/accounts/child/channels';

test('every answer says Cache-Control: no-store: tokens, keys, account data and errors alike', async (t) => {
  const h = await startHarness(t);
  const answers = [
    await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.child } } }),
    await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: 'f'.repeat(64) } } }),
    await h.call('GET', '/v2/token_auth', { token: h.tokens.child }),
    await h.call('PUT', '/v2/accounts/child/api_key', { token: h.tokens.root }),
    await h.call('GET', '/v2/accounts/child', { token: h.tokens.child }),
    await h.call('GET', '/v2/accounts/root', { token: h.tokens.child }),
    await h.call('GET', '/v2/nowhere'),
  ];
  t.is(answers[0]?.status, 201);
  t.truthy(answers[0]?.body.auth_token);
  t.is(answers[3]?.status, 201);
  for (const res of answers)
    t.is(res.headers.get('cache-control'), 'no-store', `${res.status} ${res.text.slice(0, 80)}`);
});

test('engine failures: the client gets fixed words and the request ID; the log has the engine’s words', async (t) => {
  const h = await startHarness(t);
  await h.addChannel({ callId: 'alice', accountId: 'child' });
  h.engine.known.set('alice', { callId: 'alice', accountId: 'child', phase: 'talking', answered: true } as never);
  const raw = 'connect ECONNREFUSED 10.20.30.40:7233 (namespace tenant-prod-7)';
  const cases: [Error, number, string][] = [
    [new EngineUnavailableError(`the call engine failed: ${raw}`), 503, 'the call engine is unavailable; try again'],
    [new EngineFailedError(`workflow task failed: ${raw}`), 500, 'the call engine failed'],
    [new Error(`TypeError in worker: ${raw}`), 500, 'internal error'],
  ];
  for (const [err, status, words] of cases) {
    h.engine.onTransfer = () => {
      throw err;
    };
    const res = await h.call('POST', `${A}/alice`, {
      token: h.tokens.child,
      body: { data: { action: 'transfer', target: '2600' } },
    });
    t.is(res.status, status, err.message);
    t.deepEqual(res.body.data, { message: words });
    t.false(res.text.includes('10.20.30.40'), err.message);
    const logged = h.logs().filter((l) => l.request_id === res.body.request_id);
    t.true(
      logged.some((l) => JSON.stringify(l).includes(raw)),
      `the log keeps the details under request ${res.body.request_id}`,
    );
  }

  // GET one channel: the projection answers, and handoff.engine_error is fixed words too.
  h.engine.onGetCall = () => {
    throw new EngineUnavailableError(`the call engine failed: ${raw}`);
  };
  const res = await h.call('GET', `${A}/alice`, { token: h.tokens.child });
  t.is(res.status, 200);
  t.like(res.body.data, { call_id: 'alice', handoff: { engine_error: 'the call engine is unavailable; try again' } });
  t.false(res.text.includes('10.20.30.40'));
  t.true(h.logs().some((l) => l.request_id === res.body.request_id && JSON.stringify(l).includes(raw)));
});

test('no token or API key ever reaches the log: query strings, headers, bodies, failures and crashes', async (t) => {
  const h = await startHarness(t);
  const token = h.tokens.child;
  const key = h.keys.child;
  h.engine.onTransfer = () => {
    throw new Error('a bug');
  };
  await h.addChannel({ callId: 'alice', accountId: 'child' });
  // Kazoo clients put the token in the query string; Handoff does not read it there, but it must not log it either.
  const crash = await h.call('POST', `${A}/alice?auth_token=${token}&api_key=${key}&x=1`, {
    token,
    body: { data: { action: 'transfer', target: '2600' } },
  });
  t.is(crash.status, 500, crash.text);
  await h.call('GET', `/v2/accounts/root?auth_token=${token}`, { token });
  await h.call('GET', `/v2/accounts/child?AUTH_TOKEN=${token}`, { bearer: `${token}x` });
  await h.call('PUT', `/v2/api_auth?api_key=${key}`, { body: { data: { api_key: `${key.slice(0, -1)}0` } } });
  await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: key.toUpperCase() } } });

  const text = h.logText();
  // The lines exist (so this test can fail), and say what happened ...
  t.true(h.logs().some((l) => l.msg === 'call engine failed' && String(l.url).includes('auth_token=[redacted]')));
  t.true(h.logs().some((l) => l.msg === 'api_auth failed'));
  t.true(text.includes('auth_token=[redacted]'));
  // ... and no secret, nor a recognisable piece of one, is in them.
  for (const secret of [token, key, key.slice(0, -1), key.toUpperCase(), token.split('.')[2] ?? token]) {
    t.false(text.includes(secret), secret.slice(0, 12));
  }
});

test('redactUrl blanks secret parameters, whatever their case or encoding, and keeps the rest', (t) => {
  t.is(redactUrl('http://h:1/v2/x?auth_token=abc&page_size=2'), '/v2/x?auth_token=[redacted]&page_size=2');
  t.is(redactUrl('/v2/x?Auth%5Ftoken=abc&API_KEY=k&a=b#frag'), '/v2/x?Auth%5Ftoken=[redacted]&API_KEY=[redacted]&a=b');
  t.is(redactUrl('/v2/x?auth_token'), '/v2/x?auth_token=[redacted]');
  t.is(redactUrl('/v2/x'), '/v2/x');
});
