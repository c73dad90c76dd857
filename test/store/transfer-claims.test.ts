// A transferor's claim on its pair of legs (activities/policy.ts: taken before the resolve's hold), on both engines:
// the first claimer holds the pair until its claim lapses; its own claim renews; a lapsed one is taken over.
import { bothEngines, engineStore } from './engines.ts';

bothEngines('transfer claims: the first holds the pair, renews its own, loses it once lapsed', async (t, engine) => {
  const store = await engineStore(t, engine);
  const now = Date.UTC(2026, 11, 2, 7, 0, 0);
  t.true(await store.claimTransferPair('transfer:a:b', 'a', now + 5000, now));
  t.false(await store.claimTransferPair('transfer:a:b', 'b', now + 5001, now + 1), 'the other party is refused');
  t.true(await store.claimTransferPair('transfer:a:b', 'a', now + 7000, now + 2000), "the claimer's own renews");
  t.false(await store.claimTransferPair('transfer:a:b', 'b', now + 9000, now + 6999), 'renewed until now + 7000');
  t.true(await store.claimTransferPair('transfer:c:d', 'd', now + 5000, now), 'another pair is free');
  t.true(await store.claimTransferPair('transfer:a:b', 'b', now + 12_000, now + 7001), 'lapsed: taken over');
  t.false(await store.claimTransferPair('transfer:a:b', 'a', now + 12_000, now + 7002));
});

bothEngines('transfer claims: two claimers at once, one wins', async (t, engine) => {
  const store = await engineStore(t, engine);
  const now = Date.now();
  const results = await Promise.all(
    ['a', 'b', 'a', 'b'].map((by) => store.claimTransferPair('transfer:a:b', by, now + 5000, now)),
  );
  const winners = new Set(['a', 'b', 'a', 'b'].filter((_, i) => results[i]));
  t.is(winners.size, 1, JSON.stringify(results));
});
