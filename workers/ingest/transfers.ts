// The reconciler's look at the transfers of one node, where a leg's state can disagree with what its workflow expects:
// - after a reconnect (events may have been lost), every running transfer is told to audit its legs on the switch
//   (auditLegs): a leg gone is a hangup, a missed answer an answer, a lost consultation bridge is rebuilt;
// - a transfer whose workflow ended without an outcome (terminated, cancelled or timed out: an SRE's hand, say) leaves
//   its legs on hold with nobody to take them off. While a party's call still waits for it (its call runs and names it
//   as its active transfer), a new run is started from the first run's own plan with `resume`: it reads the switch and
//   carries on from there (transfer-machine.ts `resume`). This sweep also runs on a timer, since nothing else
//   announces such an end; it costs one visibility query per node, which usually finds nothing.
// The workflow type is named, not imported, so the ingest never loads workflow code.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { callWorkflowId, parseTransferId } from '../../contracts/ids.ts';
import { MAX_TRANSFER_RESUMES, auditLegsSignal, callQuery } from '../../contracts/messages.ts';
import { transferStartOptions } from '../../workflows/transfer-start.ts';
import type { TransferPlan } from '../../workflows/transfer.ts';
import type { Logger } from '../esl/index.ts';

export const TRANSFER_WORKFLOW_TYPE = 'transferWorkflow';

/** Closed without an outcome: the workflow did not finish its own business (an SRE's hand, say). */
const ENDED_BY_HAND: ReadonlySet<string> = new Set(['TERMINATED', 'CANCELLED', 'TIMED_OUT', 'FAILED']);

/**
 * The latest run of this workflow: its description; `'never'` when no run of it was ever started; undefined when
 * Temporal could not say.
 */
export async function latestRun(
  client: Client,
  workflowId: string,
): Promise<WorkflowExecutionDescription | 'never' | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? 'never' : undefined;
  }
}

/** Did this run end without an outcome (terminated, cancelled, timed out, failed)? */
export function endedByHand(
  run: WorkflowExecutionDescription | 'never' | undefined,
): run is WorkflowExecutionDescription {
  return typeof run === 'object' && ENDED_BY_HAND.has(run.status.name);
}

/** The latest run of this workflow, if it ended without an outcome (terminated, cancelled, timed out, failed). */
export async function latestRunEndedByHand(
  client: Client,
  workflowId: string,
): Promise<WorkflowExecutionDescription | undefined> {
  const run = await latestRun(client, workflowId);
  return endedByHand(run) ? run : undefined;
}

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
  /** Running transfers told to audit their legs (after a reconnect only). */
  audited: number;
  /** Transfers of this node ended by hand within the look-back window. */
  endedByHand: number;
  resumed: number;
}

/** How far back the sweep looks for transfers ended by hand; callers left on hold longer than this have hung up. */
const LOOKBACK_MS = 60 * 60 * 1000;

// Node names are [A-Za-z0-9_-] (config), so they need no escaping in the queries below.
export async function sweepTransfers(deps: TransferSweepDeps, opts: { audit: boolean }): Promise<TransferSweepReport> {
  const { client, node, logger } = deps;
  const report: TransferSweepReport = { audited: 0, endedByHand: 0, resumed: 0 };

  if (opts.audit) {
    const running = `WorkflowType = '${TRANSFER_WORKFLOW_TYPE}' AND HandoffNode = '${node}' AND ExecutionStatus = 'Running'`;
    for await (const wf of client.workflow.list({ query: running })) {
      try {
        await client.workflow.getHandle(wf.workflowId).signal(auditLegsSignal);
        report.audited++;
      } catch (err) {
        logger.warn('ingest: audit signal not delivered', { transferId: wf.workflowId, error: String(err) });
      }
    }
  }

  // Cheap at any scale: usually no row at all. A transfer resumed since has a newer run, which describe() returns.
  const since = new Date(Date.now() - LOOKBACK_MS).toISOString();
  const endedByHand =
    `WorkflowType = '${TRANSFER_WORKFLOW_TYPE}' AND HandoffNode = '${node}'` +
    ` AND ExecutionStatus IN ('Terminated', 'Canceled', 'TimedOut', 'Failed') AND CloseTime > '${since}'`;
  const ids = new Set<string>();
  for await (const wf of client.workflow.list({ query: endedByHand })) ids.add(wf.workflowId);
  report.endedByHand = ids.size;
  for (const transferId of ids) {
    if (await resumeIfWaitedFor(deps, transferId)) report.resumed++;
  }
  if (deps.resumed.size > 10_000) deps.resumed.clear();
  return report;
}

async function resumeIfWaitedFor(deps: TransferSweepDeps, transferId: string): Promise<boolean> {
  const { client, logger } = deps;
  // Not when the latest run is running (resumed already, or started anew) or completed.
  const description = await latestRunEndedByHand(client, transferId);
  if (!description) return false;
  // Does a party still wait for it? Its call runs and names this transfer as the one it takes part in.
  let waiting = false;
  for (const callId of parseTransferId(transferId) ?? []) {
    const call = await client.workflow
      .getHandle(callWorkflowId(callId))
      .query(callQuery)
      .catch(() => undefined);
    if (call && call.phase !== 'ended' && call.activeTransferId === transferId) waiting = true;
  }
  if (!waiting) return false;
  const count = deps.resumed.get(transferId) ?? 0;
  if (count >= MAX_TRANSFER_RESUMES) {
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
    const resumed = { ...plan, resume: true };
    await client.workflow.start(TRANSFER_WORKFLOW_TYPE, {
      ...transferStartOptions(resumed),
      taskQueue: deps.taskQueue,
      args: [resumed],
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
