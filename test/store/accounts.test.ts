import { StoreError } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { MIGRATIONS } from '../../store/migrations.ts';
import { bothEngines, engineStore, rawDatabase } from './engines.ts';

bothEngines('accounts: chosen Kazoo IDs are kept, others are generated as 32 hex', async (t, engine) => {
  const store = await engineStore(t, engine);
  const kazooId = '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21';
  const a = await store.createAccount({ id: kazooId, name: 'Reseller' });
  t.is(a.id, kazooId);
  t.is(a.parentId, null);
  const b = await store.createAccount({ name: 'Generated', parentId: kazooId });
  t.regex(b.id, /^[0-9a-f]{32}$/);
  t.is(b.parentId, kazooId);
  t.deepEqual(await store.getAccount(b.id), b);
});

bothEngines('accounts: duplicate IDs, unknown parents and malformed IDs are StoreErrors', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.createAccount({ id: 'root', name: 'Root' });
  const dup = await t.throwsAsync(store.createAccount({ id: 'root', name: 'Again' }), { instanceOf: StoreError });
  t.is(dup.code, 'conflict');
  const orphan = await t.throwsAsync(store.createAccount({ name: 'Orphan', parentId: 'nope' }), {
    instanceOf: StoreError,
  });
  t.is(orphan.code, 'not_found');
  t.is(orphan.field, 'parent_id');
  const bad = await t.throwsAsync(store.createAccount({ id: 'a b', name: 'Bad' }), { instanceOf: StoreError });
  t.is(bad.code, 'invalid');
});

bothEngines('accounts: the tree answers ancestry, descendants and self-or-descendant', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.createAccount({ id: 'root', name: 'Root' });
  await store.createAccount({ id: 'child', name: 'Child', parentId: 'root' });
  await store.createAccount({ id: 'sibling', name: 'Sibling', parentId: 'root' });
  await store.createAccount({ id: 'grandchild', name: 'Grandchild', parentId: 'child' });
  await store.createAccount({ id: 'stranger', name: 'Stranger' });

  t.deepEqual(await store.ancestry('grandchild'), ['grandchild', 'child', 'root']);
  t.deepEqual(await store.ancestry('unknown'), []);
  // Kazoo's order: by name (then ID), each with its tree (ancestors, root first).
  const below = await store.listDescendants('root', { size: 50 });
  t.deepEqual(
    below.items.map((a) => [a.id, a.tree]),
    [
      ['child', ['root']],
      ['grandchild', ['root', 'child']],
      ['sibling', ['root']],
    ],
  );
  t.is(below.nextStartKey, undefined);
  t.deepEqual(
    (await store.listChildren('root', { size: 50 })).items.map((a) => a.id),
    ['child', 'sibling'],
  );
  t.deepEqual((await store.listChildren('grandchild', { size: 50 })).items, []);
  t.true(await store.isDescendantOrSelf('root', 'grandchild'));
  t.true(await store.isDescendantOrSelf('child', 'child'));
  t.false(await store.isDescendantOrSelf('child', 'sibling'));
  t.false(await store.isDescendantOrSelf('grandchild', 'child'));
  t.false(await store.isDescendantOrSelf('root', 'stranger'));
  t.false(await store.isDescendantOrSelf('root', 'unknown'));
  t.deepEqual((await store.listAccounts()).length, 5);
});

bothEngines('accounts: music on hold and ringback can be set and cleared', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.createAccount({ id: 'root', name: 'Root', musicOnHoldMediaId: 'm1' });
  let a = await store.updateAccount('root', { name: 'Renamed', ringback: 'tone_stream://%(1000,4000,425)' });
  t.is(a?.name, 'Renamed');
  t.is(a?.musicOnHoldMediaId, 'm1');
  t.is(a?.ringback, 'tone_stream://%(1000,4000,425)');
  a = await store.updateAccount('root', { musicOnHoldMediaId: null });
  t.is(a?.musicOnHoldMediaId, undefined);
  t.is(await store.updateAccount('missing', { name: 'x' }), undefined);
});

/** root → a0 → a1 → ... → a{n-1}: a chain n accounts deep below root. */
async function chain(store: Store, n: number): Promise<void> {
  await store.createAccount({ id: 'root', name: 'Root' });
  for (let i = 0; i < n; i++) {
    await store.createAccount({
      id: `a${i}`,
      name: `A${String(i).padStart(4, '0')}`,
      parentId: i ? `a${i - 1}` : 'root',
    });
  }
}

