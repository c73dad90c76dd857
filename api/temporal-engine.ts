// CallEngine over Temporal: each call is the workflow `callWorkflowId(callId)`; the API reads it with a query and acts
// through updates, so the HTTP answer is the workflow's own verdict (accepted or refused), not a fire-and-forget.
import type { Client, WorkflowUpdateHandle } from '@temporalio/client';
import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition, type Workflow } from '@temporalio/common';
import { GRPC_STATUS, grpcCode } from '../contracts/grpc.ts';
import { callWorkflowId } from '../contracts/ids.ts';
import {
  breakMediaUpdate,
  callQuery,
  takebackUpdate,
  transferCodeUpdate,
  transferQuery,
  transferVerdictUpdate,
  holdUpdate,
  type TransferCodeRequest,
  hangupCallUpdate,
  requestTransferUpdate,
  snapshotEvent,
} from '../contracts/messages.ts';
import type {
  CallSummary,
  ChannelEvent,
  LegInfo,
  TransferAccepted,
  TransferAsk,
  TransferSummary,
} from '../contracts/messages.ts';
import { NO_TRANSFER, REQUEST_CONFLICT, TRANSFER_REFUSED, isTransferRefusalReason } from '../contracts/refusals.ts';
import type { Config } from '../config/index.ts';
import type { ChannelRecord, Store } from '../store/index.ts';
import { CALL_WORKFLOW_TYPE, callStartOptions } from '../workflows/call-start.ts';
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
  /** Call workflows start on demand (CALL_WORKFLOWS=on_demand): a request starts the leg's (Update-with-Start). */
  onDemand?: OnDemandStarts;
}

/** What starting a leg's call workflow from a REST request needs. */
export interface OnDemandStarts {
  /** The leg as the live-channel projection knows it: its state goes into the workflow's input. */
  channel(callId: string): Promise<ChannelRecord | undefined>;
  taskQueue: string;
}

/** The engine's options for this configuration: on demand, the store's projection gives a leg's state. */
export function callWorkflowStarts(
  config: Pick<Config, 'CALL_WORKFLOWS' | 'WORKFLOW_TASK_QUEUE'>,
  store: Pick<Store, 'getChannel'>,
): Pick<TemporalCallEngineOptions, 'onDemand'> {
  if (config.CALL_WORKFLOWS !== 'on_demand') return {};
  return { onDemand: { channel: (callId) => store.getChannel(callId), taskQueue: config.WORKFLOW_TASK_QUEUE } };
}

/**
 * The SNAPSHOT a call workflow started on demand takes first: the leg as the projection knows it, as of the row's last
 * change (for a bridged leg, its bridge or later: a hold waits for the bridge's media from then).
 */
