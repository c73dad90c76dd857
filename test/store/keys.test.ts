import test from 'ava';
import { openStore } from '../../store/index.ts';
import { tempDbFile, tempStore } from './temp-db.ts';

test('api keys: 256-bit keys, stored hashed, found by the key, revoked by ID or key', async (t) => {
  const file = tempDbFile(t);
  const store = openStore(file);
  t.teardown(() => store.close());
  await store.createAccount({ id: 'acc', name: 'Acc' });
  const k1 = await store.createApiKey('acc', 'mobile');
  const k2 = await store.createApiKey('acc');
  t.regex(k1.key, /^[0-9a-f]{64}$/);
  t.is((await store.findApiKey(k1.key))?.accountId, 'acc');
  t.is((await store.findApiKey(k1.key))?.label, 'mobile');
  t.is(await store.findApiKey('0'.repeat(64)), undefined);

  // Only the hash is on disk.
  const { default: Database } = await import('better-sqlite3');
  const raw = new Database(file, { readonly: true });
  const hashes = raw.prepare('SELECT key_hash FROM api_keys').all() as { key_hash: string }[];
  raw.close();
  t.false(hashes.some((h) => h.key_hash === k1.key));

  t.true(await store.revokeApiKey(k1.id));
  t.false(await store.revokeApiKey(k1.id));
  t.is(await store.findApiKey(k1.key), undefined);
  t.true(await store.revokeApiKey(k2.key));
  t.deepEqual(await store.listApiKeys('acc'), []);
});

test('api keys: an unknown account is refused', async (t) => {
  const store = tempStore(t);
  await t.throwsAsync(store.createApiKey('nobody'), { message: /no account/ });
});

test('token revocations: remembered until expiry, then pruned', async (t) => {
  const store = tempStore(t);
  await store.revokeToken('old', Date.now() - 1000);
  await store.revokeToken('jti-1', Date.now() + 60_000);
  t.true(await store.isTokenRevoked('jti-1'));
  t.false(await store.isTokenRevoked('jti-2'));
  // Revoking prunes what has expired: an expired token is refused by its expiry anyway.
  t.false(await store.isTokenRevoked('old'));
});

test('api keys: active by ID until revoked; rotation replaces every key of the account at once', async (t) => {
  const store = tempStore(t);
  await store.createAccount({ id: 'acc', name: 'Acc' });
  await store.createAccount({ id: 'other', name: 'Other' });
  const k1 = await store.createApiKey('acc');
  const k2 = await store.createApiKey('acc', 'second');
  const theirs = await store.createApiKey('other');
  t.like(await store.activeApiKey(k1.id), { id: k1.id, accountId: 'acc' });
  t.is(await store.activeApiKey('nokey'), undefined);

  const fresh = await store.rotateApiKey('acc', 'api');
  t.regex(fresh.key, /^[0-9a-f]{64}$/);
  t.is(await store.activeApiKey(k1.id), undefined);
  t.is(await store.activeApiKey(k2.id), undefined);
  t.is(await store.findApiKey(k2.key), undefined);
  t.like(await store.activeApiKey(fresh.id), { accountId: 'acc', label: 'api' });
  t.deepEqual(
    (await store.listApiKeys('acc')).map((k) => k.id),
    [fresh.id],
  );
  t.truthy(await store.activeApiKey(theirs.id));
  await t.throwsAsync(store.rotateApiKey('nobody'), { message: /no account/ });
});

test('failed logins: counted per client in a window that opens with the first failure; ended windows forgotten', async (t) => {
  const store = tempStore(t);
  const t0 = 1_700_000_000_000;
  t.deepEqual(await store.authFailures('10.0.0.1', t0), { failures: 0, windowEndsAt: 0 });
  t.deepEqual(await store.recordAuthFailure('10.0.0.1', t0, 60_000), { failures: 1, windowEndsAt: t0 + 60_000 });
  t.deepEqual(await store.recordAuthFailure('10.0.0.1', t0 + 30_000, 60_000), {
    failures: 2,
    windowEndsAt: t0 + 60_000,
  });
  await store.recordAuthFailure('10.0.0.2', t0 + 1, 60_000);
  t.deepEqual(await store.authFailures('10.0.0.1', t0 + 59_999), { failures: 2, windowEndsAt: t0 + 60_000 });
  t.is((await store.authFailures('10.0.0.2', t0 + 59_999)).failures, 1);
  // The window has ended: nothing counts, and the next failure opens a new window.
  t.is((await store.authFailures('10.0.0.1', t0 + 60_000)).failures, 0);
  t.deepEqual(await store.recordAuthFailure('10.0.0.1', t0 + 70_000, 60_000), {
    failures: 1,
    windowEndsAt: t0 + 130_000,
  });
});
