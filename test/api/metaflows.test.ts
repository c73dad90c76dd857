// Metaflows at the account, user and device levels: Kazoo's schema, Handoff's modules validated strictly, Kazoo's
// other modules stored as they are, and what the engine then reads (store.effectiveMetaflows).
import test from 'ava';
import { startHarness } from './support/server.ts';

const M = '/v2/accounts/child/metaflows';

test('GET is {} when none; POST replaces whole and returns what is stored; DELETE removes', async (t) => {
  const h = await startHarness(t);
  const empty = await h.call('GET', M, { token: h.tokens.child });
  t.is(empty.status, 200);
  t.deepEqual(empty.body.data, {});

  const first = await h.call('POST', M, {
    token: h.tokens.child,
    body: { data: { binding_digit: '#', numbers: { '9': { module: 'hangup' } } } },
  });
  t.is(first.status, 200);
  const doc = {
    binding_key: '*',
    digit_timeout: 1500,
    listen_on: 'both',
    numbers: { '1': { module: 'resume' } },
    patterns: { '^2(\\d+)$': { module: 'transfer', data: { takeback_dtmf: '*1', captures: ['no_match'] } } },
  };
  const res = await h.call('POST', M, { token: h.tokens.child, body: { data: doc } });
  t.is(res.status, 200);
  // binding_key is stored as binding_digit; Kazoo's injected captures are kept (the engine takes the digits');
  // nothing of the first POST remains.
  const stored = {
    binding_digit: '*',
    digit_timeout: 1500,
    listen_on: 'both',
    numbers: { '1': { module: 'resume' } },
    patterns: { '^2(\\d+)$': { module: 'transfer', data: { takeback_dtmf: '*1', captures: ['no_match'] } } },
  };
  t.deepEqual(res.body.data, stored);
  t.deepEqual((await h.call('GET', M, { token: h.tokens.child })).body.data, stored);
  t.deepEqual(await h.store.effectiveMetaflows('child'), {
    binding_digit: '*',
    digit_timeout: 1500,
    listen_on: 'both',
    numbers: { '1': { module: 'resume' } },
    patterns: { '^2(\\d+)$': { module: 'transfer', data: { takeback_dtmf: '*1', captures: ['no_match'] } } },
  });

  const del = await h.call('DELETE', M, { token: h.tokens.child });
  t.is(del.status, 200);
  t.deepEqual(del.body.data, {});
  t.deepEqual((await h.call('GET', M, { token: h.tokens.child })).body.data, {});
  t.is(await h.store.effectiveMetaflows('child'), undefined);
});

test('user and device levels: stored apart, merged account → device → user for the engine', async (t) => {
  const h = await startHarness(t);
  const post = (path: string, data: unknown) => h.call('POST', path, { token: h.tokens.child, body: { data } });
  t.is((await post(M, { numbers: { '1': { module: 'resume' } } })).status, 200);
  t.is((await post('/v2/accounts/child/devices/dev1/metaflows', { digit_timeout: 2000 })).status, 200);
  t.is(
    (
      await post('/v2/accounts/child/users/usr1/metaflows', {
        binding_digit: '#',
        numbers: { '1': { module: 'hangup' } },
      })
    ).status,
    200,
  );
  t.deepEqual((await h.call('GET', '/v2/accounts/child/users/usr1/metaflows', { token: h.tokens.child })).body.data, {
    binding_digit: '#',
    numbers: { '1': { module: 'hangup' } },
  });
  t.deepEqual(
    (await h.call('GET', '/v2/accounts/child/users/other/metaflows', { token: h.tokens.child })).body.data,
    {},
  );
  t.deepEqual(await h.store.effectiveMetaflows('child', 'dev1', 'usr1'), {
    binding_digit: '#',
    digit_timeout: 2000,
    numbers: { '1': { module: 'hangup' } },
  });
  t.is((await h.call('DELETE', '/v2/accounts/child/devices/dev1/metaflows', { token: h.tokens.child })).status, 200);
  t.is((await h.store.effectiveMetaflows('child', 'dev1', 'usr1'))?.digit_timeout, undefined);
  // A user or device ID outside the ID grammar cannot address anything.
  t.is((await h.call('GET', '/v2/accounts/child/users/a%20b/metaflows', { token: h.tokens.child })).status, 404);
});

test('Kazoo’s other modules are accepted and stored as they are', async (t) => {
  const h = await startHarness(t);
  const numbers = {
    '3': { module: 'say', data: { text: 'hi' } },
    '4': { module: 'play', data: { id: 'media1', leg: 'both' } },
    '5': { module: 'tts', data: { text: 'hello', voice: 'female' } },
    '6': { module: 'record_call', data: { action: 'start' } },
    '7': { module: 'audio_level', data: { mode: 'read', action: 'start', level: 2 } },
    '8': { module: 'callflow', data: { id: 'cf1' } },
    '90': { module: 'intercept', data: { target_type: 'device', target_id: 'd1' } },
    '91': { module: 'break' },
    '92': { module: 'hold', data: { unhold_key: '1' }, children: { _: { module: 'say' } } },
  };
  const res = await h.call('POST', M, { token: h.tokens.child, body: { data: { numbers } } });
  t.is(res.status, 200);
  t.deepEqual((res.body.data as { numbers: unknown }).numbers, numbers);
});

