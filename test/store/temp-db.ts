// A fresh SQLite file in a temp directory per test, removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';

export function tempDbFile(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'handoff.sqlite');
}

export function tempStore(t: ExecutionContext): Store {
  const store = openStore(tempDbFile(t));
  t.teardown(() => store.close());
  return store;
}
