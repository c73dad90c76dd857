// Nothing a client sends may reach a switch command line: every field that ends up in one is whitelisted, and each
// injection attempt is a 400 naming the field, with the engine never asked.
import test from 'ava';
import { runnableMetaflows } from '../../contracts/metaflow-entries.ts';
import { DEFAULT_FEATURE_CODE_LIMITS } from '../../contracts/patterns.ts';
import { startHarness } from './support/server.ts';
import type { Harness } from './support/server.ts';

/** Command-line breakers: newlines, spaces, braces, commas, &, quotes, ;, pipes, backslashes, NUL, app strings, length. */
const BREAKERS = [
  '2600\n',
  '2600\r\napi uuid_kill all',
  '26 00',
  '2600\t',
  '{origination_uuid=x}2600',
  '[leg_timeout=1]2600',
  '2600,sofia/gateway/evil/1',
  '2600&park',
  '2600&bridge(sofia/x)',
  "2600'",
  '2600"',
  '2600;x',
  '2600|x',
  '2600\\',
  '2600`id`',
  '$(reboot)',
  '${sofia_contact(x)}',
  '2600\u0000',
  'loopback/2600/default',
  '2600@evil.example',
  '',
  'x'.repeat(65),
  '٢٦٠٠',
];

/** Media references: the same, plus streams that smuggle something after a valid prefix, and files over the API. */
const MEDIA_BREAKERS = [
  ...BREAKERS.filter((v) => v !== 'x'.repeat(65)),
  'tone_stream://%(1000,4000,425)\n',
  'tone_stream://%(1000,4000,425);loops=-1;x',
  'tone_stream://%(1000,4000,425)&park',
  'tone_stream://%(1000,4000,425) ',
  'tone_stream://%(1000,4000,425),x',
  'tone_stream://%(1000,4000,425);loops=-1\r\nuuid_kill x',
  'tone_stream://{x}%(1000,4000,425)',
  'tone_stream://v=-7;%(1000,4000,425)',
  '%(1000,4000,425)&x',
  '%(1000,4000)',
  'local_stream://moh two',
  'local_stream://../etc',
  'local_stream://moh/../../x',
  'local_stream://{x}',
  'local_stream://moh,x',
  '/etc/passwd',
  '/var/sounds/moh.wav',
  'http://evil.example/x.wav',
  'shout://evil/x.mp3',
  'say:hello',
  'x'.repeat(257),
];

const DTMF_BREAKERS = ['*1\n', '* 1', '*1&', '*1;', '{*1}', '*1,2', '*1"', '', '123456789', 'A', 'abc'];
const TYPE_BREAKERS = ['Blind', 'attended\n', 'blind;', '', 'consult', 42];
const TIMEOUT_BREAKERS = ['20', 20.5, -1, 0, 601, 1e9, '20\n', true, {}];
const CAUSE_BREAKERS = [
  'NORMAL CLEARING',
  'NORMAL_CLEARING\nuuid_kill x',
  'normal_clearing',
  'X;Y',
  '',
  'A'.repeat(65),
];

async function setup(t: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(t);
  await h.addChannel({ callId: 'alice', accountId: 'child', bridgedTo: 'bob' });
  h.engine.known.set('alice', { callId: 'alice', node: 'fs1', accountId: 'child', phase: 'bridged', answered: true });
  return h;
}

async function expectRefused(
  t: Parameters<typeof startHarness>[0],
  h: Harness,
  data: Record<string, unknown>,
  field: string,
): Promise<void> {
  const res = await h.call('POST', '/v2/accounts/child/channels/alice', { token: h.tokens.child, body: { data } });
  const label = `${field}=${JSON.stringify(data[field])}`;
  t.is(res.status, 400, label);
  t.is(res.body.message, 'validation error', label);
  t.true(field in (res.body.data as object), `${label} → ${JSON.stringify(res.body.data)}`);
}

test('transfer target: dial-plan characters only', async (t) => {
  const h = await setup(t);
  for (const target of BREAKERS) await expectRefused(t, h, { action: 'transfer', target }, 'target');
  for (const target of [42, null, ['2600'], { n: '2600' }]) {
    const res = await h.call('POST', '/v2/accounts/child/channels/alice', {
      token: h.tokens.child,
      body: { data: { action: 'transfer', target } },
    });
    t.is(res.status, 400, JSON.stringify(target));
    t.true('target' in (res.body.data as object));
  }
  t.deepEqual(h.engine.actions(), []);
  // What is allowed: Kazoo-style extensions, E.164, feature codes, SIP-ish user parts without a host.
  for (const target of ['2600', '+14155550100', '*97', '#123', 'sales_queue', 'ext-2600.1']) {
    const res = await h.call('POST', '/v2/accounts/child/channels/alice', {
      token: h.tokens.child,
      body: { data: { action: 'transfer', target } },
    });
    t.is(res.status, 200, target);
  }
});

test('takeback_dtmf: DTMF digits only', async (t) => {
  const h = await setup(t);
  for (const v of DTMF_BREAKERS)
    await expectRefused(t, h, { action: 'transfer', target: '2600', takeback_dtmf: v }, 'takeback_dtmf');
  t.deepEqual(h.engine.actions(), []);
});

