// The store's public surface: import from here, not from the implementation files.
export type {
  Account,
  AccountInTree,
  AccountPatch,
  AccountTreeLimits,
  ApiKeyInfo,
  AuthFailures,
  ChannelDetails,
  ChannelFilter,
  ChannelOwnership,
  ChannelRecord,
  ChannelWrites,
  CreatedApiKey,
  Media,
  MediaDeletion,
  MediaUse,
  MetaflowLevel,
  MetaflowScope,
  MetaflowsDoc,
  NewAccount,
  NewMedia,
  NodeDrain,
  NodeSeen,
  Page,
  PageRequest,
  Store,
  StoreErrorCode,
  StoreOptions,
  TransferPairClaim,
} from './types.ts';
export { DEFAULT_ACCOUNT_TREE_LIMITS, StoreError, StoreUnavailableError } from './types.ts';
export { openStore } from './sqlite-store.ts';
export { openPostgresStore } from './postgres-store.ts';
export { seedDemo, DEMO_ACCOUNT_ID, DEMO_METAFLOWS } from './seed.ts';
export type { DemoSeed } from './seed.ts';
export { mergeMetaflowsDocs, normaliseMetaflowsDoc, toEngineMetaflows } from './metaflows.ts';

export { openConfiguredStore, storeSummary } from './configured.ts';
