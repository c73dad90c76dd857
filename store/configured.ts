// The store as the environment configures it (config/index.ts): PostgreSQL when DATABASE_URL names one (every process
// of a cluster on one database), else the embedded SQLite file; and how large the account tree may grow.
import { dbPath } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { openPostgresStore, type PostgresStoreOptions } from './postgres-store.ts';
import { openStore } from './sqlite-store.ts';
import type { Store } from './types.ts';

export type StoreConfig = Pick<
  Config,
  | 'HANDOFF_DB'
  | 'HANDOFF_DATA_DIR'
  | 'ACCOUNT_MAX_DEPTH'
  | 'ACCOUNT_MAX_CHILDREN'
  | 'DATABASE_URL'
  | 'DATABASE_POOL_MAX'
>;

export interface ConfiguredStoreOptions {
  /** Connection errors of idle PostgreSQL connections (a server restart): for the process's log. */
  onConnectionError?: PostgresStoreOptions['onConnectionError'];
}

/** Which engine and where, for a start-up line (no password). */
export function storeSummary(config: StoreConfig): string {
  if (!config.DATABASE_URL) return `sqlite ${dbPath(config)}`;
  const u = new URL(config.DATABASE_URL);
  return `postgresql ${u.hostname}:${u.port || 5432}${u.pathname}`;
}

export async function openConfiguredStore(config: StoreConfig, options: ConfiguredStoreOptions = {}): Promise<Store> {
  const accountTree = { maxDepth: config.ACCOUNT_MAX_DEPTH, maxChildren: config.ACCOUNT_MAX_CHILDREN };
  if (config.DATABASE_URL) {
    return openPostgresStore(config.DATABASE_URL, {
      accountTree,
      poolMax: config.DATABASE_POOL_MAX,
      onConnectionError: options.onConnectionError,
    });
  }
  return openStore(dbPath(config), { accountTree });
}