test('moh and ringback: a media ID of the account’s tree or a strict stream grammar', async (t) => {
  const h = await setup(t);
  for (const field of ['moh', 'ringback']) {
    for (const v of MEDIA_BREAKERS)
      await expectRefused(t, h, { action: 'transfer', target: '2600', [field]: v }, field);
  }
  t.deepEqual(h.engine.actions(), []);
  for (const v of [
    'tone_stream://%(2000,4000,440,480)',
    'tone_stream://%(2000,4000,440,480);loops=-1',
    'tone_stream://%(400,200,400,450);%(400,2000,400,450);loops=10',
    '%(2000,4000,440,480)',
    'local_stream://moh',
  ]) {
    const res = await h.call('POST', '/v2/accounts/child/channels/alice', {
      token: h.tokens.child,
      body: { data: { action: 'transfer', target: '2600', moh: v, ringback: v } },
    });
    t.is(res.status, 200, v);
  }
});

test('timeout: an integer number of seconds, 1-600', async (t) => {
  const h = await setup(t);
  for (const v of TIMEOUT_BREAKERS)
    await expectRefused(t, h, { action: 'transfer', target: '2600', timeout: v }, 'timeout');
  t.deepEqual(h.engine.actions(), []);
});

test('transfer_type and its Kazoo spellings: attended or blind only', async (t) => {
  const h = await setup(t);
  for (const field of ['transfer_type', 'transfer-type', 'Transfer-Type']) {
    for (const v of TYPE_BREAKERS) await expectRefused(t, h, { action: 'transfer', target: '2600', [field]: v }, field);
  }
  t.deepEqual(h.engine.actions(), []);
});

test('hangup cause: a FreeSWITCH cause name only', async (t) => {
  const h = await setup(t);
  for (const v of CAUSE_BREAKERS) await expectRefused(t, h, { action: 'hangup', cause: v }, 'cause');
  t.deepEqual(h.engine.actions(), []);
});

test('call IDs that cannot be one (control characters, spaces, too long) are 404 and never reach the engine', async (t) => {
  const h = await setup(t);
  for (const id of ['a%0Ab', 'a%20b', 'a%00b', 'x'.repeat(300), '%7Bx%7D%0A']) {
    for (const method of ['GET', 'POST'] as const) {
      const res = await h.call(method, `/v2/accounts/child/channels/${id}`, {
        token: h.tokens.child,
        body: method === 'POST' ? { data: { action: 'hangup' } } : undefined,
      });
      t.is(res.status, 404, `${method} ${id}`);
      t.is(res.body.message, 'bad identifier');
    }
  }
  t.deepEqual(h.engine.calls, []);
});

test('metaflow transfer data: what Kazoo accepts but Handoff cannot run is stored inactive and never runs', async (t) => {
  const h = await setup(t);
  const post = (data: unknown) =>
    h.call('POST', '/v2/accounts/child/metaflows', { token: h.tokens.child, body: { data } });
  const fields: [string, unknown[]][] = [
    ['target', BREAKERS],
    ['takeback_dtmf', DTMF_BREAKERS],
    ['moh', MEDIA_BREAKERS],
    ['ringback', MEDIA_BREAKERS],
    ['timeout', TIMEOUT_BREAKERS],
    ['transfer_type', TYPE_BREAKERS],
  ];
  for (const [field, values] of fields) {
    for (const v of values) {
      const doc = { numbers: { '5': { module: 'transfer', data: { target: '2600', [field]: v } } } };
      const res = await post(doc);
      const what = `${field}=${JSON.stringify(v)} → ${res.text}`;
      if (res.status === 400) {
        // Kazoo's own schema refuses it (a wrong type, a value outside its enum).
        t.true(`numbers.5.data.${field}` in (res.body.data as object), what);
        continue;
      }
      t.is(res.status, 200, what);
      const handoff = res.body.handoff as { inactive_entries: Record<string, string>; ignored: Record<string, string> };
      // transfer_type is never run from a metaflow (Konami ignores it); anything else that cannot run is inactive.
      if (field === 'transfer_type') t.truthy(handoff.ignored['numbers.5.data.transfer_type'], what);
      else t.truthy(handoff.inactive_entries['numbers.5'], what);
      // The engine never gets it.
      const effective = await h.store.effectiveMetaflows('child');
      const runs = effective && runnableMetaflows(effective, DEFAULT_FEATURE_CODE_LIMITS);
      if (field === 'transfer_type')
        t.deepEqual(runs?.numbers?.['5'], { module: 'transfer', data: { target: '2600' } });
      else t.is(runs?.numbers?.['5'], undefined, what);
    }
  }
});

test('account and media IDs: the ID grammar only', async (t) => {
  const h = await setup(t);
  for (const id of ['a b', 'a\nb', '{x}', 'a,b', 'a&b', "a'b", 'a;b', 'a/b', '', 'x'.repeat(65)]) {
    const acc = await h.call('PUT', '/v2/accounts/child', { token: h.tokens.child, body: { data: { id, name: 'x' } } });
    t.is(acc.status, 400, JSON.stringify(id));
    t.true('id' in (acc.body.data as object));
    const media = await h.call('PUT', '/v2/accounts/child/media', {
      token: h.tokens.child,
      body: { data: { id, name: 'x', stream_url: 'local_stream://moh' } },
    });
    t.is(media.status, 400, JSON.stringify(id));
  }
});
