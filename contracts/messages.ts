// The messages that cross process boundaries: ingest → workflows (signals), API → workflows (updates, queries),
// workflows → workflows. Shared by every process so that a signal name can never be misspelt on one side.
//
// Words, one per concept: the transferor presses the code (or asks over REST) and hands its peer, the transferee, to
// the target, the number dialled; the target leg is the channel originated to reach it. The takeback gives the
// transferor its transferee back and ends the transfer (outcome `taken_back`): its digits (`takeback_dtmf`), Kazoo's
// `resume` metaflow module and the REST `cancel_transfer` action all ask for it. A transfer is resumed when a new run
// of it, started after one ended by hand, carries on from what the switch shows.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The FreeSWITCH events a workflow acts on. The ingest forwards nothing else. */
export type ChannelEventName =
  | 'CHANNEL_CREATE'
  | 'CHANNEL_ANSWER'
  | 'CHANNEL_BRIDGE'
  | 'CHANNEL_UNBRIDGE'
  | 'CHANNEL_PARK'
  | 'CHANNEL_HANGUP_COMPLETE'
  | 'DTMF'
  /** Synthetic: the reconciler's view of a live channel that had no workflow (or whose workflow must re-check it). */
  | 'SNAPSHOT'
  /** Synthetic: the reconciler found no such channel on the switch. */
  | 'GONE';

/** One FreeSWITCH channel event, reduced to what the engine reads. */
export interface ChannelEvent {
  name: ChannelEventName;
  /** Unique-ID: the channel (leg) the event is about. */
  uuid: string;
  /** Core-UUID + Event-Sequence identify an event on one switch run; used to drop duplicates from HA ingest. */
  coreUuid: string;
  seq: number;
  /** Event-Date-Timestamp in ms since the epoch. */
  at: number;
  /** The FreeSWITCH node (config name) that hosts the leg. */
  node: string;
  otherLeg?: string;
  bridgeA?: string;
  bridgeB?: string;
  digit?: string;
  /**
   * On key presses: whether the ingest held the press before delivering it (a send of it had failed, or it waited in
   * the ingest longer than workers/ingest/queue.ts HELD_AFTER_MS before its send began: Temporal was away). The
   * collector grants a late digit timer a wait for held digits only while the presses it has were not held
   * themselves. Absent from older ingests.
   */
  held?: boolean;
  /**
   * On key presses: the ingest was pacing its signals when it sent the press (Temporal had refused them over its rate
   * limit; workers/ingest/queue.ts): the leg's next presses may come hundreds of ms after their press, so a digit
   * timer waits for them before it decides (workflows/collector.ts PACED_DIGITS_GRACE_MS). Absent when it was not.
   */
  paced?: boolean;
  /**
   * On the last key press of a code the ingest collected and sent as one (workers/ingest/code-hold.ts): no key was
   * pressed on the leg for this long after it, so a collection whose digit timeout is no longer has ended, and the
   * call workflow ends it at once rather than start its timer. Absent on every other press, and from older ingests.
   */
  quietMs?: number;
  hangupCause?: string;
  answerState?: string;
  /**
   * Who the leg is, read by the ingest from the event's headers and channel variables; only on events that carry
   * variables (every channel event but DTMF). Variable names are configurable (ACCOUNT_ID_VARIABLE ...).
   */
  leg?: LegInfo;
  /**
   * The transfer the ingest delivered this event to as well: the leg is a transferor or transferee (it carries
   * handoff_active_transfer), so its call workflow need not forward it.
   */
  alsoTo?: string;
}

/**
 * The leg a CHANNEL_BRIDGE bridges `leg` (by default the event's own) to: the Bridge-*-Unique-ID that is not that leg,
 * else Other-Leg-Unique-ID.
 */
export function bridgedPeer(event: ChannelEvent, leg: string = event.uuid): string | undefined {
  return (event.bridgeA === leg ? event.bridgeB : event.bridgeA) ?? event.otherLeg;
}

/**
 * A SNAPSHOT: a leg as something other than its own events shows it (the switch's channel list, `uuid_dump`, the
 * channel projection), for a call workflow that may have missed events or starts after its leg did. It carries no
 * switch sequence (0).
 */
export function snapshotEvent(s: {
  uuid: string;
  node: string;
  at: number;
  answered: boolean | undefined;
  bridgedTo?: string | null | undefined;
  leg?: LegInfo;
}): ChannelEvent {
  return {
    name: 'SNAPSHOT',
    uuid: s.uuid,
    coreUuid: '',
    seq: 0,
    at: s.at,
    node: s.node,
    answerState: s.answered ? 'answered' : 'ringing',
    ...(s.bridgedTo ? { otherLeg: s.bridgedTo } : {}),
    ...(s.leg ? { leg: s.leg } : {}),
  };
}

