// How a transfer workflow is started, by its parent call workflow and by the ingest's sweep (a resumed transfer) alike.
// Plain data, no workflow APIs, so that worker code may import it.
import { ACCOUNT_ID, NODE } from '../contracts/search-attributes.ts';

export function transferStartOptions(plan: { transferId: string; node: string; accountId?: string }) {
  return {
    workflowId: plan.transferId,
    // One transfer per pair at a time, but a pair may transfer again (or resume) once the last one has closed.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
    // A task held by a worker that died is retried after this, not after the default 10 s: callers are waiting.
    workflowTaskTimeout: '2 seconds',
    typedSearchAttributes: [
      { key: NODE, value: plan.node },
      ...(plan.accountId ? [{ key: ACCOUNT_ID, value: plan.accountId }] : []),
    ],
  };
}
