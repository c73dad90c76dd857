// What the API asks of the call engine, and the errors it can answer with. The production implementation talks to
// the call workflows through Temporal (temporal-engine.ts, which implements this interface); HTTP tests use a
// recording double.
import type {
  CallSummary,
  TransferAccepted,
  TransferAsk,
  TransferCodeRequest,
  TransferSummary,
} from '../contracts/messages.ts';
import type { TransferRefusalReason } from '../contracts/refusals.ts';

export type { CallSummary, TransferAccepted, TransferAsk, TransferCodeRequest, TransferRefusalReason, TransferSummary };
export {
  CallNotFoundError,
  EngineFailedError,
  EngineUnavailableError,
  NoTransferError,
  RequestConflictError,
  TransferEndingError,
  TransferRefusedError,
} from './engine-errors.ts';

/**
 * The call's workflow accepted the transfer request, but its answer did not come within the API's deadline: the
 * transfer is being set up (a slow switch, a node worker restarting). The same request again gets the answer.
 */
export interface TransferPending {
  pending: true;
}

export interface CallEngine {
  /** The call's workflow state (phase, peer, running transfer); undefined when the engine has no such call. */
  getCall(callId: string): Promise<CallSummary | undefined>;
  /**
   * Resolves when the call's workflow accepted the transfer (or, when it is slow to answer, once it has accepted the
   * request: TransferPending); throws TransferRefusedError otherwise. `requestId`: the Update ID
   * (api/idempotency.ts): the same ID twice starts one transfer, and the second gets the first's answer.
   */
  requestTransfer(
    callId: string,
    ask: TransferAsk,
    opts?: { requestId?: string },
  ): Promise<TransferAccepted | TransferPending>;
  /**
   * Cancels the running transfer and reconnects transferor and transferee; NoTransferError when none runs,
   * TransferEndingError when its outcome was decided otherwise already.
   */
  takeback(callId: string): Promise<TransferSummary>;
  /** The transferor's three-way or swap for its running transfer; NoTransferError when it is not one's transferor. */
  transferCode(callId: string, action: TransferCodeRequest): Promise<TransferSummary>;
  /** Kazoo's hold: the call's peer hears music until unhold; answers the call afterwards. */
  hold(callId: string, action: 'hold' | 'unhold'): Promise<CallSummary>;
  hangup(callId: string, cause?: string): Promise<void>;
  breakMedia(callId: string): Promise<void>;
}
