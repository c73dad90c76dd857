import { MIGRATIONS } from '../../store/migrations.ts';
import { rawDatabase, bothEngines, engineStore } from './engines.ts';

bothEngines('api keys: 256-bit keys, stored hashed, found by the key, revoked by ID or key', async (t, engine) => {
  const raw = await rawDatabase(t, engine);
  await raw.migrate(MIGRATIONS);
  const store = await raw.open();
  await store.createAccount({ id: 'acc', name: 'Acc' });
  const k1 = await store.createApiKey('acc', 'mobile');
  const k2 = await store.createApiKey('acc');
  t.regex(k1.key, /^[0-9a-f]{64}$/);
  t.is((await store.findApiKey(k1.key))?.accountId, 'acc');
  t.is((await store.findApiKey(k1.key))?.label, 'mobile');
  t.is(await store.findApiKey('0'.repeat(64)), undefined);

  // Only the hash is on disk.
  const hashes = await raw.all<{ key_hash: string }>('SELECT key_hash FROM api_keys');
  t.is(hashes.length, 2);
  t.false(hashes.some((h) => h.key_hash === k1.key));

  t.true(await store.revokeApiKey(k1.id));
  t.false(await store.revokeApiKey(k1.id));
  t.is(await store.findApiKey(k1.key), undefined);
  t.true(await store.revokeApiKey(k2.key));
  t.deepEqual(await store.listApiKeys('acc'), []);
});

bothEngines('api keys: an unknown account is refused', async (t, engine) => {
  const store = await engineStore(t, engine);
  await t.throwsAsync(store.createApiKey('nobody'), { message: /no account/ });
});

bothEngines('token revocations: remembered until expiry, then pruned', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.revokeToken('old', Date.now() - 1000);
  await store.revokeToken('jti-1', Date.now() + 60_000);
  t.true(await store.isTokenRevoked('jti-1'));
  t.false(await store.isTokenRevoked('jti-2'));
  // Revoking prunes what has expired: an expired token is refused by its expiry anyway.
  t.false(await store.isTokenRevoked('old'));
});

bothEngines(
  'api keys: active by ID until revoked; rotation replaces every key of the account at once',
  async (t, engine) => {
    const store = await engineStore(t, engine);
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
  },
);

bothEngines(
  'failed logins: counted per client in a window that opens with the first failure; ended windows forgotten',
  async (t, engine) => {
    const store = await engineStore(t, engine);
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
  },
);

bothEngines(
  'failed logins counted at once by two processes: each failure once, no window opened twice',
  async (t, engine) => {
    const raw = await rawDatabase(t, engine);
    await raw.migrate(MIGRATIONS);
    const [a, b] = [await raw.open(), await raw.open()];
    const t0 = 1_700_000_000_000;
    const counts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).recordAuthFailure('10.0.0.9', t0 + i, 60_000)),
    );
    t.deepEqual(
      counts.map((c) => c.failures).sort((x, y) => x - y),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    t.true(counts.every((c) => c.windowEndsAt === counts[0]!.windowEndsAt));
    t.deepEqual(await a.authFailures('10.0.0.9', t0 + 100), { failures: 40, windowEndsAt: counts[0]!.windowEndsAt });
  },
);

bothEngines('api keys rotated at once by two processes: exactly one key stays active', async (t, engine) => {
  const raw = await rawDatabase(t, engine);
  await raw.migrate(MIGRATIONS);
  const [a, b] = [await raw.open(), await raw.open()];
  await a.createAccount({ id: 'acc', name: 'Acc' });
  await a.createApiKey('acc');
  for (let round = 0; round < 5; round++) {
    const rotated = await Promise.all([a.rotateApiKey('acc'), b.rotateApiKey('acc'), a.rotateApiKey('acc')]);
    const active = await b.listApiKeys('acc');
    t.is(active.length, 1);
    t.true(rotated.some((k) => k.id === active[0]!.id));
  }
});
