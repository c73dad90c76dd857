// Workflow interceptors, bundled with the workflows (workers/workflow-worker.ts): every line a workflow logs carries
// the node and the account it is about, read from its search attributes (set at start), like the rest of the logs.
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { ACCOUNT_ID, NODE } from '../contracts/search-attributes.ts';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      getLogAttributes(input, next) {
        const attributes = workflowInfo().typedSearchAttributes;
        const node = attributes.get(NODE);
        const accountId = attributes.get(ACCOUNT_ID);
        return next({ ...input, ...(node ? { node } : {}), ...(accountId ? { accountId } : {}) });
      },
    },
  ],
});
