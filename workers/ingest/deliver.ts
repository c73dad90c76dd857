// Batches → Temporal. The workflow type is named, not imported, so the ingest never loads workflow code.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { grpcCode } from '../../contracts/grpc.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal, originateResultSignal, transferLegEventsSignal } from '../../contracts/messages.ts';
import { CALL_WORKFLOW_TYPE, callStartOptions } from '../../workflows/call-start.ts';
import type { Logger } from '../esl/index.ts';
import type { Batch, BatchSender, Delivery } from './queue.ts';
import type { IngestCounters } from './stats.ts';
import { endedByHand, latestRun } from './transfers.ts';

export { CALL_WORKFLOW_TYPE, type CallWorkflowInput } from '../../workflows/call-start.ts';

// gRPC codes that no retry fixes by itself: INVALID_ARGUMENT (an unregistered search attribute, say),
// PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED. An operator can put them right: the events wait for it.
const OPERATOR_GRPC_CODES = new Set([3, 7, 12, 16]);
/** At most one alarm per this long in the log; the counter counts every refusal. */
const ALARM_EVERY_MS = 10_000;

export interface SenderOptions {
  client: Client;
  node: string;
  /** Where call workflows run; WORKFLOW_TASK_QUEUE unless a test isolates itself. */
  taskQueue: string;
  counters: IngestCounters;
  logger: Logger;
  /**
   * A leg's events reached a transfer that has ended: after a completed transfer its target leg is a call like any
   * other (its DTMF carry no variables, so the route learnt during the transfer would otherwise stick).
   */
  onTransferGone?: (batch: Extract<Batch, { kind: 'transfer' }>) => Delivery[];
}

export function temporalSender(opts: SenderOptions): BatchSender {
  const { counters, logger } = opts;
  let lastAlarm = -Infinity;
  return async (batch: Batch) => {
    try {
      await send(opts, batch);
      counters.signalsSent++;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // The call's workflow has closed: a late event must not start a new run (REJECT_DUPLICATE).
        counters.lateDropped += eventsIn(batch);
        logger.debug('ingest: late event for a closed call workflow dropped', { uuid: batchTarget(batch) });
        return;
      }
      if (err instanceof WorkflowNotFoundError) {
        if (batch.kind === 'call') {
          // signalOnly: the leg had no call workflow of its own, and a hangup is no reason to start one.
          counters.lateDropped += eventsIn(batch);
          return;
        }
        const run = batch.kind === 'transfer' ? await latestRun(opts.client, batch.workflowId) : undefined;
        if (batch.kind === 'transfer' && batch.party && run === 'never' && startMayComeYet(batch)) {
          // The transferor's call workflow puts the parties on hold (and marks them) as it resolves their transfer, a
          // workflow task before it starts it: a party's hangup in between waits for the transfer, retried.
          counters.signalRetries++;
          throw err;
        }
        counters.transferGone++;
        logger.debug('ingest: transfer workflow gone', { workflowId: batchTarget(batch) });
        if (batch.kind !== 'transfer') return undefined;
        // Ended by hand: a new run will resume it from the switch's state (transfers.ts), and must still get the legs'
        // later events. Only a transfer that finished its business hands its legs over for good.
        if (endedByHand(run)) return undefined;
        return opts.onTransferGone?.(batch);
      }
      const code = grpcCode(err);
      if (code !== undefined && OPERATOR_GRPC_CODES.has(code)) {
        // Never dropped: the batch stays at the head of its channel's queue and is retried (queue.ts) until Temporal
        // takes it, so the channel's later events wait behind it in order.
        counters.signalsRefused++;
        if (Date.now() - lastAlarm >= ALARM_EVERY_MS) {
          lastAlarm = Date.now();
          logger.error(
            'ingest: ALARM: Temporal refuses our signals; events are held and retried until the cluster is put right ' +
              '(an unregistered search attribute or a missing permission, for instance)',
            { target: batchTarget(batch), code, refusals: counters.signalsRefused, error: String(err) },
          );
        }
      }
      counters.signalRetries++;
      throw err;
    }
  };
}

/**
 * How long a party's event waits for a transfer that has never run (its parties were marked, its start is still on the
 * way) before it is taken for a transfer that will not come: far longer than one workflow task, short of a caller's
 * patience.
 */
export const TRANSFER_START_WAIT_MS = 10_000;

/** Is the batch's newest event recent enough to wait for the start of a transfer that has never run? */
function startMayComeYet(batch: Extract<Batch, { kind: 'transfer' }>): boolean {
  return Date.now() - Math.max(...batch.events.map((e) => e.at)) <= TRANSFER_START_WAIT_MS;
}

async function send({ client, node, taskQueue }: SenderOptions, batch: Batch): Promise<void> {
  switch (batch.kind) {
    case 'call': {
      if (batch.signalOnly) {
        await client.workflow.getHandle(callWorkflowId(batch.uuid)).signal(channelEventsSignal, batch.events);
        return;
      }
      // What the workflow starts from when nothing needs a signal: a leg's state with no event of its own (on demand,
      // the peer of a leg whose workflow starts), or the hangup of a leg that may have no workflow yet (startEnded).
      // The workflow applies its start's events before anything (workflows/call.ts): a start is one action, a
      // signal-with-start two (with an empty signal, or a hangup's that the first task's upsert follows).
      const startsFrom = batch.startEnded
        ? [...(batch.initial ?? []), ...batch.events]
        : batch.events.length
          ? undefined
          : batch.initial;
      if (startsFrom) {
        try {
          await client.workflow.start(CALL_WORKFLOW_TYPE, {
            ...callStartOptions({ callId: batch.uuid, node, taskQueue, initial: startsFrom }),
            workflowIdReusePolicy: batch.allowNewRun ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          // Started already (by a key press, a REST request, or the other ingest of a pair): a state has nothing more to
          // tell it; a running one takes the hangup as a signal, a closed one answers WorkflowNotFoundError (dropped).
          if (batch.events.length)
            await client.workflow.getHandle(callWorkflowId(batch.uuid)).signal(channelEventsSignal, batch.events);
        }
        return;
      }
      await client.workflow.signalWithStart(CALL_WORKFLOW_TYPE, {
        ...callStartOptions({ callId: batch.uuid, node, taskQueue, initial: batch.initial, events: batch.events }),
        signal: channelEventsSignal,
        signalArgs: [batch.events],
        workflowIdReusePolicy: batch.allowNewRun ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      });
      return;
    }
    case 'transfer':
      await client.workflow.getHandle(batch.workflowId).signal(transferLegEventsSignal, batch.events);
      return;
    case 'originate':
      await client.workflow.getHandle(batch.workflowId).signal(originateResultSignal, batch.result);
      return;
  }
}

function eventsIn(batch: Batch): number {
  return batch.kind === 'originate' ? 1 : batch.events.length;
}

function batchTarget(batch: Batch): string {
  return batch.kind === 'call' ? batch.uuid : batch.workflowId;
}
