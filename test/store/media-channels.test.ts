import test from 'ava';
import { openPostgresStore, type ChannelRecord } from '../../store/index.ts';
import { bothEngines, engineStore, tempSchemaUrl } from './engines.ts';

bothEngines('media: an account plays its own and its ancestors’ media, never a sibling’s', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.createAccount({ id: 'root', name: 'Root' });
  await store.createAccount({ id: 'child', name: 'Child', parentId: 'root' });
  await store.createAccount({ id: 'sibling', name: 'Sibling', parentId: 'root' });
  const rootMoh = await store.createMedia({
    id: 'root-moh',
    accountId: 'root',
    name: 'Hold',
    streamUrl: 'local_stream://moh',
  });
  const sib = await store.createMedia({
    accountId: 'sibling',
    name: 'Tone',
    streamUrl: 'tone_stream://%(500,500,440)',
  });
  t.regex(sib.id, /^[0-9a-f]{32}$/);
  t.deepEqual(await store.findMediaForAccount('child', 'root-moh'), rootMoh);
  t.is(await store.findMediaForAccount('child', sib.id), undefined);
  t.is(await store.findMediaForAccount('root', sib.id), undefined);
  t.is(await store.findMediaForAccount('child', 'missing'), undefined);
  t.deepEqual(await store.listMedia('root', { size: 50 }), { items: [rootMoh] });
  await t.throwsAsync(store.createMedia({ id: 'root-moh', accountId: 'root', name: 'x', streamUrl: 'y' }), {
    message: /has a media root-moh already/,
  });
  // Per account: the sibling may have a root-moh of its own; the root's stays the root's.
  const sibMoh = await store.createMedia({ id: 'root-moh', accountId: 'sibling', name: 'x', streamUrl: 'y' });
  t.deepEqual(await store.findMediaForAccount('sibling', 'root-moh'), sibMoh);
  t.deepEqual(await store.findMediaForAccount('child', 'root-moh'), rootMoh);
  t.deepEqual(await store.deleteMedia('root', 'root-moh'), { deleted: true, usedBy: [] });
  t.is(await store.getMedia('root', 'root-moh'), undefined);
  t.deepEqual(await store.getMedia('sibling', 'root-moh'), sibMoh);
  t.deepEqual(await store.deleteMedia('root', 'root-moh'), { deleted: false, usedBy: [] });
});

bothEngines(
  'media in use by an account of the subtree (defaults, metaflows) is not deleted; shadowed IDs do not count',
  async (t, engine) => {
    const store = await engineStore(t, engine);
    await store.createAccount({ id: 'root', name: 'Root' });
    await store.createAccount({ id: 'child', name: 'Child', parentId: 'root', ringback: 'tone' });
    await store.createAccount({ id: 'gc', name: 'GC', parentId: 'child', musicOnHoldMediaId: 'hold' });
    await store.createAccount({ id: 'other', name: 'Other', musicOnHoldMediaId: 'hold' });
    await store.createMedia({ id: 'hold', accountId: 'root', name: 'Hold', streamUrl: 'local_stream://moh' });
    await store.createMedia({ id: 'tone', accountId: 'root', name: 'Tone', streamUrl: 'tone_stream://%(1,2,3)' });
    await store.setMetaflows(
      { accountId: 'child', level: 'device', ownerId: 'd_1' },
      { patterns: { '^5(\\d+)$': { module: 'transfer', data: { ringback: 'hold' } } } },
    );
    t.deepEqual(await store.deleteMedia('root', 'hold'), {
      deleted: false,
      usedBy: [
        { accountId: 'gc', field: 'music_on_hold.media_id' },
        { accountId: 'child', field: 'metaflows (device d_1): patterns.^5(\\d+)$.data.ringback' },
      ],
    });
    t.deepEqual((await store.deleteMedia('root', 'tone')).usedBy, [{ accountId: 'child', field: 'ringback' }]);
    // The child gets a hold of its own: the grandchild and the child's metaflow play that one now.
    await store.createMedia({ id: 'hold', accountId: 'child', name: 'Own', streamUrl: 'local_stream://own' });
    t.deepEqual(await store.deleteMedia('root', 'hold'), { deleted: true, usedBy: [] });
    t.is((await store.deleteMedia('child', 'hold')).usedBy.length, 2);
  },
);

function channel(callId: string, over: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    callId,
    node: 'fs1',
    accountId: 'acc',
    direction: 'inbound',
    callerIdName: 'Alice',
    callerIdNumber: '1000',
    calleeIdNumber: '1001',
    answered: false,
    bridgedTo: null,
    createdAt: 1000,
    updatedAt: 1000,
    ...over,
  };
}

bothEngines('channels: upsert, get, list by accounts and by node, remove', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.upsertChannel(channel('a'));
  await store.upsertChannel(channel('b', { accountId: 'other', node: 'fs2', createdAt: 1001, updatedAt: 1001 }));
  await store.upsertChannel(
    channel('c', { accountId: null, direction: undefined, callerIdName: undefined, createdAt: 1002, updatedAt: 1002 }),
  );
  await store.upsertChannel(channel('a', { answered: true, bridgedTo: 'b', updatedAt: 2000 }));

  t.deepEqual(await store.getChannel('a'), channel('a', { answered: true, bridgedTo: 'b', updatedAt: 2000 }));
  const c = await store.getChannel('c');
  t.is(c?.accountId, null);
  t.false(c !== undefined && 'direction' in c);
  t.deepEqual(
    (await store.listChannels(['acc', 'other'])).map((r) => r.callId),
    ['a', 'b'],
  );
  t.deepEqual(await store.listChannels([]), []);
  t.deepEqual(
    (await store.listNodeChannels('fs1')).map((r) => r.callId),
    ['a', 'c'],
  );

  await store.removeChannel('a');
  t.is(await store.getChannel('a'), undefined);
  t.deepEqual(
    (await store.listChannels(['acc'])).map((r) => r.callId),
    [],
  );
});

