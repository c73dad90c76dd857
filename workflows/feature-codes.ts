// What a completed feature code asks for, read from its metaflow (Kazoo's module and data): a transfer with its
// request, the takeback (Kazoo's `resume`), a hangup, a running transfer's code (contracts/transfer-codes.ts, or the
// metaflow modules `three_way` and `swap`), or nothing. Pure; the call workflow (call.ts) carries it out.
import type { HoldRequest, TransferAsk } from '../contracts/messages.ts';
import { transferCodeOf, type TransferCodeAction } from '../contracts/transfer-codes.ts';
import type { FeatureCodeMatch } from './collector.ts';

export type FeatureCodeAction =
  /** `featureCode`: what was typed before the target (`*2` of `*22600`), for the transfer's summary. */
  | { do: 'transfer'; ask: TransferAsk; featureCode: string }
  | { do: 'takeback' }
  | { do: 'hangup' }
  /**
   * Kazoo's `hold` (toggles) and `hold_control` (`data.action`: hold, unhold, toggle). `moh`: the media the peer hears
   * (Kazoo's `moh_bleg`, which defaults to `moh_aleg`; the holder hears silence here, so `moh_aleg` is not played).
   */
  | { do: 'hold'; action: HoldRequest; moh?: string }
  /** For the running transfer, of which this leg is the transferor: its own code (`code`), or a metaflow module. */
  | { do: 'transfer_code'; action: TransferCodeAction; by: 'code' | 'metaflow' }
  /** A transfer code that names no target, or a module Handoff does not act on: the call is left as it is. */
  | { do: 'nothing'; why: 'no_target' | 'unknown_module' };

export function featureCodeAction(match: FeatureCodeMatch): FeatureCodeAction {
  const code = transferCodeOf(match);
  if (code) return { do: 'transfer_code', action: code, by: 'code' };
  switch (match.metaflow.module) {
    case 'three_way':
    case 'swap':
      return { do: 'transfer_code', action: match.metaflow.module, by: 'metaflow' };
    case 'hold':
      return { do: 'hold', action: 'toggle', ...holdMusic(match) };
    case 'hold_control': {
      const action = match.metaflow.data?.['action'];
      return { do: 'hold', action: action === 'hold' || action === 'unhold' ? action : 'toggle', ...holdMusic(match) };
    }
    case 'transfer':
      return transferAction(match);
    case 'resume':
      return { do: 'takeback' };
    case 'hangup':
      return { do: 'hangup' };
    default:
      return { do: 'nothing', why: 'unknown_module' };
  }
}

function transferAction(match: FeatureCodeMatch): FeatureCodeAction {
  const data = match.metaflow.data ?? {};
  const target = match.captures[0] || str(data['target']);
  if (!target) return { do: 'nothing', why: 'no_target' };
  const rawType = str(data['transfer_type']) ?? str(data['transfer-type']);
  const timeout = data['timeout'];
  const ask: TransferAsk = {
    target,
    takebackDtmf: str(data['takeback_dtmf']),
    moh: str(data['moh']),
    ringback: str(data['ringback']),
    timeoutS: typeof timeout === 'number' && timeout > 0 ? timeout : undefined,
    type: rawType === 'blind' ? 'blind' : rawType === 'attended' ? 'attended' : undefined,
  };
  const partialFailure = data['partial_failure'];
  if (partialFailure === 'hangup' || partialFailure === 'recall') ask.partialFailure = partialFailure;
  if (match.set.owner === 'peer') ask.metaflowOwnerLeg = match.set.ownerLeg;
  const prefix = match.collected.endsWith(target) ? match.collected.slice(0, -target.length) : match.collected;
  return { do: 'transfer', ask, featureCode: `${match.set.metaflows.binding_digit || '*'}${prefix}` };
}

function holdMusic(match: FeatureCodeMatch): { moh?: string } {
  const data = match.metaflow.data ?? {};
  const moh = str(data['moh_bleg']) ?? str(data['moh_aleg']);
  return moh ? { moh } : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
