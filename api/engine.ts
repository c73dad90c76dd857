// What the API asks of the call engine, and the errors it can answer with. The production implementation talks to
// the call workflows through Temporal (temporal-engine.ts, which implements this interface); HTTP tests use a
// recording double.
import type { CallSummary, TransferAccepted, TransferAsk, TransferSummary } from '../contracts/messages.ts';
import type { TransferRefusalReason } from '../contracts/refusals.ts';

export type { CallSummary, TransferAccepted, TransferAsk, TransferRefusalReason, TransferSummary };
export {
  CallNotFoundError,
  EngineFailedError,
  EngineUnavailableError,
  NoTransferError,
  TransferRefusedError,
} from './engine-errors.ts';

export interface CallEngine {
  /** The call's workflow state (phase, peer, running transfer); undefined when the engine has no such call. */
  getCall(callId: string): Promise<CallSummary | undefined>;
  /** Resolves when the call's workflow accepted the transfer; throws TransferRefusedError otherwise. */
  requestTransfer(callId: string, ask: TransferAsk): Promise<TransferAccepted>;
  /** Cancels the running transfer and reconnects transferor and transferee; NoTransferError when none runs. */
  takeback(callId: string): Promise<TransferSummary>;
  hangup(callId: string, cause?: string): Promise<void>;
  breakMedia(callId: string): Promise<void>;
}
