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
 * - `conference`: a member of a conference (the `conference` application);
 * - `stuck`: a uuid_bridge whose partner died half-way left it in CS_RESET (captures section 8);
 * - `hungup`.
 */
export type Mode =
  | 'init'
  | 'ringing'
  | 'dialplan'
  | 'app'
  | 'park-app'
  | 'park'
  | 'bridging'
  | 'bridged'
  | 'conference'
  | 'stuck'
  | 'hungup';

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
  /** The bridge has carried 200 ms of media: a command queued on a leg runs from then on (lead frames, 21e). */
  leadFramesRead?: boolean;
  /**
   * uuid_hold on either leg: the bridge drops the audio both ways until it ends (any new bridge or transfer clears
   * it). `leadFramesRead` says whether the lead frames were read before the first hold (after it no more frames are
   * counted), `musicQueued` whether a hold music broadcast was already queued.
   */
  hold?: { leadFramesRead: boolean; musicQueued: boolean };
  /** Legs that had bridge_filter_dtmf set when the bridge started: their digits do not pass. */
  filterDtmf?: ReadonlySet<Channel>;
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

/** An application bound to DTMF (bind_meta_app, bind_digit_action), and whether it puts the peer on hold meanwhile. */
export interface DigitBinding {
  app: string;
  data: string;
  holdPeer: boolean;
}

export interface DtmfSettings {
  /** uuid_drop_dtmf on: DTMF sent to this channel is dropped (replaced by `mask` digits, if any). */
  drop?: { mask: string };
  /** bind_meta_app: `*` then the key. `armed` after a `*`. */
  metaApps: Map<string, DigitBinding>;
  metaArmed?: boolean;
  /** bind_digit_action: a regular expression over the digits pressed, and what runs on a match. */
  digitActions: (DigitBinding & { pattern: RegExp; digits: string })[];
  /** Digits held by the digit machine until they match or time out. */
  buffer: string;
  bufferTimer?: Timer;
  /** While a bound application runs, digits wait here and arrive after it. */
  waiting?: { digit: string; phone: boolean }[];
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
  /**
   * Digits on their way to this channel, in order: `receive` ones go through its bindings first (uuid_recv_dtmf),
   * `event` ones only show as a DTMF event on it (what reaches a loopback partner). One timer serves the queue, so
   * no timer jitter, nor a pause of the process, can swap two digits (CI once saw `*1` arrive as `1*`).
   */
  dtmfQueue: { digit: string; duration: number; kind: 'receive' | 'phone' | 'event'; due: number }[] = [];
  dtmfTimer?: Timer;
  /** A uuid_break whose stop has not happened yet; a uuid_bridge arriving meanwhile takes it over. */
  pendingBreak?: Timer;
  /** Commands of cancelled broadcasts, parsed (PRIVATE_COMMAND) when the channel next leaves park. */
  queuedCommands: Header[][] = [];
  /**
   * Hold music broadcasts that never started (a hold too soon after the bridge, or a second hold): they run and fail
   * when the channel is next bridged (captures 21a, 21e).
   */
  queuedHoldMusic: { path: string; prefix: Header[] }[] = [];
  /** A command that moves the channel (uuid_transfer, uuid_bridge) was accepted and has not run yet. */
  moving = false;
  /** What the channel does with DTMF besides passing it on (dtmf.ts). */
  readonly dtmf: DtmfSettings = { metaApps: new Map(), digitActions: [], buffer: '' };
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
  /** Shown as `dest` by show channels|calls after an inline transfer (the events keep Caller-Destination-Number). */
  showDest?: string;

  constructor(
    public uuid: string,
    public name: string,
    readonly direction: 'inbound' | 'outbound',
    readonly sessionId: number,
    profile: Profile,
    loopbackLeg: 'A' | 'B',
    /** The switch's global variables: getVar falls back to them. */
    private readonly globals: ReadonlyMap<string, string> = new Map(),
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

  /** The channel variable, else the global one (FreeSWITCH's lookup; captured in step 21a for hold_music). */
  getVar(name: string): string | undefined {
    return this.vars.get(name) ?? this.globals.get(name);
  }

  truthy(name: string): boolean {
    const v = (this.getVar(name) ?? '').toLowerCase();
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
