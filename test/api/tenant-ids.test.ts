// IDs do not leak across tenants, and one account cannot break another's transfers through shared media:
// - media IDs are per account: another tenant's media ID is free to use, and says nothing about that tenant;
// - a chosen account ID that is taken is refused in the same words whoever holds it (account IDs are global: they
//   name the account on the switch), never "already exists";
// - media an account of the tree uses (its music on hold or ringback, or a metaflow's moh/ringback) cannot be deleted
//   from under it: 409 naming who uses it, instead of that account's transfers failing with 400 afterwards.
import { startHarness } from './support/server.ts';
import { bothEngines } from '../store/engines.ts';

const hold = (id: string) => ({ data: { id, name: 'Hold', stream_url: 'local_stream://moh' } });

bothEngines(
  'media IDs are per account: the same ID in two tenants, each its own, nothing revealed',
  async (t, store) => {
    const h = await startHarness(t, { store });
    t.is(
      (await h.call('PUT', '/v2/accounts/sibling/media', { token: h.tokens.sibling, body: hold('hold') })).status,
      201,
    );
    // The stranger picks the same ID: before, 409 "a media with this ID already exists".
    const theirs = await h.call('PUT', '/v2/accounts/stranger/media', {
      token: h.tokens.stranger,
      body: { data: { id: 'hold', name: 'Mine', stream_url: 'tone_stream://%(500,500,440)' } },
    });
    t.is(theirs.status, 201, theirs.text);
    t.like(theirs.body.data, { id: 'hold', account_id: 'stranger', name: 'Mine' });
    t.like((await h.call('GET', '/v2/accounts/sibling/media/hold', { token: h.tokens.sibling })).body.data, {
      account_id: 'sibling',
      stream_url: 'local_stream://moh',
    });
    t.like((await h.call('GET', '/v2/accounts/stranger/media/hold', { token: h.tokens.stranger })).body.data, {
      account_id: 'stranger',
      stream_url: 'tone_stream://%(500,500,440)',
    });
    // Within one account an ID is still unique: that is the account's own business.
    const again = await h.call('PUT', '/v2/accounts/stranger/media', { token: h.tokens.stranger, body: hold('hold') });
    t.is(again.status, 409);
    // Deleting one leaves the other.
    t.is((await h.call('DELETE', '/v2/accounts/stranger/media/hold', { token: h.tokens.stranger })).status, 200);
    t.is((await h.call('GET', '/v2/accounts/sibling/media/hold', { token: h.tokens.sibling })).status, 200);
  },
);

bothEngines(
  'an account uses the nearest media of an ID: its own, else its parent’s, and so on up',
  async (t, store) => {
    const h = await startHarness(t, { store });
    await h.store.createMedia({ id: 'hold', accountId: 'root', name: 'Root hold', streamUrl: 'local_stream://root' });
    t.is((await h.store.findMediaForAccount('grandchild', 'hold'))?.streamUrl, 'local_stream://root');
    await h.store.createMedia({
      id: 'hold',
      accountId: 'child',
      name: 'Child hold',
      streamUrl: 'local_stream://child',
    });
    t.is((await h.store.findMediaForAccount('grandchild', 'hold'))?.streamUrl, 'local_stream://child');
    t.is((await h.store.findMediaForAccount('sibling', 'hold'))?.streamUrl, 'local_stream://root');
    t.is(await h.store.findMediaForAccount('stranger', 'hold'), undefined);
  },
);

bothEngines(
  'a taken account ID: the same opaque 400 whether the holder is yours or another tenant’s',
  async (t, store) => {
    const h = await startHarness(t, { store });
    // 'grandchild' is in the caller's own tree, 'sibling' is not the child's to see, 'stranger' is another tenant.
    const answers = [];
    for (const id of ['grandchild', 'sibling', 'stranger']) {
      const res = await h.call('PUT', '/v2/accounts/child', {
        token: h.tokens.child,
        body: { data: { id, name: 'X' } },
      });
      t.is(res.status, 400, id);
      t.false(/exist/i.test(res.text), res.text);
      answers.push(res.body.data);
    }
    t.deepEqual(answers, Array(3).fill(answers[0]));
    t.deepEqual(answers[0], {
      id: { unavailable: { message: 'this ID cannot be used: choose another, or leave id out to have one generated' } },
    });
    t.is((await h.store.listAccounts()).length, 5);
  },
);

bothEngines(
  'media used as another account’s default cannot be deleted: 409 naming the users; free once unused',
  async (t, store) => {
    const h = await startHarness(t, { store });
    await h.call('PUT', '/v2/accounts/root/media', { token: h.tokens.root, body: hold('hold') });
    await h.call('PUT', '/v2/accounts/root/media', {
      token: h.tokens.root,
      body: { data: { id: 'ring', name: 'Ring', stream_url: 'tone_stream://%(1000,4000,425)' } },
    });
    t.is(
      (
        await h.call('POST', '/v2/accounts/child', {
          token: h.tokens.child,
          body: { data: { music_on_hold: { media_id: 'hold' }, ringback: 'ring' } },
        })
      ).status,
      200,
    );
    t.is(
      (
        await h.call('POST', '/v2/accounts/grandchild/users/u1/metaflows', {
          token: h.tokens.grandchild,
          body: { data: { numbers: { '2': { module: 'transfer', data: { target: '2600', moh: 'hold' } } } } },
        })
      ).status,
      200,
    );

    // Before: 200, and the child's transfers were refused from then on (400 invalid_media).
    const refused = await h.call('DELETE', '/v2/accounts/root/media/hold', { token: h.tokens.root });
    t.is(refused.status, 409);
    t.like(refused.body, { error: '409', message: 'conflict' });
    const inUse = (refused.body.data as { id: { in_use: { message: string; used_by: unknown[] } } }).id.in_use;
    t.deepEqual(inUse.used_by, [
      { account_id: 'child', field: 'music_on_hold.media_id' },
      { account_id: 'grandchild', field: 'metaflows (user u1): numbers.2.data.moh' },
    ]);
    t.regex(inUse.message, /in use/);
    t.like((await h.call('DELETE', '/v2/accounts/root/media/ring', { token: h.tokens.root })).body.data, {
      id: { in_use: { used_by: [{ account_id: 'child', field: 'ringback' }] } },
    });
    t.is((await h.store.listMedia('root', { size: 50 })).items.length, 2);

    // Once nobody uses it, or someone nearer has their own of that ID, the delete goes through.
    await h.call('POST', '/v2/accounts/child', {
      token: h.tokens.child,
      body: { data: { music_on_hold: { media_id: null } } },
    });
    await h.store.createMedia({ id: 'hold', accountId: 'grandchild', name: 'Own', streamUrl: 'local_stream://gc' });
    t.is((await h.call('DELETE', '/v2/accounts/root/media/hold', { token: h.tokens.root })).status, 200);
    // The account's own default counts too.
    await h.call('POST', '/v2/accounts/grandchild', {
      token: h.tokens.grandchild,
      body: { data: { music_on_hold: { media_id: 'hold' } } },
    });
    const own = await h.call('DELETE', '/v2/accounts/grandchild/media/hold', { token: h.tokens.grandchild });
    t.is(own.status, 409);
    t.like(own.body.data, {
      id: { in_use: { used_by: [{ account_id: 'grandchild', field: 'music_on_hold.media_id' }] } },
    });
  },
);
