// How a transfer workflow is started, by its parent call workflow and by the ingest's sweep (a resumed transfer) alike.
// Plain data, no workflow APIs, so that worker code may import it.
import { WORKFLOW_TASK_TIMEOUT } from '../contracts/ids.ts';
import { taskPriority } from '../contracts/priority.ts';
import { ACCOUNT_ID, NODE, TRANSFER_STATE } from '../contracts/search-attributes.ts';
import type { TransferPhase } from '../contracts/messages.ts';
import { transferHeadline } from './story.ts';

export interface TransferStartPlan {
  transferId: string;
  node: string;
  accountId?: string;
  transferor?: string;
  transferee?: string;
  target?: string;
  type?: string;
  startedBy?: 'dtmf' | 'api';
  /** The transferor's caller number and the feature code typed (`*2`): what the UI's summary says. */
  from?: string;
  featureCode?: string;
  resume?: boolean;
}

export function transferStartOptions(plan: TransferStartPlan) {
  return {
    workflowId: plan.transferId,
    // One transfer per pair at a time, but a pair may transfer again (or resume) once the last one has closed.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
    // A task held by a worker that died is retried after this, not after the default 10 s: callers are waiting.
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    // Before call workflows' tasks when the workers are behind; the account's share among tenants (contracts/priority.ts).
    priority: taskPriority('transfer', plan.accountId),
    // Set at start, not upserted: the transfer is found by node, account and state from its first moment.
    typedSearchAttributes: [
      { key: NODE, value: plan.node },
      ...(plan.accountId ? [{ key: ACCOUNT_ID, value: plan.accountId }] : []),
      { key: TRANSFER_STATE, value: indexedAtStart(plan) },
    ],
    // What the Temporal UI shows in the workflow list and at the top of its page.
    ...(plan.target && plan.type && plan.startedBy
      ? {
          staticSummary: `${transferHeadline({ ...plan, target: plan.target, type: plan.type, startedBy: plan.startedBy, code: plan.featureCode })}${plan.resume ? ' (resumed)' : ''}`,
          staticDetails: [
            `**transferor** \`${plan.transferor ?? '?'}\`${plan.from ? ` (${plan.from})` : ''}`,
            `**transferee** \`${plan.transferee ?? '?'}\``,
            `**target** ${plan.target}`,
            `**node** ${plan.node}${plan.accountId ? ` · **account** ${plan.accountId}` : ''}`,
          ].join('\n\n'),
        }
      : {}),
  };
}

/**
 * The state a transfer is started with: the phase its prologue (the hold and the originate, a few hundred ms) leads to,
 * `ringing` (`partial` for a blind transfer), so that no upsert follows at once; `starting` for a resumed run, whose
 * phase only the switch will tell.
 */
export function indexedAtStart(plan: Pick<TransferStartPlan, 'type' | 'resume'>): TransferPhase {
  if (plan.resume) return 'starting';
  return plan.type === 'blind' ? 'partial' : 'ringing';
}
