// Why a transfer request is refused, as every process names it: the policy activities and the call workflow refuse
// with these reasons, the API maps each to its HTTP answer. A refusal is an ApplicationFailure of type
// TRANSFER_REFUSED whose `details[0]` is the reason; nonretryable, since asking again changes nothing.
import { ApplicationFailure } from '@temporalio/common';

export const TRANSFER_REFUSAL_REASONS = [
  'not_bridged',
  'transfer_in_progress',
  'invalid_target',
  'invalid_takeback_dtmf',
  'invalid_media',
  'call_ended',
  'not_answered',
  /** The call's node is drained (the on-call CLI's `drain`): no new transfers there. */
  'node_draining',
] as const;

export type TransferRefusalReason = (typeof TRANSFER_REFUSAL_REASONS)[number];

export function isTransferRefusalReason(value: unknown): value is TransferRefusalReason {
  return typeof value === 'string' && (TRANSFER_REFUSAL_REASONS as readonly string[]).includes(value);
}

/** ApplicationFailure type used when a transfer is refused; `details[0]` is a TransferRefusalReason. */
export const TRANSFER_REFUSED = 'TransferRefused';

/** ApplicationFailure type of a takeback asked for when no transfer runs on the call. */
export const NO_TRANSFER = 'NoTransfer';

/** ApplicationFailure type of a transfer request whose Idempotency-Key was used on the call for a different request. */
export const REQUEST_CONFLICT = 'RequestConflict';

/** Refuses a transfer request: throws the failure the API reads the reason from. */
export function refuse(reason: TransferRefusalReason, message: string): never {
  throw ApplicationFailure.create({ type: TRANSFER_REFUSED, message, details: [reason], nonRetryable: true });
}
