// The state of one leg's call as pure reducers: what a leg event, or the end of the leg's transfer, does to it.
// The call workflow (call.ts) keeps the result and tells Temporal what changed (search attributes, current details);
// nothing here has a side effect, so the rules are read, and tested, on their own.
import { bridgedPeer, type CallSummary, type ChannelEvent, type TransferSummary } from '../contracts/messages.ts';

/**
 * Events a running transfer needs from its parties' legs: their end. An unbridge is no input of its machine
 * (transfer-machine.ts `toInput`), and a bridge is one only while the transfer makes it, when its own bridge activity
 * waits for the CHANNEL_BRIDGE (or reads the switch): each would be a signal the transfer does nothing with.
 */
const FORWARDED = new Set(['CHANNEL_HANGUP_COMPLETE', 'GONE']);

/** A call before its first event. */
export function newCall(callId: string, node: string): CallSummary {
  return { callId, node, phase: 'ringing', answered: false };
}

/**
 * One event of the leg (`self`: the leg's own UUID). While a transfer holds the leg (`inTransfer`) its phase stays
 * `in_transfer`: only the hangup changes it.
 */
export function applyEvent(call: CallSummary, event: ChannelEvent, self: string, inTransfer: boolean): CallSummary {
  const next: CallSummary = { ...call };
  const leg = event.leg;
  if (leg?.accountId) next.accountId = leg.accountId;
  if (leg) {
    // Who the leg is, as its first event says: FreeSWITCH flips an outbound leg's Caller-* fields on answer.
    next.callerIdNumber ??= leg.callerIdNumber;
    next.callerIdName ??= leg.callerIdName;
    next.calleeIdNumber ??= leg.calleeIdNumber;
    next.direction ??= leg.direction;
  }
  switch (event.name) {
    case 'SNAPSHOT':
      next.answered = event.answerState === 'answered';
      next.bridgedTo = event.otherLeg;
      if (!inTransfer) next.phase = next.bridgedTo ? 'bridged' : next.answered ? 'answered' : 'ringing';
      return next;
    case 'CHANNEL_ANSWER':
      next.answered = true;
      if (!inTransfer && next.phase === 'ringing') next.phase = 'answered';
      return next;
    case 'CHANNEL_BRIDGE': {
      next.bridgedTo = bridgedPeer(event, self);
      next.answered = true;
      if (!inTransfer) next.phase = 'bridged';
      return next;
    }
    case 'CHANNEL_UNBRIDGE':
      next.bridgedTo = undefined;
      if (!inTransfer && next.phase === 'bridged') next.phase = 'answered';
      return next;
    case 'CHANNEL_HANGUP_COMPLETE':
    case 'GONE':
      next.hangupCause = event.hangupCause ?? 'NORMAL_CLEARING';
      next.phase = 'ended';
      return next;
    default:
      return next;
  }
}

/**
 * The leg's transfer started, with the leg a party of it: the transfer's hold unbridges the parties (the resolve's, or
 * the transfer's own first), so the leg talks to no one until its next bridge. The hold's unbridge is no event of the
 * call's (workers/ingest/events.ts): this is how its call learns it.
 */
export function transferJoined(call: CallSummary): CallSummary {
  return { ...call, bridgedTo: undefined, phase: 'in_transfer' };
}

/**
 * The leg's transfer ended (`self`: the leg's own UUID). A transferee whose transfer completed (or whose transferor
 * was called back) now talks to the target (or the recall leg).
 */
export function transferEnded(call: CallSummary, ended: TransferSummary, self: string): CallSummary {
  const next: CallSummary = { ...call, transfer: ended };
  const completed = ended.outcome?.startsWith('completed');
  if (ended.transferee === self && completed) next.bridgedTo = ended.targetLeg;
  if (ended.transferee === self && ended.outcome === 'recalled') next.bridgedTo = ended.recallLeg;
  if (next.phase !== 'ended') next.phase = next.bridgedTo ? 'bridged' : 'answered';
  return next;
}

/** Whether the leg's transfer (`transferId`) needs this event from the call, which the ingest did not send it. */
export function forwardsToTransfer(event: ChannelEvent, transferId: string): boolean {
  return FORWARDED.has(event.name) && event.alsoTo !== transferId;
}