bothEngines(
  'accounts: the tree is at most maxDepth deep and an account has at most maxChildren children',
  async (t, engine) => {
    const store = await engineStore(t, engine, { accountTree: { maxDepth: 3, maxChildren: 2 } });
    await chain(store, 3);
    t.deepEqual(await store.ancestry('a2'), ['a2', 'a1', 'a0', 'root']);
    const deep = await t.throwsAsync(store.createAccount({ id: 'a3', name: 'Too deep', parentId: 'a2' }), {
      instanceOf: StoreError,
    });
    t.like(deep, { code: 'limit', field: 'tree', target: 3 });
    t.is(await store.getAccount('a3'), undefined);

    await store.createAccount({ id: 'b', name: 'B', parentId: 'root' });
    const wide = await t.throwsAsync(store.createAccount({ id: 'c', name: 'C', parentId: 'root' }), {
      instanceOf: StoreError,
    });
    t.like(wide, { code: 'limit', field: 'parent_id', target: 2 });
    // Top-level accounts have no parent to count against.
    await store.createAccount({ id: 'top2', name: 'Top' });
    t.truthy(await store.getAccount('top2'));
  },
);

bothEngines(
  'accounts: children and descendants come in pages, by name then ID, resumed from an opaque key',
  async (t, engine) => {
    const store = await engineStore(t, engine);
    await store.createAccount({ id: 'root', name: 'Root' });
    // Same names on purpose: the ID breaks the tie, so no account is skipped or repeated across pages.
    for (const id of ['e', 'd', 'c', 'b', 'a']) await store.createAccount({ id, name: 'Same', parentId: 'root' });
    await store.createAccount({ id: 'z', name: 'Alpha', parentId: 'c' });
    const seen: string[] = [];
    let startKey: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.listDescendants('root', { size: 2, startKey });
      t.true(page.items.length <= 2);
      seen.push(...page.items.map((a) => a.id));
      startKey = page.nextStartKey;
      if (!startKey) break;
    }
    t.deepEqual(seen, ['z', 'a', 'b', 'c', 'd', 'e']);
    const children = await store.listChildren('root', { size: 4 });
    t.deepEqual(
      children.items.map((a) => a.id),
      ['a', 'b', 'c', 'd'],
    );
    t.deepEqual(
      (await store.listChildren('root', { size: 4, startKey: children.nextStartKey })).items.map((a) => a.id),
      ['e'],
    );
    // A rename moves the account in the order at once.
    await store.updateAccount('e', { name: 'Aardvark' });
    t.is((await store.listDescendants('root', { size: 1 })).items[0]?.id, 'e');
    for (const bad of [
      'garbage',
      Buffer.from('["x"]').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
    ]) {
      const err = await t.throwsAsync(store.listDescendants('root', { size: 2, startKey: bad }), {
        instanceOf: StoreError,
      });
      t.like(err, { code: 'invalid', field: 'start_key' });
    }
  },
);

bothEngines(
  'accounts: a database made before the tree index gets it on opening, deep chains included',
  async (t, engine) => {
    const raw = await rawDatabase(t, engine);
    await raw.migrate(MIGRATIONS.filter((m) => m.id === 1));
    const insert = 'INSERT INTO accounts (id, name, parent_id, created_at) VALUES (?, ?, ?, ?)';
    await raw.run(insert, 'root', 'Root', null, 1);
    for (let i = 0; i < 300; i++) await raw.run(insert, `a${i}`, `A${i}`, i ? `a${i - 1}` : 'root', 2 + i);
    await raw.run(insert, 'other', 'Other', null, 1000);

    // The chain is deeper than the limit (made before there was one): it stays readable, it cannot grow.
    const store = await raw.open({ accountTree: { maxDepth: 16, maxChildren: 100 } });
    t.is((await store.ancestry('a299')).length, 301);
    t.true(await store.isDescendantOrSelf('root', 'a299'));
    t.false(await store.isDescendantOrSelf('other', 'a299'));
    const page = await store.listDescendants('root', { size: 50 });
    t.is(page.items.length, 50);
    t.truthy(page.nextStartKey);
    t.is(page.items.find((a) => a.id === 'a10')?.tree.length, 11);
    await t.throwsAsync(store.createAccount({ name: 'Deeper', parentId: 'a299' }), { instanceOf: StoreError });
  },
);

bothEngines('accounts: children added at once by two processes stop exactly at maxChildren', async (t, engine) => {
  const raw = await rawDatabase(t, engine);
  await raw.migrate(MIGRATIONS);
  const limits = { accountTree: { maxDepth: 16, maxChildren: 5 } };
  const [a, b] = [await raw.open(limits), await raw.open(limits)];
  await a.createAccount({ id: 'root', name: 'Root' });
  const results = await Promise.allSettled(
    Array.from({ length: 16 }, (_, i) =>
      (i % 2 ? a : b).createAccount({ id: `c${i}`, name: `C${i}`, parentId: 'root' }),
    ),
  );
  t.is(results.filter((r) => r.status === 'fulfilled').length, 5);
  for (const r of results) {
    if (r.status === 'rejected') t.like(r.reason, { code: 'limit', field: 'parent_id' });
  }
  t.is((await b.listChildren('root', { size: 50 })).items.length, 5);
});
