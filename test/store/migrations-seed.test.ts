import Database from 'better-sqlite3';
import test from 'ava';
import { DEMO_ACCOUNT_ID, openPostgresStore, openStore, seedDemo } from '../../store/index.ts';
import { MIGRATIONS } from '../../store/migrations.ts';
import { bothEngines, engineStore, rawDatabase, tempSchemaUrl } from './engines.ts';
import { tempDbFile } from './temp-db.ts';

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

test('postgres: processes starting together apply each migration once; timestamps are BIGINT', async (t) => {
  const url = await tempSchemaUrl(t);
  const stores = await Promise.all([openPostgresStore(url), openPostgresStore(url), openPostgresStore(url)]);
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  await stores[0]!.createAccount({ id: 'kept', name: 'Kept' });
  t.is((await stores[2]!.getAccount('kept'))?.name, 'Kept');
  const pool = (stores[0] as Awaited<ReturnType<typeof openPostgresStore>>).pool;
  const applied = await pool.query<{ id: number }>('SELECT id FROM migrations ORDER BY id');
  t.deepEqual(
    applied.rows.map((r) => r.id),
    MIGRATIONS.map((m) => m.id),
  );
  // Milliseconds since the epoch overflow PostgreSQL's 32-bit INTEGER: every timestamp column is 64-bit.
  const columns = await pool.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND (column_name LIKE '%!_at' ESCAPE '!' OR column_name = 'since')`,
  );
  t.true(columns.rows.length >= 10);
  t.deepEqual(
    columns.rows.filter((c) => c.data_type !== 'bigint'),
    [],
  );
  const account = await stores[1]!.createAccount({ id: 'late', name: 'Late' });
  t.true(account.createdAt > 2 ** 31);
});

test('an in-memory store works', async (t) => {
  const store = openStore(':memory:');
  await store.createAccount({ id: 'x', name: 'X' });
  t.is((await store.getAccount('x'))?.name, 'X');
  await store.close();
  await store.close();
});

bothEngines('seedDemo: idempotent, with the metaflows the engine expects and one valid key', async (t, engine) => {
  const store = await engineStore(t, engine);
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

bothEngines('migration 4 keeps the media of a database made before media IDs were per account', async (t, engine) => {
  const raw = await rawDatabase(t, engine);
  await raw.migrate(MIGRATIONS.filter((m) => m.id < 4));
  await raw.run('INSERT INTO accounts (id, name, parent_id, created_at) VALUES (?, ?, ?, ?)', 'acc', 'Acc', null, 1);
  await raw.run("INSERT INTO account_tree VALUES ('acc', 'acc', 0, 'Acc')");
  await raw.run(
    'INSERT INTO media (id, account_id, name, stream_url, created_at) VALUES (?, ?, ?, ?, ?)',
    'hold',
    'acc',
    'Hold',
    'local_stream://moh',
    5,
  );
  const store = await raw.open();
  t.deepEqual(await store.getMedia('acc', 'hold'), {
    id: 'hold',
    accountId: 'acc',
    name: 'Hold',
    streamUrl: 'local_stream://moh',
    createdAt: 5,
  });
  t.truthy(await store.findMediaForAccount('acc', 'hold'));
});
