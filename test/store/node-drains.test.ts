// Drained nodes (the on-call CLI's `drain`): kept in the store so every node worker of the node sees them, on both
// engines. A second drain keeps the first one's time and author; undraining twice is harmless.
import { bothEngines, engineStore } from './engines.ts';

bothEngines('node drains: set, read, kept as first set, cleared', async (t, engine) => {
  const store = await engineStore(t, engine);
  t.is(await store.nodeDrain('fs1'), undefined);
  const since = Date.UTC(2026, 11, 1, 9, 0, 0);
  await store.setNodeDrain('fs1', { since, by: 'ctl@ops1' });
  t.deepEqual(await store.nodeDrain('fs1'), { since, by: 'ctl@ops1' });
  await store.setNodeDrain('fs1', { since: since + 1000, by: 'ctl@ops2' });
  t.deepEqual(await store.nodeDrain('fs1'), { since, by: 'ctl@ops1' }, 'the first drain is kept');
  t.is(await store.nodeDrain('fs2'), undefined, 'another node is not drained');
  await store.setNodeDrain('fs1', undefined);
  await store.setNodeDrain('fs1', undefined);
  t.is(await store.nodeDrain('fs1'), undefined);
  await store.ping();
});