test('the docs’ own example (transfer.md, with binding_key) posts as it is', async (t) => {
  const h = await startHarness(t);
  await h.store.createMedia({ id: 'media_id', accountId: 'root', name: 'Hold', streamUrl: 'local_stream://moh' });
  const res = await h.call('POST', M, {
    token: h.tokens.child,
    body: {
      data: {
        patterns: { '2(\\d+)': { module: 'transfer', data: { takeback_dtmf: '*1', moh: 'media_id' } } },
        binding_key: '*',
      },
    },
  });
  t.is(res.status, 200);
  t.like(res.body.data, { binding_digit: '*' });
});

test("what Kazoo's schemas refuse: 400 naming the key", async (t) => {
  const h = await startHarness(t);
  const cases: [unknown, string][] = [
    [{ numbers: { '1': { module: 'teleport' } } }, 'numbers.1.module'],
    [{ numbers: { '1': {} } }, 'numbers.1.module'],
    [{ numbers: { '1': 'transfer' } }, 'numbers.1'],
    [{ numbers: { '*1': { module: 'resume' } } }, 'numbers.*1'],
    [{ numbers: { '2': { module: 'transfer', data: { timeout: '20' } } } }, 'numbers.2.data.timeout'],
    [{ numbers: { '2': { module: 'transfer', data: { transfer_type: 'sideways' } } } }, 'numbers.2.data.transfer_type'],
    [{ numbers: { '2': { module: 'audio_level', data: { level: 9 } } } }, 'numbers.2.data.level'],
    [{ numbers: { '2': { module: 'pivot', data: {} } } }, 'numbers.2.data.voice_url'],
    [
      { numbers: { '2': { module: 'hangup', children: { _: { module: 'teleport' } } } } },
      'numbers.2.children._.module',
    ],
    [{ binding_digit: '**' }, 'binding_digit'],
    [{ binding_digit: 'a' }, 'binding_digit'],
    [{ binding_key: '\n' }, 'binding_key'],
    [{ digit_timeout: -1 }, 'digit_timeout'],
    [{ digit_timeout: '800' }, 'digit_timeout'],
    [{ listen_on: 'aleg' }, 'listen_on'],
    [{ terminator: '##' }, 'terminator'],
    [{ terminator: 'x' }, 'terminator'],
    [{ private_codes: 'yes' }, 'private_codes'],
    [{ patterns: { '^2(\\d+)$': { module: 'transfer', digits: 0 } } }, 'patterns.^2(\\d+)$.digits'],
    [{ patterns: { '^2(\\d+)$': { module: 'transfer', digits: '5' } } }, 'patterns.^2(\\d+)$.digits'],
    [{ patterns: { 'a.b': { module: 'teleport' } } }, 'patterns.a%2Eb.module'],
  ];
  for (const [data, field] of cases) {
    const res = await h.call('POST', M, { token: h.tokens.child, body: { data } });
    t.is(res.status, 400, JSON.stringify(data));
    t.is(res.body.message, 'validation error');
    t.true(field in (res.body.data as object), `${JSON.stringify(data)} → ${res.text}`);
  }
  t.is(await h.store.getMetaflows({ accountId: 'child', level: 'account' }), undefined);
});

test('what Kazoo accepts and Handoff cannot run is stored as posted, inactive, and named in handoff', async (t) => {
  const h = await startHarness(t, { settings: { MEDIA_URL_TEMPLATE: '' } });
  const data = {
    ui_metadata: { origin: 'monster-ui', version: '4.3' },
    bindig_digit: '*',
    numbers: {
      '2': { module: 'transfer' },
      '3': { module: 'transfer', data: { target: '2600', colour: 'red', moh: 'nope' }, ui_is_main_callflow: true },
      '4': { module: 'resume', data: { target: '1' } },
      '5': { module: 'move', data: { device_id: 'abc' } },
      '6': { module: 'hold_control', data: { action: 'toggle' } },
      '7': { module: 'sound_touch', data: { action: 'start', pitch: 1.5 } },
    },
    patterns: { '^2\\d+$': { module: 'transfer', data: {} } },
  };
  const res = await h.call('POST', M, { token: h.tokens.child, body: { data } });
  t.is(res.status, 200, res.text);
  t.deepEqual(res.body.data, data);
  t.deepEqual((await h.call('GET', M, { token: h.tokens.child })).body.data, data);
  const handoff = res.body.handoff as {
    inactive_entries: Record<string, string>;
    media: Record<string, Record<string, string>>;
  };
  t.deepEqual(Object.keys(handoff.inactive_entries).sort(), [
    'numbers.2',
    'numbers.5',
    'numbers.7',
    'patterns.^2\\d+$',
  ]);
  t.regex(handoff.inactive_entries['numbers.5'] ?? '', /does not run the metaflow module move/);
  // A media ID found nowhere (the template off): the account's default plays, and the answer says so.
  t.like(handoff.media['numbers.3.data.moh'], { media_id: 'nope', plays: "the account's default" });
});

