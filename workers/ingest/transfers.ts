// The reconciler's look at the transfers of one node, where a leg's state can disagree with what its workflow expects:
// - after a reconnect (events may have been lost), every running transfer is told to audit its legs on the switch
//   (auditLegs): a leg gone is a hangup, a missed answer an answer, a lost consultation bridge is rebuilt;
// - a transfer whose workflow ended without an outcome (terminated, cancelled or timed out: an SRE's hand, say) leaves
//   its legs on hold with nobody to take them off. While a party's call still waits for it (HandoffCallState
//   `in_transfer`), a new run is started from the first run's own plan with `resume`: it reads the switch and carries
//   on from there (transfer-machine.ts `resume`). This sweep also runs on a timer, since nothing else announces it.
// The workflow type is named, not imported, so the ingest never loads workflow code.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { callWorkflowId } from '../../workflows/ids.ts';
import { auditLegsSignal, callQuery } from '../../workflows/messages.ts';
import { ACCOUNT_ID, NODE } from '../../workflows/search-attributes.ts';
import type { TransferPlan } from '../../workflows/transfer.ts';
import type { Logger } from '../esl/index.ts';
import { CALL_WORKFLOW_TYPE } from './deliver.ts';

export const TRANSFER_WORKFLOW_TYPE = 'transferWorkflow';

/** Closed without an outcome: the workflow did not finish its own business. */
const ENDED_BY_HAND = new Set(['TERMINATED', 'CANCELLED', 'TIMED_OUT', 'FAILED']);
/** A transfer ended by hand again and again is left alone after this many resumptions (by this process). */
const MAX_RESUMES = 3;

export interface TransferSweepDeps {
  client: Client;
  node: string;
  /** The workflows' task queue. */
  taskQueue: string;
  logger: Logger;
  /** Resumptions per transfer ID so far (owned by the caller, so that it outlives one sweep). */
  resumed: Map<string, number>;
}

export interface TransferSweepReport {
  running: number;
  audited: number;
  /** In-transfer calls whose transfer is not running. */
  waiting: number;
  resumed: number;
}

export async function sweepTransfers(deps: TransferSweepDeps, opts: { audit: boolean }): Promise<TransferSweepReport> {
  const { client, node, logger } = deps;
  const report: TransferSweepReport = { running: 0, audited: 0, waiting: 0, resumed: 0 };
  // Node names are [A-Za-z0-9_-] (config), so they need no escaping in the queries.
  const running = new Set<string>();
  const transfers = `WorkflowType = '${TRANSFER_WORKFLOW_TYPE}' AND HandoffNode = '${node}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query: transfers })) running.add(wf.workflowId);
  report.running = running.size;

  if (opts.audit) {
    for (const id of running) {
      try {
        await client.workflow.getHandle(id).signal(auditLegsSignal);
        report.audited++;
      } catch (err) {
        logger.warn('ingest: audit signal not delivered', { transferId: id, error: String(err) });
      }
    }
  }

  const calls = `WorkflowType = '${CALL_WORKFLOW_TYPE}' AND HandoffNode = '${node}' AND ExecutionStatus = 'Running' AND HandoffCallState = 'in_transfer'`;
  const legsOfRunning = new Set([...running].flatMap((id) => id.split(':').slice(1)));
  const candidates = new Set<string>();
  for await (const wf of client.workflow.list({ query: calls })) {
    const callId = wf.workflowId.slice('call:'.length);
    if (legsOfRunning.has(callId)) continue;
    const summary = await client.workflow
      .getHandle(callWorkflowId(callId))
      .query(callQuery)
      .catch(() => undefined);
    if (summary?.activeTransferId && !running.has(summary.activeTransferId)) candidates.add(summary.activeTransferId);
  }
  report.waiting = candidates.size;

  for (const transferId of candidates) {
    if (await resumeIfEndedByHand(deps, transferId)) report.resumed++;
  }
  return report;
}

async function resumeIfEndedByHand(deps: TransferSweepDeps, transferId: string): Promise<boolean> {
  const { client, logger } = deps;
  const handle = client.workflow.getHandle(transferId);
  const description = await handle.describe().catch(() => undefined);
  // Completed: its transferEnded signal is on its way to the calls. Running: started since we listed.
  if (!description || !ENDED_BY_HAND.has(description.status.name)) return false;
  const count = deps.resumed.get(transferId) ?? 0;
  if (count >= MAX_RESUMES) {
    logger.error('ingest: transfer ended by hand again; not resuming it any more', { transferId, count });
    return false;
  }
  const plan = await firstPlan(client, transferId, description.runId);
  if (!plan) {
    logger.error('ingest: transfer ended by hand, and its plan cannot be read', { transferId });
    return false;
  }
  deps.resumed.set(transferId, count + 1);
  try {
    await client.workflow.start(TRANSFER_WORKFLOW_TYPE, {
      workflowId: transferId,
      taskQueue: deps.taskQueue,
      args: [{ ...plan, resume: true }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowTaskTimeout: '2 seconds',
      typedSearchAttributes: [
        { key: NODE, value: plan.node },
        ...(plan.accountId ? [{ key: ACCOUNT_ID, value: plan.accountId }] : []),
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false; // another ingest (HA pair) did it
    throw err;
  }
  logger.warn('ingest: transfer ended without an outcome; resumed from the switch', {
    transferId,
    endedAs: description.status.name,
  });
  return true;
}

/** The plan a transfer run was started with: the input of its first history event. */
async function firstPlan(client: Client, workflowId: string, runId: string): Promise<TransferPlan | undefined> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  const plan = defaultPayloadConverter.fromPayload<TransferPlan>(payload);
  return plan && typeof plan.transferId === 'string' && plan.transferId === workflowId ? plan : undefined;
}
