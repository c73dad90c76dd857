import test from 'ava';
import { StoreError } from '../../store/index.ts';
import { tempStore } from './temp-db.ts';

test('accounts: chosen Kazoo IDs are kept, others are generated as 32 hex', async (t) => {
  const store = tempStore(t);
  const kazooId = '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21';
  const a = await store.createAccount({ id: kazooId, name: 'Reseller' });
  t.is(a.id, kazooId);
  t.is(a.parentId, null);
  const b = await store.createAccount({ name: 'Generated', parentId: kazooId });
  t.regex(b.id, /^[0-9a-f]{32}$/);
  t.is(b.parentId, kazooId);
  t.deepEqual(await store.getAccount(b.id), b);
});

test('accounts: duplicate IDs, unknown parents and malformed IDs are StoreErrors', async (t) => {
  const store = tempStore(t);
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

test('accounts: the tree answers ancestry, descendants and self-or-descendant', async (t) => {
  const store = tempStore(t);
  await store.createAccount({ id: 'root', name: 'Root' });
  await store.createAccount({ id: 'child', name: 'Child', parentId: 'root' });
  await store.createAccount({ id: 'sibling', name: 'Sibling', parentId: 'root' });
  await store.createAccount({ id: 'grandchild', name: 'Grandchild', parentId: 'child' });
  await store.createAccount({ id: 'stranger', name: 'Stranger' });

  t.deepEqual(await store.ancestry('grandchild'), ['grandchild', 'child', 'root']);
  t.deepEqual(await store.ancestry('unknown'), []);
  t.deepEqual(
    (await store.listDescendants('root')).map((a) => a.id),
    ['child', 'sibling', 'grandchild'],
  );
  t.deepEqual(
    (await store.listChildren('root')).map((a) => a.id),
    ['child', 'sibling'],
  );
  t.true(await store.isDescendantOrSelf('root', 'grandchild'));
  t.true(await store.isDescendantOrSelf('child', 'child'));
  t.false(await store.isDescendantOrSelf('child', 'sibling'));
  t.false(await store.isDescendantOrSelf('grandchild', 'child'));
  t.false(await store.isDescendantOrSelf('root', 'stranger'));
  t.false(await store.isDescendantOrSelf('root', 'unknown'));
  t.deepEqual((await store.listAccounts()).length, 5);
});

test('accounts: music on hold and ringback can be set and cleared', async (t) => {
  const store = tempStore(t);
  await store.createAccount({ id: 'root', name: 'Root', musicOnHoldMediaId: 'm1' });
  let a = await store.updateAccount('root', { name: 'Renamed', ringback: 'tone_stream://%(1000,4000,425)' });
  t.is(a?.name, 'Renamed');
  t.is(a?.musicOnHoldMediaId, 'm1');
  t.is(a?.ringback, 'tone_stream://%(1000,4000,425)');
  a = await store.updateAccount('root', { musicOnHoldMediaId: null });
  t.is(a?.musicOnHoldMediaId, undefined);
  t.is(await store.updateAccount('missing', { name: 'x' }), undefined);
});
