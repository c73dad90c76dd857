// Plain data exchanged between workflows and activities.
import type { TransferStep } from '../observability/metrics.ts';

export interface LegState {
  uuid: string;
  exists: boolean;
  answered?: boolean;
  channelState?: string;
  /** The leg it is bridged to now (undefined when parked or unbridged). */
  bridgeUuid?: string;
  /** The conference the leg is a member of, when the caller asked about that conference (its member list). */
  conference?: string;
  /** Call-Direction: inbound or outbound. */
  direction?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  calleeIdName?: string;
  calleeIdNumber?: string;
  /** Caller-Destination-Number: what was dialled to create the leg. */
  destinationNumber?: string;
  /** The caller ID the leg was created with: FreeSWITCH flips an originated leg's caller ID on answer. */
  origCallerIdName?: string;
  origCallerIdNumber?: string;
  vars?: Record<string, string>;
}

export interface SavedSettings {
  park_after_bridge?: string;
  hangup_after_bridge?: string;
  playback_terminators?: string;
}

/** A bridge that completes one of a transfer's timed steps, and when that step began (a switch event's time, ms). */
export interface StepTiming {
  step: TransferStep;
  since: number;
}

export interface HoldResult {
  saved: Record<string, SavedSettings>;
  /** Which of the two legs still existed once they were put on hold. */
  alive: { transferor: boolean; transferee: boolean };
}

export interface OriginatePlan {
  transferId: string;
  targetLeg: string;
  jobUuid: string;
  dialString: string;
  ringTimeoutS: number;
  callerIdName?: string;
  callerIdNumber?: string;
  vars: Record<string, string>;
}

/** A transfer's three-way: who goes into which conference, and in which order (switch.ts joinConference). */
export interface ConferencePlan {
  conference: string;
  /** The conference profile (mod_conference's `default` unless configured). */
  profile: string;
  /** The party not bridged to the transferor: it goes in first. */
  alone: string;
  transferor: string;
  /** The transferor's bridged peer, moved with it. */
  peer: string;
  /** How long to wait for every leg to show in the member list (default 3 s). */
  waitMs?: number;
}

/**
 * What a node worker's ingest still has of a leg's key presses (activities/ingest.ts): `held` not yet delivered to the
 * leg's call workflow; `sure`: the ingest can vouch for it: it was listening to the switch before the presses asked
 * about and is not waiting for Temporal's return. Not sure, the workflow goes on waiting as if some were held.
 */
export interface KeyPressesHeld {
  held: number;
  sure: boolean;
}