bothEngines(
  'channels: stale upserts and upserts after removal are ignored (two ingests on one node)',
  async (t, engine) => {
    const store = await engineStore(t, engine);
    await store.upsertChannel(channel('a', { answered: true, updatedAt: 3000 }));
    await store.upsertChannel(channel('a', { answered: false, updatedAt: 2000 }));
    t.true((await store.getChannel('a'))?.answered);

    await store.removeChannel('a');
    await store.upsertChannel(channel('a', { updatedAt: 4000 }));
    t.is(await store.getChannel('a'), undefined);

    // A removal seen before the channel's first upsert also wins.
    await store.removeChannel('z');
    await store.upsertChannel(channel('z'));
    t.is(await store.getChannel('z'), undefined);
  },
);

// Both ingests of a node write the same channels, each in batches cut at its own moments, so the same rows come in
// different orders; PostgreSQL locks a statement's rows one by one, and two statements locking shared rows in
// opposite orders deadlock (one of them fails). Here the second batch is the first reversed, each big enough that the
// two statements overlap, several times over, with removals among the rows the last time.
test('postgres: two ingests writing the same channels in opposite orders at once: no deadlock, both writes land', async (t) => {
  const url = await tempSchemaUrl(t);
  const [first, second] = [await openPostgresStore(url), await openPostgresStore(url)];
  t.teardown(() => Promise.all([first.close(), second.close()]));
  const ids = Array.from({ length: 3000 }, (_, i) => `c${String(i).padStart(4, '0')}`);
  await first.writeChannels({ upserts: ids.map((id) => channel(id)), removals: [] });
  for (let round = 1; round <= 4; round++) {
    const upserts = ids.map((id) => channel(id, { answered: true, updatedAt: 1000 + round }));
    await Promise.all([
      first.writeChannels({ upserts, removals: [] }),
      second.writeChannels({ upserts: [...upserts].reverse(), removals: [] }),
    ]);
  }
  // The last round: the odd channels hang up, seen by both ingests, each with the even ones' later state.
  const odd = ids.filter((_, i) => i % 2 === 1);
  const even = ids.filter((_, i) => i % 2 === 0).map((id) => channel(id, { answered: true, updatedAt: 2000 }));
  await Promise.all([
    first.writeChannels({ upserts: even, removals: odd }),
    second.writeChannels({ upserts: [...even].reverse(), removals: [...odd].reverse() }),
  ]);
  const left = await first.listNodeChannels('fs1');
  t.is(left.length, even.length);
  t.true(left.every((c) => c.answered && c.updatedAt === 2000 && Number(c.callId.slice(1)) % 2 === 0));
});

bothEngines('channels: who they belong to round-trips; lists by user, by device, and by tree', async (t, engine) => {
  const store = await engineStore(t, engine);
  await store.createAccount({ id: 'root', name: 'Root' });
  await store.createAccount({ id: 'child', name: 'Child', parentId: 'root' });
  await store.createAccount({ id: 'other', name: 'Other' });
  const base = { node: 'fs1', answered: true, bridgedTo: null, createdAt: 1, updatedAt: 1 };
  const mine: ChannelRecord = {
    ...base,
    callId: 'a',
    accountId: 'child',
    ownerId: 'u1',
    authorizingId: 'd1',
    authorizingType: 'device',
    presenceId: 'u1@realm',
    username: 'user1',
    destination: '2600',
    calleeIdName: 'Carol',
    details: { ccvs: { 'Owner-ID': 'u1', 'Account-Billing': 'flat_rate' }, from: 'sip:1001@realm', isLoopback: false },
  };
  await store.upsertChannel(mine);
  await store.upsertChannel({ ...base, callId: 'b', accountId: 'child', ownerId: 'u2', authorizingId: 'd2' });
  await store.upsertChannel({ ...base, callId: 'c', accountId: 'root' });
  await store.upsertChannel({ ...base, callId: 'd', accountId: 'other', ownerId: 'u1' });
  t.deepEqual(await store.getChannel('a'), mine);
  const ids = (rs: ChannelRecord[]) => rs.map((r) => r.callId).sort();
  t.deepEqual(ids(await store.listChannels(['child'], { ownerId: 'u1' })), ['a']);
  t.deepEqual(ids(await store.listChannels(['child'], { authorizingId: 'd2' })), ['b']);
  t.deepEqual(ids(await store.listChannels(['child'])), ['a', 'b']);
  t.deepEqual(ids(await store.listTreeChannels('root')), ['a', 'b', 'c']);
  t.deepEqual(ids(await store.listTreeChannels('child')), ['a', 'b']);
  t.deepEqual(ids(await store.listTreeChannels('other')), ['d']);
});
