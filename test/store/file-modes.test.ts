// The store's file and its WAL companions, and the data directory's token secret, are readable by their owner only,
// whatever the umask, and files an older version left world-readable are tightened when opened.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { dataDirJwtSecret } from '../../api/tokens.ts';
import { openStore } from '../../store/index.ts';

function mode(file: string): string {
  return (statSync(file).mode & 0o777).toString(8);
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-modes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test.serial('a new store: the database, -wal and -shm are 0600 even under umask 022', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'handoff.sqlite');
  const before = process.umask(0o022);
  try {
    const store = openStore(file);
    await store.createAccount({ id: 'root', name: 'Root' });
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      t.true(existsSync(f), f);
      t.is(mode(f), '600', path.basename(f));
    }
    await store.close();
  } finally {
    process.umask(before);
  }
});

test.serial('an existing world-readable store is tightened when opened', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'handoff.sqlite');
  const first = openStore(file);
  await first.createAccount({ id: 'root', name: 'Root' });
  await first.close();
  chmodSync(file, 0o644);
  writeFileSync(`${file}-wal`, '');
  chmodSync(`${file}-wal`, 0o644);
  const again = openStore(file);
  t.truthy(await again.getAccount('root'));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) t.is(mode(f), '600', path.basename(f));
  await again.close();
});

test.serial('the data directory’s JWT secret: made once, 0600, an old 0644 one tightened and kept', (t) => {
  const dir = tempDir(t);
  const before = process.umask(0o022);
  try {
    const secret = dataDirJwtSecret(dir);
    t.regex(secret, /^[0-9a-f]{64}$/);
    t.is(mode(path.join(dir, 'jwt-secret')), '600');
    t.is(dataDirJwtSecret(dir), secret);

    const old = tempDir(t);
    writeFileSync(path.join(old, 'jwt-secret'), 'an-old-secret-an-old-secret-0123456789\n', { mode: 0o644 });
    t.is(dataDirJwtSecret(old), 'an-old-secret-an-old-secret-0123456789');
    t.is(mode(path.join(old, 'jwt-secret')), '600');
    t.is(readFileSync(path.join(old, 'jwt-secret'), 'utf8').trim(), 'an-old-secret-an-old-secret-0123456789');
  } finally {
    process.umask(before);
  }
});
