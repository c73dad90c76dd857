// Nodes' liveness: when an ingest last had each node's switch connected, kept in the store so that the node workers
// can tell a node lost for good. A later time wins; one worker at a time claims a lost node (a lease, taken over when
// it lapses); a node seen again is no longer claimed, and is forgotten only if not seen again meanwhile.
import { bothEngines, engineStore } from './engines.ts';

const t0 = Date.UTC(2026, 11, 1, 9, 0, 0);

bothEngines(
  'nodes last seen connected: the latest time wins; lost ones claimed oldest first, forgotten',
  async (t, e) => {
    const store = await engineStore(t, e);
    await store.nodeConnected('fs1', t0);
    await store.nodeConnected('fs2', t0 + 5000);
    await store.nodeConnected('fs1', t0 + 1000);
    await store.nodeConnected('fs1', t0 + 500); // an older write (the pair's other process) changes nothing
    const now = t0 + 10_000;
    t.deepEqual(await store.claimLostNodes(t0 + 2000, 'a', now + 60_000, now), [
      { node: 'fs1', connectedAt: t0 + 1000 },
    ]);
    t.deepEqual(await store.claimLostNodes(t0 + 10_000, 'b', now + 60_000, now), [
      { node: 'fs2', connectedAt: t0 + 5000 },
    ]);
    // Seen again after it was claimed: the claim ends, and it is not forgotten.
    await store.nodeConnected('fs1', t0 + 20_000);
    t.false(await store.forgetNode('fs1', t0 + 1000));
    t.deepEqual(await store.claimLostNodes(t0 + 15_000, 'a', now + 60_000, now), []);
    t.true(await store.forgetNode('fs2', t0 + 5000));
    t.false(await store.forgetNode('fs2', t0 + 5000));
    t.deepEqual(await store.claimLostNodes(t0 + 100_000, 'c', now + 60_000, now), [
      { node: 'fs1', connectedAt: t0 + 20_000 },
    ]);
  },
);

bothEngines(
  'a lost node is claimed by one worker at a time; its own claim is renewed, a lapsed one taken over',
  async (t, e) => {
    const store = await engineStore(t, e);
    await store.nodeConnected('fs9', t0);
    const lost = t0 + 1000;
    const claims = await Promise.all(
      ['a', 'b', 'c', 'd'].map((by) => store.claimLostNodes(lost, by, t0 + 60_000, t0 + 2000)),
    );
    t.is(claims.filter((c) => c.length === 1).length, 1, 'exactly one claimer');
    const owner = ['a', 'b', 'c', 'd'][claims.findIndex((c) => c.length === 1)]!;
    const other = owner === 'a' ? 'b' : 'a';
    t.deepEqual(await store.claimLostNodes(lost, other, t0 + 90_000, t0 + 30_000), [], 'held until the lease ends');
    t.is((await store.claimLostNodes(lost, owner, t0 + 90_000, t0 + 30_000)).length, 1, 'renewed by its owner');
    t.is((await store.claimLostNodes(lost, other, t0 + 200_000, t0 + 95_000)).length, 1, 'taken over once lapsed');
  },
);
