// A STUB call workflow for testing TemporalCallEngine against a real Temporal server: it answers the same update and
// query names as the real call workflow (contracts/messages.ts), with scripted outcomes. It is not the engine.
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import {
  breakMediaUpdate,
  callQuery,
  takebackUpdate,
  hangupCallUpdate,
  requestTransferUpdate,
} from '../../../contracts/messages.ts';
import type { CallSummary } from '../../../contracts/messages.ts';
import { TRANSFER_REFUSED, type TransferRefusalReason } from '../../../contracts/refusals.ts';

export interface StubCallScript {
  callId: string;
  accountId: string;
  /** Refuse every transfer with this reason. */
  refuse?: TransferRefusalReason;
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
