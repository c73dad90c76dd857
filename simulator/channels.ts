// The channel model: state, caller profile, variables, and the channel headers every channel event carries,
// in the order the captures show (Channel-State ... Answer-State, codecs, Caller-*, Other-Leg-*, variable_*).

import { micros } from './events.ts';
import type { Header } from './protocol.ts';
import type { Timer } from './scheduler.ts';

export type ChannelState =
  | 'CS_NEW'
  | 'CS_INIT'
  | 'CS_ROUTING'
  | 'CS_SOFT_EXECUTE'
  | 'CS_EXECUTE'
  | 'CS_EXCHANGE_MEDIA'
  | 'CS_PARK'
  | 'CS_CONSUME_MEDIA'
  | 'CS_HIBERNATE'
  | 'CS_RESET'
  | 'CS_HANGUP'
  | 'CS_REPORTING'
  | 'CS_DESTROY'
  | 'CS_NONE';

export const STATE_NUMBER: Record<ChannelState, number> = {
  CS_NEW: 0,
  CS_INIT: 1,
  CS_ROUTING: 2,
  CS_SOFT_EXECUTE: 3,
  CS_EXECUTE: 4,
  CS_EXCHANGE_MEDIA: 5,
  CS_PARK: 6,
  CS_CONSUME_MEDIA: 7,
  CS_HIBERNATE: 8,
  CS_RESET: 9,
  CS_HANGUP: 10,
  CS_REPORTING: 11,
  CS_DESTROY: 12,
  CS_NONE: 13,
};

export type CallState = 'DOWN' | 'RINGING' | 'EARLY' | 'ACTIVE' | 'HELD' | 'RING_WAIT' | 'HANGUP';
export type AnswerState = 'ringing' | 'early' | 'answered' | 'hangup';

/**
 * What the channel is doing, which decides how it reacts to commands:
 * - `ringing`: an originated -a leg waiting for its far end;
 * - `dialplan`: a -b leg running its dialplan applications;
 * - `app`: an -a leg running its originate application (`&bridge(...)` for example);
 * - `park-app`: parked by the `park` application (CS_EXECUTE);
 * - `park`: parked by uuid_park or park_after_bridge (CS_PARK);
 * - `bridging`: between the steps of a uuid_bridge; `bridged`;
 * - `stuck`: a uuid_bridge whose partner died half-way left it in CS_RESET (captures section 8);
 * - `hungup`.
 */
export type Mode =
  'init' | 'ringing' | 'dialplan' | 'app' | 'park-app' | 'park' | 'bridging' | 'bridged' | 'stuck' | 'hungup';

export interface Profile {
  direction: 'inbound' | 'outbound';
  logicalDirection: 'inbound' | 'outbound';
  callerIdName: string;
  callerIdNumber: string;
  origCallerIdName: string;
  origCallerIdNumber: string;
  calleeIdName: string;
  calleeIdNumber: string;
  ani: string;
  destinationNumber: string;
  transferSource: string;
  context: string;
  channelName: string;
  profileIndex: number;
  profileCreated: number;
}

export interface Times {
  created: number;
  answered: number;
  progress: number;
  progressMedia: number;
  hangup: number;
  transfer: number;
  resurrect: number;
  bridged: number;
  lastHold: number;
  holdAccum: number;
}

export interface Bridge {
  a: Channel;
  b: Channel;
  kind: 'uuid' | 'app';
  ended: boolean;
}

export interface Playback {
  path: string;
  appUuid: string;
  /** Hold music started by uuid_hold on the peer: it ends with Playback-Status break / FILE PLAYED. */
  hold: boolean;
  timer?: Timer;
  /** The queued COMMAND event, replayed at the head of PRIVATE_COMMAND. */
  prefix: Header[];
  app: { name: string; data: string; uuid: string };
}

/** A broadcast waiting to start, with the COMMAND event it queued. */
export type PendingBroadcast = Timer & { prefix: Header[] };

export class Channel {
  state: ChannelState = 'CS_NEW';
  stateNumber = 0;
  callState: CallState = 'DOWN';
  answerState: AnswerState = 'ringing';
  hangupCause?: string;
  hitDialplan: boolean;
  mode: Mode = 'init';
  /** The channel named in Other-Leg-* headers. Stays after the bridge ends (the captures show it stale). */
  other?: { ch: Channel; type: 'originator' | 'originatee' };
  bridge?: Bridge;
  /** The role this channel had in its last bridge: 'a' = the first uuid_bridge argument. */
  lastBridgeRole?: 'a' | 'b';
  partner?: Channel;
  playback?: Playback;
  pendingBroadcasts: PendingBroadcast[] = [];
  /** When the last queued received DTMF digit is due (epoch ms): digits leave the channel's queue in order. */
  dtmfDueAt = 0;
  /** A uuid_break whose stop has not happened yet; a uuid_bridge arriving meanwhile takes it over. */
  pendingBreak?: Timer;
  /** Commands of cancelled broadcasts, parsed (PRIVATE_COMMAND) when the channel next leaves park. */
  queuedCommands: Header[][] = [];
  /** Application currently running (for show channels and the application of CHANNEL_EXECUTE_COMPLETE). */
  app?: { name: string; data: string; uuid: string };
  /** Dialplan applications still to run (-b legs) or the originate application list (-a legs). */
  apps: { name: string; data: string }[] = [];
  appTimer?: Timer;
  /** An originate waiting for this -a leg: resolves with the job body. */
  originate?: { resolve: (body: string) => void; timer?: Timer; app: { name: string; data: string } | null };
  readonly vars = new Map<string, string>();
  readonly profile: Profile;
  readonly times: Times;
  readonly createdMs: number;
  readonly loopbackLeg: 'A' | 'B';
  hangupReason?: 'kill' | 'partner' | 'dialplan' | 'bridge';

