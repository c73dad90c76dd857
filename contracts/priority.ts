// The order Temporal hands Handoff's tasks out in while they wait in a task queue (its workers are all busy): which
// kind of work goes first, and how tenants share what is left. Nothing waits when the workers keep up; under load,
// this decides who waits.
//
// Priority: a transfer's tasks go before call workflows' (Temporal's keys run from 1, first, to 5; unset is 3). A
// transfer's steps are the ones its callers hear happen, each a workflow task and a switch command: the target's
// answer put through, a takeback, the transferor's hangup. Call workflows carry the rest (every leg's bookkeeping, and
// the feature codes being typed, whose own timer already gives them the inter-digit timeout's slack). Activities and
// child workflows inherit their workflow's priority. Temporal Cloud and servers from 1.31 honour the key; older
// servers ignore it.
//
// Fairness: the tenant (account) is the fairness key of its calls and transfers, so that when tasks back up, each
// account gets its share of the workers instead of waiting behind another account's burst (a call storm, a script
// dialling out). It takes effect only where the namespace has fairness on (Temporal Cloud: the namespace's Fairness
// setting, billed while on; a self-hosted server: `matching.enableFairness`); elsewhere the key is carried and ignored.
import type { Priority } from '@temporalio/common';

/** Temporal's priority keys: 1 goes first, 5 last; a task with none is 3. */
export const TRANSFER_PRIORITY_KEY = 2;

/** What Temporal takes as a fairness key (at most 64 bytes); Kazoo's account IDs are 32 hex digits. */
const FAIRNESS_KEY = /^[\x21-\x7e]{1,64}$/;

/**
 * The priority a call workflow or a transfer workflow is started with, for a leg of `accountId`. An account ID that
 * cannot be a key (too long, not printable ASCII) leaves the call in the shared default bucket.
 */
export function taskPriority(kind: 'call' | 'transfer', accountId: string | undefined): Priority {
  const fairnessKey = accountId !== undefined && FAIRNESS_KEY.test(accountId) ? accountId : undefined;
  return {
    ...(kind === 'transfer' ? { priorityKey: TRANSFER_PRIORITY_KEY } : {}),
    ...(fairnessKey ? { fairnessKey } : {}),
  };
}
