// A transferor's claim on its pair of legs (activities/policy.ts: taken before the resolve's hold), on both engines:
// the first claimer holds the pair until its claim lapses; its own claim renews; a lapsed one is taken over; a claim
// whose transfer has run and ended is released, that claim exactly, and claimed again by one of two at once.
import { bothEngines, engineStore } from './engines.ts';

bothEngines('transfer claims: the first holds the pair, renews its own, loses it once lapsed', async (t, engine) => {
  const store = await engineStore(t, engine);
  const now = Date.UTC(2026, 11, 2, 7, 0, 0);
  t.true(await store.claimTransferPair('transfer:a:b', 'a', now + 5000, now, now));
  t.false(
    await store.claimTransferPair('transfer:a:b', 'b', now + 5001, now + 1, now + 1),
    'the other party is refused',
  );
  t.true(
    await store.claimTransferPair('transfer:a:b', 'a', now + 7000, now + 2000, now + 2000),
    "the claimer's own renews",
  );
  t.false(await store.claimTransferPair('transfer:a:b', 'b', now + 9000, now + 6999, now), 'renewed until now + 7000');
  t.true(await store.claimTransferPair('transfer:c:d', 'd', now + 5000, now, now), 'another pair is free');
  t.true(await store.claimTransferPair('transfer:a:b', 'b', now + 12_000, now + 7001, now), 'lapsed: taken over');
  t.false(await store.claimTransferPair('transfer:a:b', 'a', now + 12_000, now + 7002, now));
});

bothEngines('transfer claims: two claimers at once, one wins', async (t, engine) => {
  const store = await engineStore(t, engine);
  const now = Date.now();
  const results = await Promise.all(
    ['a', 'b', 'a', 'b'].map((by) => store.claimTransferPair('transfer:a:b', by, now + 5000, now, now)),
  );
  const winners = new Set(['a', 'b', 'a', 'b'].filter((_, i) => results[i]));
  t.is(winners.size, 1, JSON.stringify(results));
});

bothEngines('transfer claims: read with when it was made; a release ends that claim only', async (t, engine) => {
  const store = await engineStore(t, engine);
  const now = Date.UTC(2026, 11, 2, 7, 0, 0);
  t.is(await store.transferPairClaim('transfer:a:b'), undefined);
  t.true(await store.claimTransferPair('transfer:a:b', 'a', now + 5000, now, now - 3));
  const first = await store.transferPairClaim('transfer:a:b');
  t.deepEqual(first, { pair: 'transfer:a:b', by: 'a', until: now + 5000, at: now - 3 });
  t.true(await store.claimTransferPair('transfer:a:b', 'a', now + 6000, now + 1000, now + 997), 'renewed');
  t.deepEqual(await store.transferPairClaim('transfer:a:b'), {
    pair: 'transfer:a:b',
    by: 'a',
    until: now + 6000,
    at: now + 997,
  });
  t.false(await store.releaseTransferPair(first!), 'the claim read before was renewed since: not released');
  t.false(await store.claimTransferPair('transfer:a:b', 'b', now + 7000, now + 2000, now + 2000));
  const renewed = (await store.transferPairClaim('transfer:a:b'))!;
  t.true(await store.releaseTransferPair(renewed));
  t.is(await store.transferPairClaim('transfer:a:b'), undefined);
  t.false(await store.releaseTransferPair(renewed), 'released once');
  t.true(await store.claimTransferPair('transfer:a:b', 'b', now + 7000, now + 2000, now + 2000), 'free again');
});

bothEngines('transfer claims: released, then claimed by two at once: one wins', async (t, engine) => {
  const store = await engineStore(t, engine);
  for (let round = 0; round < 10; round++) {
    const now = Date.now();
    const pair = `transfer:a:b${round}`;
    t.true(await store.claimTransferPair(pair, 'a', now + 5000, now, now));
    const held = (await store.transferPairClaim(pair))!;
    // The other party releases the spent claim and claims again while the claimer renews its own.
    const [, ...results] = await Promise.all([
      store.releaseTransferPair(held),
      store.claimTransferPair(pair, 'b', now + 5000, now, now + 1),
      store.claimTransferPair(pair, 'a', now + 5001, now, now + 1),
    ]);
    t.is(results.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(results)}`);
  }
});
