// PUT /v2/api_auth throttles failed attempts per client: after API_AUTH_MAX_FAILURES failures in a window of
// API_AUTH_WINDOW_S (at most 60 s), every attempt from that client, the right key included, is 429 with Retry-After
// until the window ends. Clients are told apart by address, read through trusted proxies only; the counters live in
// the store, so every API process sharing it sees them.
import test from 'ava';
import { startApi } from '../../api/index.ts';
import { clientKey } from '../../api/client.ts';
import { createApiLogger } from '../../api/log.ts';
import { RecordingEngineDouble } from './support/recording-engine-double.ts';
import { JWT_SECRET, startHarness } from './support/server.ts';
import { bothEngines } from '../store/engines.ts';

const WRONG = { data: { api_key: '0'.repeat(64) } };

bothEngines(
  '20 failures in a minute, then 429 with Retry-After (≤ 60 s) for every attempt, the right key included',
  async (t, store) => {
    const h = await startHarness(t, { store });
    for (let i = 1; i <= 20; i++) {
      const res = await h.call('PUT', '/v2/api_auth', { body: WRONG });
      // Kazoo's answer for a key nobody holds: 404 bad identifier.
      t.is(res.status, 404, `attempt ${i}`);
    }
    for (const body of [WRONG, { data: { api_key: h.keys.root } }]) {
      const res = await h.call('PUT', '/v2/api_auth', { body });
      t.is(res.status, 429);
      t.like(res.body, {
        status: 'error',
        error: '429',
        message: 'too_many_requests',
        auth_token: '',
      });
      const retryAfter = Number(res.headers.get('retry-after'));
      t.true(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
      t.is(res.headers.get('cache-control'), 'no-store');
    }
    // Tokens already issued keep working: only logging in is throttled.
    t.is((await h.call('GET', '/v2/accounts/root', { token: h.tokens.root })).status, 200);
    // Every failure was logged (never the key), and the lockout once.
    const logs = h.logs();
    t.is(logs.filter((l) => l.msg === 'api_auth failed').length, 20);
    t.is(logs.filter((l) => l.msg === 'api_auth throttled').length, 1);
    t.like(
      logs.find((l) => l.msg === 'api_auth throttled'),
      { client: '127.0.0.1', failures: 20 },
    );
    t.false(h.logText().includes('0'.repeat(64)));
  },
);

bothEngines(
  'a successful login does not reset the count (a client with one good key cannot guess forever)',
  async (t, store) => {
    const h = await startHarness(t, { store, settings: { API_AUTH_MAX_FAILURES: 3 } });
    for (let round = 0; round < 2; round++) {
      t.is((await h.call('PUT', '/v2/api_auth', { body: WRONG })).status, 404);
      t.is((await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.child } } })).status, 201);
    }
    t.is((await h.call('PUT', '/v2/api_auth', { body: WRONG })).status, 404);
    t.is((await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.child } } })).status, 429);
  },
);

bothEngines('the lockout ends with its window', async (t, store) => {
  const h = await startHarness(t, { store, settings: { API_AUTH_MAX_FAILURES: 2, API_AUTH_WINDOW_S: 1 } });
  await h.call('PUT', '/v2/api_auth', { body: WRONG });
  await h.call('PUT', '/v2/api_auth', { body: WRONG });
  const locked = await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.root } } });
  t.is(locked.status, 429);
  t.is(locked.headers.get('retry-after'), '1');
  await new Promise((r) => setTimeout(r, 1100));
  t.is((await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.root } } })).status, 201);
});

bothEngines(
  'behind a trusted proxy, clients are told apart by X-Forwarded-For; spoofed hops do not help',
  async (t, store) => {
    const h = await startHarness(t, {
      store,
      settings: { API_AUTH_MAX_FAILURES: 3, API_TRUSTED_PROXIES: ['127.0.0.0/8'] },
    });
    const from = (xff: string) => ({ 'X-Forwarded-For': xff });
    for (let i = 0; i < 3; i++) {
      // The attacker varies what it writes itself (the left part); the proxy appends the address it saw.
      await h.call('PUT', '/v2/api_auth', { body: WRONG, headers: from(`10.9.9.${i}, 203.0.113.5`) });
    }
    const attacker = await h.call('PUT', '/v2/api_auth', { body: WRONG, headers: from('203.0.113.5') });
    t.is(attacker.status, 429);
    // Another client behind the same balancer logs in.
    const other = await h.call('PUT', '/v2/api_auth', {
      body: { data: { api_key: h.keys.root } },
      headers: from('198.51.100.7'),
    });
    t.is(other.status, 201);
    t.like(
      h.logs().find((l) => l.msg === 'api_auth throttled'),
      { client: '203.0.113.5' },
    );
  },
);

bothEngines(
  'without trusted proxies X-Forwarded-For is ignored: a client cannot escape by inventing addresses',
  async (t, store) => {
    const h = await startHarness(t, { store, settings: { API_AUTH_MAX_FAILURES: 3 } });
    for (let i = 0; i < 3; i++) {
      await h.call('PUT', '/v2/api_auth', { body: WRONG, headers: { 'X-Forwarded-For': `198.51.100.${i}` } });
    }
    const res = await h.call('PUT', '/v2/api_auth', {
      body: { data: { api_key: h.keys.root } },
      headers: { 'X-Forwarded-For': '198.51.100.200' },
    });
    t.is(res.status, 429);
  },
);

bothEngines('two API processes sharing the store share the counters', async (t, store) => {
  const h = await startHarness(t, { store, settings: { API_AUTH_MAX_FAILURES: 4 } });
  const second = await startApi({
    store: await h.openStore(),
    engine: new RecordingEngineDouble(),
    logger: createApiLogger({ level: 'silent' }),
    config: { HANDOFF_JWT_SECRET: JWT_SECRET, API_AUTH_MAX_FAILURES: 4 },
    host: '127.0.0.1',
    port: 0,
  });
  t.teardown(() => second.close());
  const viaSecond = (body: unknown) =>
    fetch(`${second.url}/v2/api_auth`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  await h.call('PUT', '/v2/api_auth', { body: WRONG });
  await h.call('PUT', '/v2/api_auth', { body: WRONG });
  t.is((await viaSecond(WRONG)).status, 404);
  t.is((await viaSecond(WRONG)).status, 404);
  t.is((await h.call('PUT', '/v2/api_auth', { body: { data: { api_key: h.keys.root } } })).status, 429);
  t.is((await viaSecond({ data: { api_key: h.keys.root } })).status, 429);
});

test('clientKey: IPv4 as is, IPv6 by its /64 (one host commonly holds a whole /64)', (t) => {
  t.is(clientKey('203.0.113.5'), '203.0.113.5');
  t.is(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  t.is(clientKey('2001:db8:1:2::ffff'), '2001:db8:1:2::/64');
  t.is(clientKey('2001:DB8::1'), '2001:db8:0:0::/64');
  t.is(clientKey('::ffff:10.1.2.3'), '10.1.2.3');
});
