// The errors a CallEngine answers with, each mapped by the API to one status code.
import type { TransferSummary } from '../contracts/messages.ts';
import type { TransferRefusalReason } from '../contracts/refusals.ts';

/** The engine has no such call, or it has ended. → 404 */
export class CallNotFoundError extends Error {
  constructor(readonly callId: string) {
    super(`no call ${callId}`);
    this.name = 'CallNotFoundError';
  }
}

/** The call's workflow refused the transfer, with why. → 400, or 409 for transfer_in_progress */
export class TransferRefusedError extends Error {
  constructor(
    readonly reason: TransferRefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'TransferRefusedError';
  }
}

/** The Idempotency-Key of a transfer request was used on this call for a different request. → 409 */
export class RequestConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestConflictError';
  }
}

/** cancel_transfer on a call with no running transfer. → 409 */
export class NoTransferError extends Error {
  constructor(message = 'no transfer is running on this call') {
    super(message);
    this.name = 'NoTransferError';
  }
}

/**
 * cancel_transfer when the transfer's outcome was already decided otherwise (the target failed or rang out and the
 * callers are being given back, or the transfer completed): nothing is cancelled. → 409, with the outcome
 */
export class TransferEndingError extends Error {
  constructor(readonly transfer: TransferSummary) {
    super(
      `the transfer had already ended or was ending: ${transfer.outcome}${transfer.reason ? ` (${transfer.reason})` : ''}`,
    );
    this.name = 'TransferEndingError';
  }
}

/** The engine cannot be reached or did not answer in time. → 503 */
export class EngineUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineUnavailableError';
  }
}

/** The engine answered with a failure the API has no specific meaning for. → 500 */
export class EngineFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineFailedError';
  }
}
