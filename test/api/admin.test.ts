import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { ADMIN_USAGE, runAdmin } from '../../api/admin.ts';
import { DEMO_ACCOUNT_ID, openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { engineStore } from '../store/engines.ts';

function tempStore(t: ExecutionContext): { store: Store; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-admin-'));
  const file = path.join(dir, 'handoff.sqlite');
  const store = openStore(file);
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, file };
}

test('accounts: create with a chosen ID and parent, generated IDs, list; refusals are code 1 with the field', async (t) => {
  const { store } = tempStore(t);
  const root = await runAdmin(
    ['accounts', 'create', '--name', 'Reseller', '--id', '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21'],
    store,
  );
  t.is(root.code, 0);
  t.like(root.output, { id: '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21', name: 'Reseller', parent_id: null });
  const child = await runAdmin(
    ['accounts', 'create', '--name', 'Tenant', '--parent', '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21'],
    store,
  );
  t.is(child.code, 0);
  t.regex((child.output as { id: string }).id, /^[0-9a-f]{32}$/);
  const list = await runAdmin(['accounts', 'list'], store);
  t.is((list.output as unknown[]).length, 2);
  const dup = await runAdmin(['accounts', 'create', '--name', 'X', '--id', '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21'], store);
  t.is(dup.code, 1);
  t.like(dup.output, { code: 'conflict', field: 'id' });
  t.like((await runAdmin(['accounts', 'create', '--name', 'X', '--parent', 'nope'], store)).output, {
    field: 'parent_id',
  });
});

test('keys: created (printed once), listed without secrets, revoked by ID or key', async (t) => {
  const { store } = tempStore(t);
  await runAdmin(['accounts', 'create', '--name', 'A', '--id', 'acc'], store);
  const created = await runAdmin(['keys', 'create', '--account', 'acc', '--label', 'mobile'], store);
  t.is(created.code, 0);
  const { api_key: apiKey, id } = created.output as { api_key: string; id: string };
  t.regex(apiKey, /^[0-9a-f]{64}$/);
  t.is((await store.findApiKey(apiKey))?.accountId, 'acc');
  const list = await runAdmin(['keys', 'list', '--account', 'acc'], store);
  t.false(JSON.stringify(list.output).includes(apiKey));
  t.like((list.output as unknown[])[0], { id, label: 'mobile' });
  t.deepEqual((await runAdmin(['keys', 'revoke', '--id', id], store)).output, { revoked: true });
  t.is((await runAdmin(['keys', 'revoke', '--key', apiKey], store)).code, 1);
  t.is(await store.findApiKey(apiKey), undefined);
  t.is((await runAdmin(['keys', 'create', '--account', 'nope'], store)).code, 1);
});

test('media: streams and sound files, nothing else', async (t) => {
  const { store } = tempStore(t);
  await runAdmin(['accounts', 'create', '--name', 'A', '--id', 'acc'], store);
  for (const url of ['local_stream://moh', 'tone_stream://%(1000,4000,425);loops=-1', '/usr/share/sounds/hold.wav']) {
    t.is((await runAdmin(['media', 'create', '--account', 'acc', '--name', 'm', '--url', url], store)).code, 0, url);
  }
  for (const url of ['/etc/passwd', '/x/../y.wav', 'http://x/y.wav', 'local_stream://a b']) {
    t.is((await runAdmin(['media', 'create', '--account', 'acc', '--name', 'm', '--url', url], store)).code, 1, url);
  }
});

test('usage errors are code 2 with the usage', async (t) => {
  const { store } = tempStore(t);
  for (const argv of [[], ['nope'], ['accounts', 'create'], ['keys', 'revoke'], ['accounts', 'list', '--bogus']]) {
    const res = await runAdmin(argv, store);
    t.is(res.code, 2, argv.join(' '));
    t.true('usage' in (res.output as object));
  }
});

test('help, --help and -h print the usage, code 0', async (t) => {
  const { store } = tempStore(t);
  for (const argv of [['help'], ['--help'], ['-h'], ['accounts', 'list', '--help']]) {
    t.deepEqual(await runAdmin(argv, store), { code: 0, output: { usage: ADMIN_USAGE } }, argv.join(' '));
  }
});

test('demo: seeds the demo account and prints a fresh key', async (t) => {
  const { store } = tempStore(t);
  const res = await runAdmin(['demo'], store);
  t.like(res.output, { account_id: DEMO_ACCOUNT_ID });
});

test('the command runs as a program against HANDOFF_DB and prints JSON', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-admin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, HANDOFF_DB: path.join(dir, 'h.sqlite'), HANDOFF_DATA_DIR: dir };
  const run = (...args: string[]) =>
    JSON.parse(
      execFileSync(process.execPath, ['--import=tsx', 'api/admin.ts', ...args], { env, encoding: 'utf8' }),
    ) as unknown;
  t.like(run('accounts', 'create', '--name', 'Cli', '--id', 'cli'), { id: 'cli' });
  t.like((run('accounts', 'list') as unknown[])[0], { id: 'cli', name: 'Cli' });
});

test('backup: a consistent owner-only copy of the SQLite store while it is open; an existing file is refused', async (t) => {
  const { store, file } = tempStore(t);
  const created = await runAdmin(['accounts', 'create', '--name', 'Backed up'], store);
  const id = (created.output as { id: string }).id;
  const copy = path.join(path.dirname(file), 'copy.sqlite');
  const done = await runAdmin(['backup', copy], store);
  t.is(done.code, 0, JSON.stringify(done.output));
  t.is(statSync(copy).mode & 0o777, 0o600);
  // Written after the backup: not in the copy.
  await runAdmin(['accounts', 'create', '--name', 'Later'], store);
  const restored = openStore(copy);
  t.teardown(() => restored.close());
  t.deepEqual(
    (await restored.listAccounts()).map((a) => a.name),
    ['Backed up'],
  );
  t.is((await restored.getAccount(id))?.name, 'Backed up');
  const again = await runAdmin(['backup', copy], store);
  t.is(again.code, 1);
  t.regex((again.output as { error: string }).error, /exists/);
  t.is((await runAdmin(['backup'], store)).code, 2);
});

test('backup on PostgreSQL is refused, naming the server tools', async (t) => {
  const store = await engineStore(t, 'postgres');
  const res = await runAdmin(['backup', path.join(tmpdir(), 'never.sqlite')], store);
  t.is(res.code, 1);
  t.regex((res.output as { error: string }).error, /pg_dump/);
});
