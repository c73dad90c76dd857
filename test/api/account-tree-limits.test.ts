// The account tree cannot be grown without end by one tenant (ACCOUNT_MAX_DEPTH, ACCOUNT_MAX_CHILDREN: 400 in Kazoo's
// validation shape), and children and descendants are listed in pages, Kazoo's way (page_size, start_key,
// next_start_key), so no listing does work in proportion to the tree. Before: a 1,500-deep chain could be created
// and GET …/descendants answered all of it at once (1.25 s of synchronous store work, every other request waiting).
import { MAX_PAGE_SIZE } from '../../api/pagination.ts';
import { startHarness } from './support/server.ts';
import { bothEngines } from '../store/engines.ts';

bothEngines(
  'a chain deeper than ACCOUNT_MAX_DEPTH is refused with a 400 naming the tree and the limit',
  async (t, store) => {
    const h = await startHarness(t, { store, accountTree: { maxDepth: 4 } });
    // root → child → grandchild exist; two more levels are allowed, the next is not.
    let parent = 'grandchild';
    for (const id of ['level3', 'level4']) {
      const res = await h.call('PUT', `/v2/accounts/${parent}`, {
        token: h.tokens.root,
        body: { data: { id, name: id } },
      });
      t.is(res.status, 201, res.text);
      parent = id;
    }
    const res = await h.call('PUT', '/v2/accounts/level4', {
      token: h.tokens.root,
      body: { data: { name: 'level5' } },
    });
    t.is(res.status, 400);
    t.like(res.body, { status: 'error', error: '400', message: 'validation error' });
    t.deepEqual(res.body.data, {
      tree: { maxItems: { message: 'an account may have at most 4 ancestors (ACCOUNT_MAX_DEPTH)', target: 4 } },
    });
    t.is((await h.store.listAccounts()).length, 7);
  },
);

bothEngines('the default depth stops the reported 1,500-deep chain at 16 levels', async (t, store) => {
  const h = await startHarness(t, { store });
  let parent = 'root';
  let created = 0;
  for (let i = 0; i < 1500; i++) {
    const res = await h.call('PUT', `/v2/accounts/${parent}`, {
      token: h.tokens.root,
      body: { data: { id: `deep${i}`, name: `Deep ${i}` } },
    });
    if (res.status !== 201) {
      t.is(res.status, 400);
      t.like(res.body.data, { tree: { maxItems: { target: 16 } } });
      break;
    }
    created++;
    parent = `deep${i}`;
  }
  t.is(created, 16);
});

bothEngines('more children than ACCOUNT_MAX_CHILDREN: 400 naming parent_id and the limit', async (t, store) => {
  const h = await startHarness(t, { store, accountTree: { maxChildren: 3 } });
  // root has child and sibling already.
  t.is(
    (await h.call('PUT', '/v2/accounts/root', { token: h.tokens.root, body: { data: { name: 'third' } } })).status,
    201,
  );
  const res = await h.call('PUT', '/v2/accounts/root', { token: h.tokens.root, body: { data: { name: 'fourth' } } });
  t.is(res.status, 400);
  t.deepEqual(res.body.data, {
    parent_id: { maxItems: { message: 'an account may have at most 3 children (ACCOUNT_MAX_CHILDREN)', target: 3 } },
  });
});

bothEngines(
  'children and descendants in pages: page_size, start_key, next_start_key in the envelope',
  async (t, store) => {
    const h = await startHarness(t, { store });
    for (let i = 0; i < 7; i++) await h.store.createAccount({ id: `kid${i}`, name: `Kid ${i}`, parentId: 'child' });
    for (const [path, expected] of [
      ['/v2/accounts/child/children', ['grandchild', ...Array.from({ length: 7 }, (_, i) => `kid${i}`)]],
      [
        '/v2/accounts/root/descendants',
        ['child', 'grandchild', ...Array.from({ length: 7 }, (_, i) => `kid${i}`), 'sibling'],
      ],
    ] as const) {
      const seen: string[] = [];
      let startKey: string | undefined;
      let pages = 0;
      do {
        const res = await h.call('GET', `${path}?page_size=3${startKey ? `&start_key=${startKey}` : ''}`, {
          token: h.tokens.root,
        });
        t.is(res.status, 200, res.text);
        const items = res.body.data as { id: string; tree: string[] }[];
        t.is(res.body.page_size, items.length);
        t.true(items.length <= 3);
        t.is(res.body.start_key, startKey);
        seen.push(...items.map((a) => a.id));
        startKey = res.body.next_start_key as string | undefined;
        pages++;
      } while (startKey && pages < 10);
      t.deepEqual(seen, [...expected], path);
    }
    // Without page_size, Kazoo's 50; the tree of each account comes along (ancestors, root first).
    const all = await h.call('GET', '/v2/accounts/root/descendants', { token: h.tokens.root });
    t.is(all.body.page_size, 10);
    t.false('next_start_key' in all.body);
    t.deepEqual((all.body.data as { id: string; tree: string[] }[]).find((a) => a.id === 'kid3')?.tree, [
      'root',
      'child',
    ]);
  },
);

