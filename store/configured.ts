// The store as the environment configures it (config/index.ts): where it is and how large the account tree may grow.
import { dbPath } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { openStore } from './sqlite-store.ts';
import type { Store } from './types.ts';

export type StoreConfig = Pick<
  Config,
  'HANDOFF_DB' | 'HANDOFF_DATA_DIR' | 'ACCOUNT_MAX_DEPTH' | 'ACCOUNT_MAX_CHILDREN'
>;

export function openConfiguredStore(config: StoreConfig): Store {
  return openStore(dbPath(config), {
    accountTree: { maxDepth: config.ACCOUNT_MAX_DEPTH, maxChildren: config.ACCOUNT_MAX_CHILDREN },
  });
}
