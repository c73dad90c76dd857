// A transfer's hold as the switch activity takes it (activities/switch.ts `holdForTransfer`): the transferee hears
// music, the transferor ringback (or, a blind transfer's, is hung up). Built from a transfer in one place, whoever holds
// first: the resolve activity (activities/policy.ts, before the transfer workflow starts) or the transfer's own
// prologue (workflows/transfer.ts) when the resolve did not.
import type { TransferType } from './messages.ts';

export interface HoldPlan {
  transferId: string;
  transferor: string;
  transferee: string;
  moh: string;
  ringback: string;
  /** Blind transfer: hang the transferor up instead of giving it ringback. */
  releaseTransferor: boolean;
  /** What the metrics say of the transfer: its type, what started it, and when it was asked for (ms since the epoch). */
  type?: TransferType;
  startedBy?: 'dtmf' | 'api';
  requestedAt?: number;
}

/** What a hold is built from (the transfer's plan, or what the resolve knows of it): its type decides the rest. */
export type HoldOf = Omit<HoldPlan, 'releaseTransferor' | 'type'> & { type: TransferType };

/** The hold of a transfer; only the fields of HoldPlan, whatever else `of` carries. */
export function holdPlan(of: HoldOf): HoldPlan {
  return {
    transferId: of.transferId,
    transferor: of.transferor,
    transferee: of.transferee,
    moh: of.moh,
    ringback: of.ringback,
    releaseTransferor: of.type === 'blind',
    type: of.type,
    startedBy: of.startedBy,
    requestedAt: of.requestedAt,
  };
}