export interface LegInfo {
  /** From the ACCOUNT_ID_VARIABLE channel variable (Kazoo: ecallmgr_Account-ID), else DEFAULT_ACCOUNT_ID. */
  accountId?: string;
  /** From AUTHORIZING_ID_VARIABLE (Kazoo: the device). */
  authorizingId?: string;
  /** From OWNER_ID_VARIABLE (Kazoo: the user). */
  ownerId?: string;
  /** Call-Direction. */
  direction?: string;
  /** Caller-Caller-ID-Name / -Number, Caller-Callee-ID-Number. */
  callerIdName?: string;
  callerIdNumber?: string;
  calleeIdNumber?: string;
  channelName?: string;
}

/** The result of a `bgapi originate`, routed by the ingest from BACKGROUND_JOB to the transfer that asked. */
export interface OriginateResult {
  jobUuid: string;
  /** The leg's UUID on `+OK <uuid>`. */
  uuid?: string;
  /** The hangup cause on `-ERR <CAUSE>` (e.g. NO_ANSWER, USER_BUSY, NO_ROUTE_DESTINATION). */
  cause?: string;
  at: number;
}

/** Every event for one channel, in switch order, batched by the ingest: one signal per batch, not per event. */
export const channelEventsSignal = defineSignal<[ChannelEvent[]]>('channelEvents');

/** Leg events a transfer follows: its target leg's own events (from the ingest), the others' (from their call workflows). */
export const transferLegEventsSignal = defineSignal<[ChannelEvent[]]>('transferLegEvents');
export const originateResultSignal = defineSignal<[OriginateResult]>('originateResult');

/** Sent by a transfer to the transferee's call workflow, so that it forwards its leg's events to the transfer. */
export const joinTransferSignal = defineSignal<[{ transferId: string; role: 'transferee' }]>('joinTransfer');
/** Sent by a transfer to both call workflows when it ends. */
export const transferEndedSignal = defineSignal<[TransferSummary]>('transferEnded');
/** The ingest reconnected and events may have been lost: a running transfer reads its legs on the switch again. */
export const auditLegsSignal = defineSignal<[]>('auditLegs');

export type TransferType = 'attended' | 'blind';

/** What a client (REST or feature code) asks for. Optional fields fall back to the account's, then the system's. */
export interface TransferAsk {
  target: string;
  takebackDtmf?: string;
  /** A media ID or a stream URL (tone_stream://, local_stream://, a file path). */
  moh?: string;
  ringback?: string;
  /** The target's ring time in seconds. */
  timeoutS?: number;
  type?: TransferType;
  /** What to do if the transferor has left and the target fails (default: the PARTIAL_FAILURE setting). */
  partialFailure?: 'hangup' | 'recall';
  /**
   * A feature code of the peer's metaflows (listen_on peer|both): the peer's leg. The transfer is then that account's:
   * its media and defaults, and its account variables on the target leg. Absent: the transferor's own.
   */
  metaflowOwnerLeg?: string;
}

export interface TransferAccepted {
  transferId: string;
  transferor: string;
  transferee: string;
  target: string;
  type: TransferType;
}

/** The transfer's phase (the state machine's, workflows/transfer-machine.ts), and who hears what in each. */
export type TransferPhase =
  /** The parties are being put on hold and the target dialled (the workflow's prologue, before the machine runs). */
  | 'starting'
  /** The target rings; the transferor hears ringback, the transferee hears music. */
  | 'ringing'
  /** The transferor talks to the target; the transferee hears music. */
  | 'consulting'
  /** The transferor has left while the target rings; the transferee hears music and gets the target on answer. */
  | 'partial'
  /** The target failed after the transferor left: the transferor is called back; the transferee hears music. */
  | 'recalling'
  /** A bridge was requested and is awaiting its CHANNEL_BRIDGE (or the deadline, then a look at the switch). */
  | 'connecting'
  /** The three parties are being moved into one conference; the join reads the member list before it answers. */
  | 'joining'
  /** Transferor, transferee and target talk in one conference. */
  | 'three_way'
  /** The transferor talks to the transferee again; the target hears music (the consultation, swapped). */
  | 'swapped'
  | 'ended';

/** How a transfer ended: the outcomes the state machine (workflows/transfer-machine.ts) ends a transfer with. */
export const TRANSFER_OUTCOMES = [
  'completed',
  'completed_partial',
  'completed_blind',
  'taken_back',
  'target_failed',
  'target_hung_up',
  'transferee_left',
  'transferor_and_transferee_left',
  'partial_failed',
  /** A partial transfer failed and the transferor, called back, took the transferee again. */
  'recalled',
  'failed',
] as const;

export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number];

/**
 * A transfer ended by hand (terminated or cancelled in the UI) is started again from the switch's state, by the
 * transferor's call workflow or the ingest's sweep; one ended by hand again and again is left alone after this many.
 */