  constructor(
    public uuid: string,
    public name: string,
    readonly direction: 'inbound' | 'outbound',
    readonly sessionId: number,
    profile: Profile,
    loopbackLeg: 'A' | 'B',
  ) {
    this.createdMs = Date.now();
    this.profile = profile;
    this.loopbackLeg = loopbackLeg;
    this.hitDialplan = direction === 'inbound';
    this.times = {
      created: this.createdMs,
      answered: 0,
      progress: 0,
      progressMedia: 0,
      hangup: 0,
      transfer: 0,
      resurrect: 0,
      bridged: 0,
      lastHold: 0,
      holdAccum: 0,
    };
  }

  get alive(): boolean {
    return this.mode !== 'hungup';
  }

  get answered(): boolean {
    return this.answerState === 'answered';
  }

  setState(s: ChannelState, num = STATE_NUMBER[s]): void {
    this.state = s;
    this.stateNumber = num;
  }

  /** Setting a variable moves it to the end, as FreeSWITCH's channel variable list does. */
  setVar(name: string, value: string): void {
    this.vars.delete(name);
    this.vars.set(name, value);
  }

  unsetVar(name: string): void {
    this.vars.delete(name);
  }

  getVar(name: string): string | undefined {
    return this.vars.get(name);
  }

  truthy(name: string): boolean {
    const v = (this.vars.get(name) ?? '').toLowerCase();
    return v === 'true' || v === 'yes' || v === 'on' || v === '1';
  }

  get peer(): Channel | undefined {
    const b = this.bridge;
    if (!b || b.ended) return undefined;
    return b.a === this ? b.b : b.a;
  }

  /** Headers shared by all channel events, see module comment. */
  headers(opts: { verbose: boolean; withHangupCause?: boolean }): Header[] {
    const h: Header[] = [
      ['Channel-State', this.state],
      ['Channel-Call-State', this.callState],
      ['Channel-State-Number', String(this.stateNumber)],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', this.direction],
      ['Presence-Call-Direction', this.direction],
      ['Channel-HIT-Dialplan', String(this.hitDialplan)],
      ['Channel-Call-UUID', this.vars.get('call_uuid') ?? this.uuid],
      ['Answer-State', this.answerState],
    ];
    if (this.hangupCause && opts.withHangupCause !== false) h.push(['Hangup-Cause', this.hangupCause]);
    h.push(
      ['Channel-Read-Codec-Name', 'L16'],
      ['Channel-Read-Codec-Rate', '8000'],
      ['Channel-Read-Codec-Bit-Rate', '128000'],
      ['Channel-Write-Codec-Name', 'L16'],
      ['Channel-Write-Codec-Rate', '8000'],
      ['Channel-Write-Codec-Bit-Rate', '128000'],
    );
    h.push(...profileHeaders('Caller-', this, true));
    if (this.other) {
      h.push(['Other-Type', this.other.type]);
      h.push(...profileHeaders('Other-Leg-', this.other.ch, false));
    }
    if (opts.verbose) for (const [k, v] of this.vars) h.push([`variable_${k}`, v]);
    return h;
  }
}

function profileHeaders(prefix: string, ch: Channel, withIndex: boolean): Header[] {
  const p = ch.profile;
  const t = ch.times;
  const h: Header[] = [];
  const add = (n: string, v: string): void => {
    if (v !== '') h.push([prefix + n, v]);
  };
  add('Direction', p.direction);
  add('Logical-Direction', p.logicalDirection);
  add('Dialplan', 'xml');
  add('Caller-ID-Name', p.callerIdName);
  add('Caller-ID-Number', p.callerIdNumber);
  add('Orig-Caller-ID-Name', p.origCallerIdName);
  add('Orig-Caller-ID-Number', p.origCallerIdNumber);
  add('Callee-ID-Name', p.calleeIdName);
  add('Callee-ID-Number', p.calleeIdNumber);
  add('ANI', p.ani);
  add('Destination-Number', p.destinationNumber);
  add('Unique-ID', ch.uuid);
  add('Source', 'mod_loopback');
  if (withIndex) add('Transfer-Source', p.transferSource); // never in Other-Leg-* (captures)
  add('Context', p.context);
  add('Channel-Name', p.channelName);
  if (withIndex) add('Profile-Index', String(p.profileIndex));
  add('Profile-Created-Time', micros(p.profileCreated));
  add('Channel-Created-Time', micros(t.created));
  add('Channel-Answered-Time', micros(t.answered));
  add('Channel-Progress-Time', micros(t.progress));
  add('Channel-Progress-Media-Time', micros(t.progressMedia));
  add('Channel-Hangup-Time', micros(t.hangup));
  add('Channel-Transfer-Time', micros(t.transfer));
  add('Channel-Resurrect-Time', micros(t.resurrect));
  add('Channel-Bridged-Time', micros(t.bridged));
  add('Channel-Last-Hold', micros(t.lastHold));
  add('Channel-Hold-Accum', micros(t.holdAccum));
  add('Screen-Bit', 'true');
  add('Privacy-Hide-Name', 'false');
  add('Privacy-Hide-Number', 'false');
  return h;
}
