// The demo account that `npm start` and the engine's tests use: `*2<ext>` transfers, `*1` resumes.
import type { MetaflowsDoc, Store } from './types.ts';

export const DEMO_ACCOUNT_ID = 'de000000000000000000000000000001';
export const DEMO_ACCOUNT_NAME = 'Demo';
const DEMO_KEY_LABEL = 'demo seed';

export const DEMO_METAFLOWS: MetaflowsDoc = {
  binding_digit: '*',
  numbers: { '1': { module: 'resume' } },
  patterns: { '^2(\\d+)$': { module: 'transfer', data: {} } },
};

export interface DemoSeed {
  accountId: string;
  /** A fresh key on every call: keys are stored hashed, so an earlier one cannot be shown again (it is revoked). */
  apiKey: string;
}

/** Idempotent: one demo account, its metaflows, and exactly one valid demo API key after each call. */
export async function seedDemo(store: Store): Promise<DemoSeed> {
  if (!(await store.getAccount(DEMO_ACCOUNT_ID))) {
    await store.createAccount({ id: DEMO_ACCOUNT_ID, name: DEMO_ACCOUNT_NAME });
  }
  await store.setMetaflows({ accountId: DEMO_ACCOUNT_ID, level: 'account' }, DEMO_METAFLOWS);
  for (const k of await store.listApiKeys(DEMO_ACCOUNT_ID)) {
    if (k.label === DEMO_KEY_LABEL) await store.revokeApiKey(k.id);
  }
  const { key } = await store.createApiKey(DEMO_ACCOUNT_ID, DEMO_KEY_LABEL);
  return { accountId: DEMO_ACCOUNT_ID, apiKey: key };
}
