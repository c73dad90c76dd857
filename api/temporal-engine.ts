// CallEngine over Temporal: each call is the workflow `callWorkflowId(callId)`; the API reads it with a query and acts
// through updates, so the HTTP answer is the workflow's own verdict (accepted or refused), not a fire-and-forget.
import type { Client } from '@temporalio/client';
import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { GRPC_STATUS, grpcCode } from '../contracts/grpc.ts';
import { callWorkflowId } from '../contracts/ids.ts';
import {
  breakMediaUpdate,
  callQuery,
  takebackUpdate,
  transferCodeUpdate,
  transferQuery,
  holdUpdate,
  type TransferCodeRequest,
  hangupCallUpdate,
  requestTransferUpdate,
} from '../contracts/messages.ts';
import type { CallSummary, TransferAccepted, TransferAsk, TransferSummary } from '../contracts/messages.ts';
import { NO_TRANSFER, REQUEST_CONFLICT, TRANSFER_REFUSED, isTransferRefusalReason } from '../contracts/refusals.ts';
import type { CallEngine, TransferPending } from './engine.ts';
import {
  CallNotFoundError,
  EngineFailedError,
  EngineUnavailableError,
  NoTransferError,
  RequestConflictError,
  TransferEndingError,
  TransferRefusedError,
} from './engine-errors.ts';

export interface TemporalCallEngineOptions {
  /** How long one call into the engine may take before the API answers 503 (a worker-less queue never answers). */
  timeoutMs?: number;
}

/** Turns what the Temporal client throws into the engine's errors. */
export function mapTemporalError(callId: string, err: unknown): Error {
  if (err instanceof WorkflowNotFoundError) return new CallNotFoundError(callId);
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === TRANSFER_REFUSED) {
        const reason = cause.details?.[0];
        if (isTransferRefusalReason(reason)) return new TransferRefusedError(reason, cause.message);
      }
      if (cause.type === NO_TRANSFER) return new NoTransferError(cause.message);
      if (cause.type === REQUEST_CONFLICT) return new RequestConflictError(cause.message);
    }
    return new EngineFailedError(cause?.message ?? err.message, { cause: err });
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new EngineUnavailableError('the call engine did not answer in time', { cause: err });
  }
  const code = grpcCode(err);
  if (code === GRPC_STATUS.NOT_FOUND) return new CallNotFoundError(callId);
  if (code === GRPC_STATUS.DEADLINE_EXCEEDED)
    return new EngineUnavailableError('the call engine did not answer in time', { cause: err });
  if (code === GRPC_STATUS.UNAVAILABLE)
    return new EngineUnavailableError('the call engine (Temporal) is unreachable', { cause: err });
  if (err instanceof Error && err.name === 'ServiceError') {
    return new EngineUnavailableError(`the call engine failed: ${err.message}`, { cause: err });
  }
  return err instanceof Error ? err : new EngineFailedError(String(err));
}

export class TemporalCallEngine implements CallEngine {
  private readonly timeoutMs: number;

  constructor(
    private readonly client: Client,
    options: TemporalCallEngineOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private async run<T>(callId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.client.connection.withDeadline(Date.now() + this.timeoutMs, fn);
    } catch (err) {
      throw mapTemporalError(callId, err);
    }
  }

  private handle(callId: string) {
    return this.client.workflow.getHandle(callWorkflowId(callId));
  }

  async getCall(callId: string): Promise<CallSummary | undefined> {
    try {
      return await this.run(callId, () => this.handle(callId).query(callQuery));
    } catch (err) {
      if (err instanceof CallNotFoundError) return undefined;
      throw err;
    }
  }

  async requestTransfer(
    callId: string,
    ask: TransferAsk,
    opts: { requestId?: string } = {},
  ): Promise<TransferAccepted | TransferPending> {
    const deadline = Date.now() + this.timeoutMs;
    // Accepted first: past this point the transfer is the workflow's business, whatever happens to this request.
    const update = await this.run(callId, () =>
      this.handle(callId).startUpdate(requestTransferUpdate, {
        args: [ask],
        ...(opts.requestId ? { updateId: opts.requestId } : {}),
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      }),
    );
    try {
      return await this.client.connection.withDeadline(deadline, () => update.result());
    } catch (err) {
      const mapped = mapTemporalError(callId, err);
      if (mapped instanceof EngineUnavailableError) return { pending: true };
      throw mapped;
    }
  }

  /**
   * The call passes the cancel on to its transfer; the transfer then says whether its outcome was decided already
   * (the target failed or rang out and the callers are being given back, or it completed): then nothing was cancelled,
   * and the caller of the API is told so, with that outcome. A transfer that cannot be asked is taken as cancelled.
   */
  async takeback(callId: string): Promise<TransferSummary> {
    const summary = await this.run(callId, () => this.handle(callId).executeUpdate(takebackUpdate));
    const transfer = await this.client.workflow
      .getHandle(summary.transferId)
      .query(transferQuery)
      .catch(() => undefined);
    if (transfer?.outcome && transfer.outcome !== 'taken_back') throw new TransferEndingError(transfer);
    return summary;
  }

  hold(callId: string, action: 'hold' | 'unhold'): Promise<CallSummary> {
    return this.run(callId, () => this.handle(callId).executeUpdate(holdUpdate, { args: [{ action }] }));
  }

  transferCode(callId: string, action: TransferCodeRequest): Promise<TransferSummary> {
    return this.run(callId, () => this.handle(callId).executeUpdate(transferCodeUpdate, { args: [{ action }] }));
  }

  async hangup(callId: string, cause?: string): Promise<void> {
    const args: [{ cause?: string }] = [cause === undefined ? {} : { cause }];
    await this.run(callId, () => this.handle(callId).executeUpdate(hangupCallUpdate, { args }));
  }

  async breakMedia(callId: string): Promise<void> {
    await this.run(callId, () => this.handle(callId).executeUpdate(breakMediaUpdate));
  }
}