export function snapshotOf(rec: ChannelRecord): ChannelEvent {
  const leg: LegInfo = {};
  for (const key of [
    'direction',
    'callerIdName',
    'callerIdNumber',
    'calleeIdNumber',
    'ownerId',
    'authorizingId',
  ] as const) {
    const value = rec[key];
    if (value) leg[key] = value;
  }
  if (rec.accountId) leg.accountId = rec.accountId;
  return snapshotEvent({
    uuid: rec.callId,
    node: rec.node,
    at: rec.updatedAt,
    answered: rec.answered,
    bridgedTo: rec.bridgedTo,
    leg,
  });
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
  private readonly onDemand: OnDemandStarts | undefined;

  constructor(
    private readonly client: Client,
    options: TemporalCallEngineOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.onDemand = options.onDemand;
  }

  /**
   * On demand: how to start the leg's call workflow if it has none yet (the projection's state of the leg in its
   * input), or undefined (every leg has one; or the projection knows no such leg: the request goes to a workflow
   * that may run, as always). `withPeer`: the bridged peer's is started too (a transfer signals the transferee's).
   */
  private async startOperation(
    callId: string,
    withPeer = false,
  ): Promise<WithStartWorkflowOperation<Workflow> | undefined> {
    const onDemand = this.onDemand;
    if (!onDemand) return undefined;
    const start = async (rec: ChannelRecord) =>
      callStartOptions({
        callId: rec.callId,
        node: rec.node,
        taskQueue: onDemand.taskQueue,
        initial: [snapshotOf(rec)],
      });
    const rec = await this.run(callId, () => onDemand.channel(callId));
    if (!rec) return undefined;
    if (withPeer && rec.bridgedTo) {
      const peer = rec.bridgedTo;
      const peerRec = (await this.run(peer, () => onDemand.channel(peer))) ?? {
        callId: peer,
        node: rec.node,
        accountId: null,
        answered: true,
        bridgedTo: callId,
        createdAt: Date.now(),
        updatedAt: Date.now(),
      };
      const options = await start(peerRec);
      await this.run(peer, () =>
        this.client.workflow.start(CALL_WORKFLOW_TYPE, { ...options, workflowIdConflictPolicy: 'USE_EXISTING' }),
      );
    }
    return new WithStartWorkflowOperation(CALL_WORKFLOW_TYPE, {
      ...(await start(rec)),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  /** An Update that waits for its result; on demand it starts the leg's workflow first if need be. */
  private async execute<Ret, Args extends [unknown, ...unknown[]]>(
    callId: string,
    def: UpdateDefinition<Ret, Args>,
    args: Args,
  ): Promise<Ret> {
    const startWorkflowOperation = await this.startOperation(callId);
    return this.run(callId, () =>
      startWorkflowOperation
        ? this.client.workflow.executeUpdateWithStart(def, { args, startWorkflowOperation })
        : this.handle(callId).executeUpdate(def, { args }),
    );
  }

  /** On demand, a leg the projection knows but without a workflow has no transfer: said so, not "no such call". */
  private async noTransferIfUnstarted<T>(callId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CallNotFoundError && this.onDemand && (await this.onDemand.channel(callId)))
        throw new NoTransferError();
      throw err;
    }
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
    const startWorkflowOperation = await this.startOperation(callId, true);
    const updateId = opts.requestId ? { updateId: opts.requestId } : {};
    const update: WorkflowUpdateHandle<TransferAccepted> = await this.run(callId, () =>
      startWorkflowOperation
        ? this.client.workflow.startUpdateWithStart(requestTransferUpdate, {
            args: [ask],
            ...updateId,
            waitForStage: 'ACCEPTED',
            startWorkflowOperation,
          })
        : this.handle(callId).startUpdate(requestTransferUpdate, {
            args: [ask],
            ...updateId,
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
   * The call passes the cancel on to its transfer, and the answer waits for the transfer's verdict: taken back, or an
   * outcome decided before the cancel came (the target failed or rang out and the callers are being given back, or it
   * completed), when nothing was cancelled and the caller of the API is told so, with that outcome. A transfer that
   * does not decide within the API's deadline, or cannot be asked, is answered as the call saw it (the cancel is on
   * its way).
   */
  async takeback(callId: string): Promise<TransferSummary> {
    const deadline = Date.now() + this.timeoutMs;
    const summary = await this.noTransferIfUnstarted(callId, () =>
      this.run(callId, () => this.handle(callId).executeUpdate(takebackUpdate)),
    );
    const transfer = await this.verdict(summary.transferId, deadline);
    if (transfer?.outcome && transfer.outcome !== 'taken_back') throw new TransferEndingError(transfer);
    return transfer?.outcome ? { ...summary, ...transfer } : summary;
  }

  /**
   * The transfer's outcome once decided; a transfer that has closed (or whose workers predate the verdict update) is
   * read by its query instead. Undefined when neither answers by `deadline`.
   */
  private async verdict(transferId: string, deadline: number): Promise<TransferSummary | undefined> {
    const handle = this.client.workflow.getHandle(transferId);
    try {
      return await this.client.connection.withDeadline(deadline, () => handle.executeUpdate(transferVerdictUpdate));
    } catch {
      if (Date.now() >= deadline) return undefined;
      return this.client.connection.withDeadline(deadline, () => handle.query(transferQuery)).catch(() => undefined);
    }
  }

  hold(callId: string, action: 'hold' | 'unhold'): Promise<CallSummary> {
    return this.execute(callId, holdUpdate, [{ action }]);
  }

  transferCode(callId: string, action: TransferCodeRequest): Promise<TransferSummary> {
    return this.noTransferIfUnstarted(callId, () =>
      this.run(callId, () => this.handle(callId).executeUpdate(transferCodeUpdate, { args: [{ action }] })),
    );
  }

  async hangup(callId: string, cause?: string): Promise<void> {
    await this.execute(callId, hangupCallUpdate, [cause === undefined ? {} : { cause }]);
  }

  async breakMedia(callId: string): Promise<void> {
    const startWorkflowOperation = await this.startOperation(callId);
    await this.run(callId, () =>
      startWorkflowOperation
        ? this.client.workflow.executeUpdateWithStart(breakMediaUpdate, { startWorkflowOperation })
        : this.handle(callId).executeUpdate(breakMediaUpdate),
    );
  }
}
