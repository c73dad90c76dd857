// How a call workflow is started: by the ingest with its leg's events and, when call workflows start on demand
// (CALL_WORKFLOWS=on_demand), by the ingest or the API with the leg's state as the projection knows it. Plain data, no
// workflow APIs, so that worker and API code may import it.
import { WORKFLOW_TASK_TIMEOUT, callWorkflowId } from '../contracts/ids.ts';
import type { ChannelEvent } from '../contracts/messages.ts';
import { taskPriority } from '../contracts/priority.ts';
import { ACCOUNT_ID, CALL_STATE, NODE } from '../contracts/search-attributes.ts';
import { applyEvent, newCall } from './call-state.ts';
import { callDetails, callHeadline } from './story.ts';

export const CALL_WORKFLOW_TYPE = 'callWorkflow';

/** The call workflow's argument (workflows/call.ts `CallStart`). */
export interface CallWorkflowInput {
  callId: string;
  node: string;
  /**
   * The leg's state when its workflow starts after the leg did (on demand): a SNAPSHOT the workflow takes before
   * anything else, so that a REST request's validator, which runs before any signal is taken, sees the leg as it is.
   */
  initial?: ChannelEvent[];
}

/**
 * The start options of a leg's call workflow. `events`: what it is told first (the signal of a signal-with-start), after
 * `initial`. The search attributes are set at start, so that the reconciler's visibility query finds the call from
 * its first moment and the workflow need not upsert what is known already (its state, its account).
 */
export function callStartOptions(o: {
  callId: string;
  node: string;
  taskQueue: string;
  initial?: readonly ChannelEvent[];
  events?: readonly ChannelEvent[];
}) {
  const initial = o.initial ?? [];
  const all = [...initial, ...(o.events ?? [])];
  const first = all.find((e) => e.leg)?.leg;
  const input: CallWorkflowInput = {
    callId: o.callId,
    node: o.node,
    ...(initial.length ? { initial: [...initial] } : {}),
  };
  return {
    workflowId: callWorkflowId(o.callId),
    taskQueue: o.taskQueue,
    args: [input] as [CallWorkflowInput],
    // A task held by a workflow worker that died is retried after this, not after Temporal's default 10 s: the
    // caller waits on it (a transfer's own workflows use the same, workflows/transfer-start.ts).
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    // The account's share of the workers among tenants when tasks back up (contracts/priority.ts).
    priority: taskPriority('call', first?.accountId),
    typedSearchAttributes: [
      { key: NODE, value: o.node },
      { key: CALL_STATE, value: phaseAfter(o.callId, o.node, all) },
      ...(first?.accountId ? [{ key: ACCOUNT_ID, value: first.accountId }] : []),
    ],
    // What the Temporal UI shows for the call, from what its first event says.
    staticSummary: callHeadline({ ...first, node: o.node }),
    staticDetails: callDetails(o.callId, { ...first, node: o.node }),
  };
}

/** The leg's phase once the workflow has applied the events it starts with (call-state.ts): set at start. */
export function phaseAfter(uuid: string, node: string, events: readonly ChannelEvent[]): string {
  return events.reduce((call, event) => applyEvent(call, event, uuid, false), newCall(uuid, node)).phase;
}