export const MAX_TRANSFER_RESUMES = 3;

export interface TransferSummary {
  transferId: string;
  phase: TransferPhase;
  outcome?: TransferOutcome;
  /** Why: a hangup cause (USER_BUSY, NO_ANSWER ...) or a refusal reason. */
  reason?: string;
  transferor: string;
  transferee: string;
  target: string;
  targetLeg?: string;
  /** The leg that called the transferor back (policy `recall`), once one was originated. */
  recallLeg?: string;
  type: TransferType;
  startedAt: number;
  endedAt?: number;
}

/** `held`: the leg put its peer on hold (Kazoo's `hold`): the peer hears music, the leg silence. */
export type CallPhase = 'ringing' | 'answered' | 'bridged' | 'held' | 'in_transfer' | 'ended';

export interface CallSummary {
  callId: string;
  node: string;
  accountId?: string;
  phase: CallPhase;
  /** The transfer this leg takes part in now (as transferor or transferee); set by the query only. */
  activeTransferId?: string;
  direction?: string;
  callerIdNumber?: string;
  callerIdName?: string;
  calleeIdNumber?: string;
  answered: boolean;
  bridgedTo?: string;
  hangupCause?: string;
  transfer?: TransferSummary;
  /** The peer whose ear is masked while this leg types a private feature code (a metaflow's private_codes). */
  digitsKeptFrom?: string;
}

/** REST `transfer`: start a transfer; answers accepted (with the transfer's ID) or throws TRANSFER_REFUSED. */
export const requestTransferUpdate = defineUpdate<TransferAccepted, [TransferAsk]>('requestTransfer');
/**
 * REST `cancel_transfer`: the takeback (the running transfer is cancelled, transferor and transferee talk again).
 * Its wire name stays 'cancelTransfer': running workflows and recorded histories know it by that name.
 */
export const takebackUpdate = defineUpdate<TransferSummary, []>('cancelTransfer');
export const callQuery = defineQuery<CallSummary>('call');
export const transferQuery = defineQuery<TransferSummary>('transfer');
/**
 * The transfer once its outcome is decided (at once if it is): what a REST cancel_transfer answers with. The cancel's
 * signal is in the transfer's history before this is asked, so the outcome is the cancel's, or what came before it
 * (the target rang out or failed first); a query asked then could still see the transfer ringing.
 */
export const transferVerdictUpdate = defineUpdate<TransferSummary, []>('transferVerdict');
/**
 * The takeback, delivered to a transfer workflow by the transferor's call workflow; `by`: `takeback` (the digits),
 * `resume` (Kazoo's metaflow module), `api` or `ctl` (the on-call CLI); `at`: the switch's time of the takeback code's
 * last digit (the `takeback` step is timed from it); `key`: that digit's press (contracts/ids.ts `keyPressId`), which
 * the transfer may have acted on already from its own copy of the transferor's presses. Its wire name stays
 * 'cancelTransfer', as the update's does.
 */
export const takebackSignal = defineSignal<[{ by: string; at?: number; key?: string }]>('cancelTransfer');

/** What the transferor may ask of a running transfer besides the takeback (contracts/transfer-codes.ts). */
export type TransferCodeRequest = 'three_way' | 'swap';

/**
 * The transferor's three-way or swap, delivered to a transfer workflow by the transferor's call workflow; `by`:
 * `code` (the transfer's own code), `metaflow` (a metaflow module of that name) or `api`; `at` and `key`: the switch's
 * time of the code's last digit and that press, as for the takeback.
 */
export const transferCodeSignal =
  defineSignal<[{ action: TransferCodeRequest; by: string; at?: number; key?: string }]>('transferCode');
/**
 * REST `three_way` and `swap`: asked of the transferor's call, which passes them to its running transfer. Refused
 * (NO_TRANSFER) when the call is not the transferor of a running transfer; a transfer not consulting ignores it.
 */
export const transferCodeUpdate = defineUpdate<TransferSummary, [{ action: TransferCodeRequest }]>('transferCode');

/** Kazoo's `hold` and `hold_control`: `toggle` holds a bridged call, or takes a held one off hold. */
export type HoldRequest = 'hold' | 'unhold' | 'toggle';
/**
 * REST `hold` and `unhold` (and the metaflow modules `hold`, `hold_control`): the leg's peer hears music while the leg
 * hears silence, until unhold. Answers the call's phase afterwards (`held`, or `bridged`).
 */
export const holdUpdate = defineUpdate<CallSummary, [{ action: HoldRequest }]>('hold');

/** REST `hangup` action: hang the call's leg up (default cause NORMAL_CLEARING). */
export const hangupCallUpdate = defineUpdate<void, [{ cause?: string }]>('hangup');
/** REST `break` action: stop what the leg is playing. */
export const breakMediaUpdate = defineUpdate<void, []>('break');