test('a pattern RE2 cannot run is stored as posted but inactive, and named in handoff.inactive_patterns', async (t) => {
  const h = await startHarness(t);
  const patterns = {
    '^2(\\d+)$': { module: 'transfer' },
    '([0-9]*)*#': { module: 'hangup' },
    '(?=1)\\d+': { module: 'hangup' },
    '(\\d)\\1': { module: 'resume' },
    '^2(\\d+$': { module: 'transfer' },
    '\\d{1000}': { module: 'hangup' },
  };
  const res = await h.call('POST', M, { token: h.tokens.child, body: { data: { patterns } } });
  t.is(res.status, 200, res.text);
  t.deepEqual(res.body.data, { patterns });
  const inactive = (res.body.handoff as { inactive_patterns: Record<string, string> }).inactive_patterns;
  t.deepEqual(Object.keys(inactive), ['(?=1)\\d+', '(\\d)\\1', '^2(\\d+$', '\\d{1000}']);
  t.regex(inactive['(?=1)\\d+']!, /RE2/);
  t.regex(inactive['\\d{1000}']!, /too large/);
  const got = await h.call('GET', M, { token: h.tokens.child });
  t.deepEqual(got.body.handoff, res.body.handoff);
});

test('feature-code limits: too many patterns, a pattern or a number too long: 400 naming the key', async (t) => {
  const h = await startHarness(t, {
    settings: { FEATURE_CODE_MAX_DIGITS: 4, FEATURE_CODE_PATTERN_MAX_LENGTH: 8, FEATURE_CODE_MAX_PATTERNS: 2 },
  });
  const hangup = { module: 'hangup' };
  const cases: [unknown, string, string][] = [
    [{ patterns: { '1': hangup, '2': hangup, '3': hangup } }, 'patterns', 'maxItems'],
    [{ patterns: { '123456789': hangup } }, 'patterns.123456789', 'maxLength'],
    [{ numbers: { '12345': hangup } }, 'numbers.12345', 'maxLength'],
  ];
  for (const [data, field, code] of cases) {
    const res = await h.call('POST', M, { token: h.tokens.child, body: { data } });
    t.is(res.status, 400, JSON.stringify(data));
    t.truthy((res.body.data as Record<string, Record<string, unknown>>)[field]?.[code], res.text);
  }
  const ok = { patterns: { '12345678': hangup, '2': hangup }, numbers: { '1234': hangup } };
  t.is((await h.call('POST', M, { token: h.tokens.child, body: { data: ok } })).status, 200);
});

test('a transfer pattern with a capture group needs no target; a numbers transfer with a target is fine', async (t) => {
  const h = await startHarness(t);
  const res = await h.call('POST', M, {
    token: h.tokens.child,
    body: {
      data: {
        numbers: { '0': { module: 'transfer', data: { target: '2000', transfer_type: 'blind', timeout: 15 } } },
        patterns: { '^2(\\d+)$': { module: 'transfer' }, '^3(?:\\d)(\\d+)$': { module: 'transfer', data: {} } },
      },
    },
  });
  t.is(res.status, 200, res.text);
});

test('metaflows follow the tree: a parent writes a child’s, a sibling cannot read them', async (t) => {
  const h = await startHarness(t);
  const data = { numbers: { '1': { module: 'resume' } } };
  t.is((await h.call('POST', M, { token: h.tokens.root, body: { data } })).status, 200);
  t.is((await h.call('GET', M, { token: h.tokens.sibling })).status, 403);
  t.is((await h.call('DELETE', M, { token: h.tokens.grandchild })).status, 403);
  t.is(
    (await h.call('POST', '/v2/accounts/child/devices/d/metaflows', { token: h.tokens.stranger, body: { data } }))
      .status,
    403,
  );
  t.deepEqual((await h.call('GET', M, { token: h.tokens.child })).body.data, data);
});

test("Handoff's terminator and a pattern's digits are stored as posted and reach the engine", async (t) => {
  const h = await startHarness(t);
  const data = { terminator: '', patterns: { '^2(\\d+)$': { module: 'transfer', data: {}, digits: 5 } } };
  const res = await h.call('POST', M, { token: h.tokens.child, body: { data } });
  t.is(res.status, 200, res.text);
  t.deepEqual(res.body.data, data);
  t.deepEqual(await h.store.effectiveMetaflows('child'), {
    binding_digit: '*',
    terminator: '',
    patterns: { '^2(\\d+)$': { module: 'transfer', data: {}, digits: 5 } },
  });
  // More digits than can be collected: stored, inactive, and said so.
  const long = { patterns: { '^2(\\d+)$': { module: 'transfer', digits: 99 } } };
  const stored = await h.call('POST', M, { token: h.tokens.child, body: { data: long } });
  t.is(stored.status, 200, stored.text);
  t.regex(
    (stored.body.handoff as { inactive_entries: Record<string, string> }).inactive_entries['patterns.^2(\\d+)$'] ?? '',
    /digits is not a whole number from 1 to 32/,
  );
});
