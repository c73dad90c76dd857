// Deeply nested JSON: a body nested past the limit is a 400 naming the field where it goes too deep, in Kazoo's
// validation shape, on every body-taking endpoint; nothing deeper than the limit reaches a handler.
import test from 'ava';
import { startHarness } from './support/server.ts';

/** `{"data": {"k": {"k": ... }}}` with `depth` objects in all, the envelope included. */
function nestedObject(depth: number): string {
  return '{"data":'.repeat(1) + '{"k":'.repeat(depth - 2) + '{}' + '}'.repeat(depth - 2) + '}';
}

test('JSON nested 4,000 and 8,000 deep: 400 naming the field, not a 500 nor a stored time bomb', async (t) => {
  const h = await startHarness(t);
  const endpoints: [string, string][] = [
    ['PUT', '/v2/accounts/root'],
    ['POST', '/v2/accounts/root'],
    ['POST', '/v2/accounts/root/metaflows'],
    ['POST', '/v2/accounts/root/users/u1/metaflows'],
    ['PUT', '/v2/accounts/root/media'],
    ['POST', '/v2/accounts/child/channels/call-1'],
    ['PUT', '/v2/api_auth'],
  ];
  for (const n of [4000, 8000]) {
    // A metaflow module Handoff stores as posted ("say"): before the cap, 4,000 deep was stored and 8,000 deep was a 500.
    const deep = '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const body = `{"data":{"name":"x","numbers":{"1":{"module":"say","data":${deep}}}}}`;
    for (const [method, path] of endpoints) {
      const res = await h.call(method, path, { token: h.tokens.root, body });
      t.is(res.status, 400, `${n} ${method} ${path}: ${res.text.slice(0, 200)}`);
      t.like(res.body, { status: 'error', error: '400', message: 'validation error' });
      // Named relative to `data`: the first container past the limit, the 33rd counting the body's own object.
      const field = `numbers.1.data${'.a'.repeat(28)}`;
      t.deepEqual(res.body.data, {
        [field]: { maxDepth: { message: 'nested deeper than 32 levels', target: 32 } },
      });
    }
  }
  t.deepEqual((await h.call('GET', '/v2/accounts/root/metaflows', { token: h.tokens.root })).body.data, {});
  t.is(h.engine.calls.length, 0);
});

test('nesting at the limit passes; one level more is refused, and the limit is a setting', async (t) => {
  const h = await startHarness(t);
  // 32 containers: accepted by the depth check, then by the endpoint's own schema (Kazoo's metaflows keep extra keys).
  const atLimit = await h.call('POST', '/v2/accounts/root/metaflows', { token: h.tokens.root, body: nestedObject(32) });
  t.is(atLimit.status, 200, atLimit.text);
  const over = await h.call('POST', '/v2/accounts/root/metaflows', { token: h.tokens.root, body: nestedObject(33) });
  t.is(over.status, 400);
  t.deepEqual(Object.keys(over.body.data as object), [`k${'.k'.repeat(30)}`]);

  const strict = await startHarness(t, { maxJsonDepth: 4 });
  const shallow = await strict.call('POST', '/v2/accounts/root', {
    token: strict.tokens.root,
    body: { data: { name: 'x', music_on_hold: { media_id: null } } },
  });
  t.is(shallow.status, 200);
  const deep = await strict.call('POST', '/v2/accounts/root', {
    token: strict.tokens.root,
    body: { data: { name: 'x', music_on_hold: { media_id: { a: [1] } } } },
  });
  t.is(deep.status, 400);
  t.deepEqual(deep.body.data, {
    'music_on_hold.media_id.a': { maxDepth: { message: 'nested deeper than 4 levels', target: 4 } },
  });
});
