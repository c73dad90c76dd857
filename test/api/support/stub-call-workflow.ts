// STUB call and transfer workflows for testing TemporalCallEngine against a real Temporal server: they answer the
// same update and query names as the real workflows (contracts/messages.ts), with scripted outcomes. They are not the
// engine.
import { ApplicationFailure, condition, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  breakMediaUpdate,
  callQuery,
  takebackUpdate,
  hangupCallUpdate,
  requestTransferUpdate,
  transferQuery,
  transferVerdictUpdate,
} from '../../../contracts/messages.ts';
import type { CallSummary, TransferOutcome, TransferSummary } from '../../../contracts/messages.ts';
import { TRANSFER_REFUSED, type TransferRefusalReason } from '../../../contracts/refusals.ts';

export interface StubCallScript {
  callId: string;
  accountId: string;
  /** Refuse every transfer with this reason. */
  refuse?: TransferRefusalReason;
  /** A transfer runs (stubTransferWorkflow, this ID): a cancel is passed on to it. */
  transferId?: string;
}

export async function stubCallWorkflow(script: StubCallScript): Promise<void> {
  let ended = false;
  let breaks = 0;
  const summary = (): CallSummary => ({
    callId: script.callId,
    node: 'fs1',
    accountId: script.accountId,
    phase: ended ? 'ended' : 'bridged',
    answered: true,
    bridgedTo: 'peer',
    hangupCause: ended ? 'NORMAL_CLEARING' : undefined,
    callerIdName: `breaks:${breaks}`,
  });
  setHandler(callQuery, summary);
  setHandler(requestTransferUpdate, (ask) => {
    if (script.refuse) {
      throw ApplicationFailure.create({
        type: TRANSFER_REFUSED,
        message: `refused: ${script.refuse}`,
        details: [script.refuse],
        nonRetryable: true,
      });
    }
    return {
      transferId: `transfer:${script.callId}:peer`,
      transferor: script.callId,
      transferee: 'peer',
      target: ask.target,
      type: ask.type ?? 'attended',
    };
  });
  setHandler(takebackUpdate, () => {
    if (script.transferId) return ringing(script.transferId, script.callId);
    throw ApplicationFailure.create({ type: 'NoTransfer', message: 'no transfer is running on this call' });
  });
  setHandler(breakMediaUpdate, () => {
    breaks++;
  });
  setHandler(hangupCallUpdate, () => {
    ended = true;
  });
  await condition(() => ended);
}

/** The transfer as its call last saw it: the target rings, nothing decided. */
function ringing(transferId: string, transferor: string): TransferSummary {
  return {
    transferId,
    phase: 'ringing',
    transferor,
    transferee: 'peer',
    target: '2602',
    type: 'attended',
    startedAt: 0,
  };
}

/** The test decides the stub transfer's outcome (what came first: the cancel, or the target's ring-out). */
export const decideSignal = defineSignal<[{ outcome: TransferOutcome; reason?: string }]>('decide');

/** A transfer that rings until the test decides its outcome, then waits to be told to end. */
export async function stubTransferWorkflow(transferor: string): Promise<void> {
  let summary = ringing(workflowInfo().workflowId, transferor);
  let ended = false;
  setHandler(decideSignal, ({ outcome, reason }) => {
    summary = { ...summary, phase: 'connecting', outcome, ...(reason ? { reason } : {}) };
  });
  setHandler(transferQuery, () => summary);
  setHandler(transferVerdictUpdate, async () => {
    await condition(() => summary.outcome !== undefined);
    return summary;
  });
  setHandler(hangupCallUpdate, () => void (ended = true));
  await condition(() => ended);
}