bothEngines(
  'pagination input: bad page_size, start_key or paginate is a 400 naming it; paginate=false is bounded',
  async (t, store) => {
    const h = await startHarness(t, { store });
    const bad: [string, string][] = [
      ['page_size=0', 'page_size'],
      ['page_size=abc', 'page_size'],
      ['page_size=-1', 'page_size'],
      ['start_key=not-a-key', 'start_key'],
      ['paginate=maybe', 'paginate'],
    ];
    for (const [query, field] of bad) {
      for (const path of ['/v2/accounts/root/children', '/v2/accounts/root/descendants']) {
        const res = await h.call('GET', `${path}?${query}`, { token: h.tokens.root });
        t.is(res.status, 400, `${path}?${query}`);
        t.deepEqual(Object.keys(res.body.data as object), [field]);
      }
    }
    // A huge page_size is served as the largest page; paginate=false gives all of a listing that fits ...
    const big = await h.call('GET', '/v2/accounts/root/descendants?page_size=1000000', { token: h.tokens.root });
    t.is(big.status, 200);
    const unpaged = await h.call('GET', '/v2/accounts/root/descendants?paginate=false', { token: h.tokens.root });
    t.is(unpaged.status, 200);
    t.is((unpaged.body.data as unknown[]).length, 3);
    // ... and 416 for one that does not.
    for (let i = 0; i <= MAX_PAGE_SIZE; i++) {
      await h.store.createAccount({ name: `Many ${i}`, parentId: 'sibling' });
      // The store is synchronous: let the server's and the client's timers run now and then (idle keep-alive sockets).
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    const tooMany = await h.call('GET', '/v2/accounts/sibling/children?paginate=false', { token: h.tokens.root });
    t.is(tooMany.status, 416);
    t.like(tooMany.body, { error: '416', message: 'range not satisfiable' });
    const paged = await h.call('GET', '/v2/accounts/sibling/children?page_size=5000', { token: h.tokens.root });
    t.is(paged.body.page_size, MAX_PAGE_SIZE);
    t.truthy(paged.body.next_start_key);
  },
);

bothEngines('a chain made deeper before the limit existed is still served in bounded pages', async (t, store) => {
  // The store opened without a practical limit stands for a database filled by an older version.
  const h = await startHarness(t, { store, accountTree: { maxDepth: 2000 } });
  let parent = 'stranger';
  for (let i = 0; i < 120; i++) {
    await h.store.createAccount({ id: `c${i}`, name: `C${String(i).padStart(4, '0')}`, parentId: parent });
    parent = `c${i}`;
  }
  const res = await h.call('GET', '/v2/accounts/stranger/descendants', { token: h.tokens.stranger });
  t.is(res.status, 200);
  t.is((res.body.data as unknown[]).length, 50);
  t.truthy(res.body.next_start_key);
  const deepest = await h.call('GET', '/v2/accounts/c119', { token: h.tokens.stranger });
  t.is(deepest.status, 200);
  t.is((deepest.body.data as { tree: string[] }).tree.length, 120);
});

bothEngines(
  'media listings are paginated the same way (a tenant with many media cannot make one answer large)',
  async (t, store) => {
    const h = await startHarness(t, { store });
    for (let i = 0; i < 7; i++) {
      await h.store.createMedia({
        id: `m${i}`,
        accountId: 'child',
        name: `Tone ${6 - i}`,
        streamUrl: 'local_stream://moh',
      });
    }
    const seen: string[] = [];
    let startKey: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const res = await h.call(
        'GET',
        `/v2/accounts/child/media?page_size=3${startKey ? `&start_key=${startKey}` : ''}`,
        {
          token: h.tokens.child,
        },
      );
      t.is(res.status, 200);
      t.is(res.body.page_size, (res.body.data as unknown[]).length);
      seen.push(...(res.body.data as { id: string }[]).map((m) => m.id));
      startKey = res.body.next_start_key as string | undefined;
      if (!startKey) break;
    }
    // By name, then ID.
    t.deepEqual(seen, ['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);
    t.is((await h.call('GET', '/v2/accounts/child/media?start_key=nope', { token: h.tokens.child })).status, 400);
  },
);
