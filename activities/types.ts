// Plain data exchanged between workflows and activities.

export interface LegState {
  uuid: string;
  exists: boolean;
  answered?: boolean;
  channelState?: string;
  /** The leg it is bridged to now (undefined when parked or unbridged). */
  bridgeUuid?: string;
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

export interface HoldPlan {
  transferId: string;
  transferor: string;
  transferee: string;
  moh: string;
  ringback: string;
  /** Blind transfer: hang the transferor up instead of giving it ringback. */
  releaseTransferor: boolean;
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
