import Database from 'better-sqlite3';
import test from 'ava';
import { DEMO_ACCOUNT_ID, openStore, seedDemo } from '../../store/index.ts';
import { MIGRATIONS, migrate } from '../../store/migrations.ts';
import { tempDbFile, tempStore } from './temp-db.ts';

test('migrations: recorded once, WAL on, re-opening the file applies nothing twice', async (t) => {
  const file = tempDbFile(t);
  const first = openStore(file);
  await first.createAccount({ id: 'kept', name: 'Kept' });
  const second = openStore(file);
  t.is((await second.getAccount('kept'))?.name, 'Kept');
  await first.close();
  await second.close();

  const raw = new Database(file, { readonly: true });
  t.teardown(() => raw.close());
  const rows = raw.prepare('SELECT id FROM migrations ORDER BY id').all() as { id: number }[];
  t.deepEqual(
    rows.map((r) => r.id),
    MIGRATIONS.map((m) => m.id),
  );
  t.is(raw.pragma('journal_mode', { simple: true }), 'wal');
});

test('an in-memory store works', async (t) => {
  const store = openStore(':memory:');
  await store.createAccount({ id: 'x', name: 'X' });
  t.is((await store.getAccount('x'))?.name, 'X');
  await store.close();
  await store.close();
});

test('seedDemo: idempotent, with the metaflows the engine expects and one valid key', async (t) => {
  const store = tempStore(t);
  const a = await seedDemo(store);
  const b = await seedDemo(store);
  t.is(a.accountId, DEMO_ACCOUNT_ID);
  t.is(b.accountId, DEMO_ACCOUNT_ID);
  t.is(await store.findApiKey(a.apiKey), undefined);
  t.is((await store.findApiKey(b.apiKey))?.accountId, DEMO_ACCOUNT_ID);
  t.is((await store.listAccounts()).length, 1);
  t.deepEqual(await store.effectiveMetaflows(DEMO_ACCOUNT_ID), {
    binding_digit: '*',
    numbers: { '1': { module: 'resume' } },
    patterns: { '^2(\\d+)$': { module: 'transfer', data: {} } },
  });
});

test('migration 4 keeps the media of a database made before media IDs were per account', async (t) => {
  const file = tempDbFile(t);
  const raw = new Database(file);
  migrate(
    raw,
    MIGRATIONS.filter((m) => m.id < 4),
  );
  raw.prepare('INSERT INTO accounts (id, name, parent_id, created_at) VALUES (?, ?, ?, ?)').run('acc', 'Acc', null, 1);
  raw.prepare("INSERT INTO account_tree VALUES ('acc', 'acc', 0, 'Acc')").run();
  raw
    .prepare('INSERT INTO media (id, account_id, name, stream_url, created_at) VALUES (?, ?, ?, ?, ?)')
    .run('hold', 'acc', 'Hold', 'local_stream://moh', 5);
  raw.close();
  const store = openStore(file);
  t.teardown(() => store.close());
  t.deepEqual(await store.getMedia('acc', 'hold'), {
    id: 'hold',
    accountId: 'acc',
    name: 'Hold',
    streamUrl: 'local_stream://moh',
    createdAt: 5,
  });
  t.truthy(await store.findMediaForAccount('acc', 'hold'));
});
