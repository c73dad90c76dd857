// The simulated FreeSWITCH core: channel registry, the event shapes of each channel event,
// hangup, park and transfer. Loopback pairs live in loopback.ts, dialplan applications in apps.ts, bridging in
// bridge.ts, media in media.ts: those modules build on this one and subscribe to its hooks (see SwitchHooks), so the
// core never imports them.

import type { Channel } from './channels.ts';
import { type Bridge, type CallState, type ChannelState } from './channels.ts';
import { Dialplan, type DialplanEntry } from './dialplan.ts';
import { EventBus, type Calling, type SimEvent } from './events.ts';
import { Plan } from './plan.ts';
import type { Header } from './protocol.ts';
import { Rng } from './random.ts';
import { Scheduler } from './scheduler.ts';

export interface SwitchOptions {
  seed: number;
  hostname: string;
  coreUuid?: string;
  dialplan?: readonly DialplanEntry[];
  /** Global variables; DEFAULT_GLOBALS when not given. */
  globals?: Readonly<Record<string, string>>;
}

/**
 * The captured switch's global variables from steps 20 on (a stock vars.xml sets the same hold music). The build of
 * steps 00-18 had none: `uuid_getvar <uuid> hold_music` answered `_undef_` there.
 */
export const DEFAULT_GLOBALS: Readonly<Record<string, string>> = { hold_music: 'local_stream://moh' };

export interface JournalEntry {
  at: string;
  client: number;
  command: string;
}

/** Why a bridge ends: its `leaving` leg hung up, was parked, was transferred, or was taken by another uuid_bridge. */
export interface BridgeEnd {
  bridge: Bridge;
  leaving: Channel;
  how: 'hangup' | 'park' | 'transfer' | 'steal';
  plan: Plan;
  phase: number;
  /** A leg transferred together with `leaving` (uuid_transfer -both): it neither parks nor hangs up. */
  alsoMoving?: Channel | undefined;
}

/**
 * Points where the core hands over to the modules above it. Each subscriber adds its steps to the list it is given,
 * at the place in the channel's sequence where the hook is called, so the captured order is kept.
 */
export interface SwitchHooks {
  /**
   * `ch` stops what it is doing to be parked, bridged or transferred (a playback stops, a conference is left).
   * Its own steps go to `plan.list(phase, ch)`; what follows on other channels may go to a later phase.
   */
  leaving: (ch: Channel, plan: Plan, phase: number) => void;
  /** `ch`'s bridge peer went: what played only because of the bridge (hold music) stops. */
  peerGone: (ch: Channel, plan: Plan, phase: number) => void;
  /** `ch` is hanging up: right after its CHANNEL_HANGUP, what it was playing or was a member of ends. */
  hangingUp: (ch: Channel, plan: Plan, phase: number) => void;
  /** A bridge ends (see BridgeEnd). */
  bridgeEnds: (end: BridgeEnd) => void;
  /** `ch` runs its next application (`ch.apps`); with none left it hangs up. */
  runApps: (ch: Channel) => void;
}

/** Subscribers per hook, called in the order they subscribed. */
export class Hooks<H extends { [K in keyof H]: (...args: never[]) => void }> {
  private readonly subscribers: { [K in keyof H]?: H[K][] } = {};

  on<K extends keyof H>(name: K, fn: H[K]): void {
    (this.subscribers[name] ??= []).push(fn);
  }

  emit<K extends keyof H>(name: K, ...args: Parameters<H[K]>): void {
    const subs = this.subscribers[name];
    if (!subs?.length) throw new Error(`simulator: nothing subscribed to the ${String(name)} hook`);
    for (const fn of subs) (fn as (...a: Parameters<H[K]>) => void)(...args);
  }
}

const Q850: Record<string, number> = {
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_DESTINATION: 3,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  CALL_REJECTED: 21,
  NORMAL_UNSPECIFIED: 31,
  ORIGINATOR_CANCEL: 487,
  LOSE_RACE: 502,
  MANAGER_REQUEST: 503,
};

export class Switch {
  readonly rng: Rng;
  readonly sched: Scheduler;
  readonly bus: EventBus;
  readonly dialplan: Dialplan;
  readonly channels = new Map<string, Channel>();
  readonly journal: JournalEntry[] = [];
  readonly hooks = new Hooks<SwitchHooks>();
  /** Global variables (`global_setvar`); a channel variable lookup falls back to them, as FreeSWITCH's does. */
  readonly globals: Map<string, string>;
  readonly startedMs = Date.now();
  sessionsSinceStart = 0;
  peakSessions = 0;
  private sessionIds = 0;

  constructor(readonly opts: SwitchOptions) {
    this.rng = new Rng(opts.seed);
    this.sched = new Scheduler(this.rng);
    const coreUuid = opts.coreUuid ?? this.rng.uuid();
    // Start the sequence at a seed-derived point: real switches never start a client at 1.
    this.bus = new EventBus(
      { coreUuid, hostname: opts.hostname, ipv4: '127.0.0.1', ipv6: '::1' },
      this.rng.int(300, 900),
    );
    this.dialplan = new Dialplan(opts.dialplan);
    this.globals = new Map(Object.entries(opts.globals ?? DEFAULT_GLOBALS));
  }

  get coreUuid(): string {
    return this.bus.id.coreUuid;
  }

  close(): void {
    this.sched.close();
  }

  nextSessionId(): number {
    this.sessionsSinceStart++;
    return ++this.sessionIds;
  }

  countSession(): void {
    this.peakSessions = Math.max(this.peakSessions, this.liveChannels().length);
  }

  /** A channel that exists for commands (not hung up). */
  find(uuid: string | undefined): Channel | undefined {
    if (!uuid) return undefined;
    const ch = this.channels.get(uuid);
    return ch && ch.alive ? ch : undefined;
  }

  liveChannels(): Channel[] {
    return [...this.channels.values()].filter((c) => c.alive);
  }

  /** Run a plan a few milliseconds from now, after the command's reply has gone out. */
  soon(build: (plan: Plan) => void, ms = 3): void {
    this.sched.after(ms, () => this.runPlan(build), 0.6);
  }

  runPlan(build: (plan: Plan) => void): void {
    const plan = new Plan();
    build(plan);
    plan.run(this.rng);
  }

  // ---- event shapes ------------------------------------------------------------------------------

  fire(
    name: string,
    calling: Calling,
    headers: readonly Header[],
    body?: string,
    prefix?: readonly Header[],
  ): SimEvent {
    return this.bus.fire(name, calling, headers, body, prefix);
  }

  channelEvent(
    ch: Channel,
    name: string,
    calling: Calling,
    opts: { verbose: boolean; pre?: Header[]; post?: Header[]; prefix?: readonly Header[] },
  ): void {
    const headers = [...(opts.pre ?? []), ...ch.headers({ verbose: opts.verbose }), ...(opts.post ?? [])];
    this.fire(name, calling, headers, undefined, opts.prefix);
  }

  setState(ch: Channel, s: ChannelState): void {
    ch.setState(s);
    this.channelEvent(ch, 'CHANNEL_STATE', ['switch_channel.c', 'switch_channel_perform_set_running_state', 2409], {
      verbose: false,
    });
  }

  setCallState(ch: Channel, cs: CallState): void {
    const orig = ch.callState;
    if (orig === cs) return;
    ch.callState = cs;
    const num: Record<CallState, number> = {
      DOWN: 0,
      DIALING: 1,
      RINGING: 2,
      EARLY: 3,
      ACTIVE: 4,
      HELD: 5,
      RING_WAIT: 6,
      HANGUP: 7,
    } as Record<CallState, number>;
    this.channelEvent(ch, 'CHANNEL_CALLSTATE', ['switch_channel.c', 'switch_channel_perform_set_callstate', 302], {
      verbose: false,
      pre: [
        ['Original-Channel-Call-State', orig],
        ['Channel-Call-State-Number', String(num[cs])],
      ],
    });
  }

  /** CHANNEL_EXECUTE; `assign` false keeps ch.app (a broadcast runs on top of park, which resumes after). */
  execute(
    ch: Channel,
    app: string,
    data: string,
    withUuid = true,
    assign = true,
  ): { name: string; data: string; uuid: string } {
    const uuid = this.rng.uuid();
    const rec = { name: app, data, uuid };
    if (assign) ch.app = rec;
    if (app !== 'uuid_bridge') {
      ch.setVar('current_application_data', data);
      ch.setVar('current_application', app);
    } else {
      ch.setVar('current_application', app);
    }
    const post: Header[] = [['Application', app]];
    if (data !== '') post.push(['Application-Data', data]);
    if (withUuid) post.push(['Application-UUID', uuid]);
    this.channelEvent(ch, 'CHANNEL_EXECUTE', ['switch_core_session.c', 'switch_core_session_exec', 2949], {
      verbose: true,
      post,
    });
    return rec;
  }

  executeComplete(ch: Channel, response = '_none_', app = ch.app): void {
    if (!app) return;
    if (response !== '_none_') ch.setVar('current_application_response', response);
    const post: Header[] = [['Application', app.name]];
    if (app.data !== '') post.push(['Application-Data', app.data]);
    post.push(['Application-Response', response], ['Application-UUID', app.uuid]);
    this.channelEvent(ch, 'CHANNEL_EXECUTE_COMPLETE', ['switch_core_session.c', 'switch_core_session_exec', 2972], {
      verbose: true,
      post,
    });
    ch.setVar('last_app', app.name);
    if (app.data !== '') ch.setVar('last_arg', app.data);
    if (ch.app === app) ch.app = undefined;
  }

  parkEvent(ch: Channel): void {
    this.channelEvent(ch, 'CHANNEL_PARK', ['switch_ivr.c', 'switch_ivr_park', 1002], { verbose: true });
  }

  unparkEvent(ch: Channel): void {
    if (ch.state === 'CS_EXECUTE' || ch.state === 'CS_PARK') ch.stateNumber = 8;
    this.channelEvent(ch, 'CHANNEL_UNPARK', ['switch_ivr.c', 'switch_ivr_park', 1213], { verbose: true });
  }

  callUpdate(ch: Channel): void {
    this.channelEvent(ch, 'CALL_UPDATE', ['switch_channel.c', 'switch_channel_flip_cid', 3279], {
      verbose: true,
      pre: [['Direction', 'RECV']],
    });
  }

  bridgeEvent(ch: Channel, name: 'CHANNEL_BRIDGE' | 'CHANNEL_UNBRIDGE', br: Bridge): void {
    this.channelEvent(
      ch,
      name,
      ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', name === 'CHANNEL_BRIDGE' ? 1689 : 1879],
      {
        verbose: true,
        pre: [
          ['Bridge-A-Unique-ID', br.a.uuid],
          ['Bridge-B-Unique-ID', br.b.uuid],
        ],
      },
    );
  }

  // ---- park / transfer ---------------------------------------------------------------------------

  /** Steps that take a channel out of what it is doing so it can be parked, bridged or transferred. */
  leaveCurrent(ch: Channel, plan: Plan, phase: number): void {
    this.hooks.emit('leaving', ch, plan, phase);
    const list = plan.list(phase, ch);
    if (ch.mode === 'park' || ch.mode === 'park-app') {
      for (const prefix of ch.queuedCommands) {
        list.push(() =>
          this.channelEvent(ch, 'PRIVATE_COMMAND', ['switch_ivr.c', 'switch_ivr_parse_next_event', 804], {
            verbose: false,
            prefix,
          }),
        );
      }
      ch.queuedCommands = [];
    }
    switch (ch.mode) {
      case 'park':
        list.push(() => this.unparkEvent(ch));
        break;
      case 'park-app':
        list.push(
          () => this.unparkEvent(ch),
          () => this.executeComplete(ch),
        );
        break;
      case 'dialplan':
      case 'app':
        ch.appTimer?.cancel();
        list.push(() => this.executeComplete(ch));
        ch.apps = [];
        break;
      default:
        break;
    }
  }

  /** uuid_park: CS_PARK without a park application (captures 03, 03c). */
  planPark(ch: Channel, plan: Plan, phase: number): void {
    const br = ch.bridge && !ch.bridge.ended ? ch.bridge : undefined;
    const list = plan.list(phase, ch);
    if (br) {
      this.hooks.emit('bridgeEnds', { bridge: br, leaving: ch, how: 'park', plan, phase });
    } else if (ch.mode === 'park') {
      return;
    } else {
      this.leaveCurrent(ch, plan, phase);
    }
    ch.mode = 'park';
    list.push(
      () => this.setState(ch, 'CS_PARK'),
      () => this.parkEvent(ch),
    );
  }

  /**
   * uuid_transfer (or sendmsg park): the channel leaves what it does and runs `apps` (an inline extension, or the
   * extension found in the dialplan): CS_ROUTING, [CALL_UPDATE], CS_EXECUTE, then the applications. Other-Leg is
   * cleared from the start, so a transferred first leg's CHANNEL_UNBRIDGE names no Other-Leg (captures 03e, 20a).
   * A transfer never parks the transferred leg through park_after_bridge, also not the peer moved by `-both` (20a).
   */
  planTransfer(
    ch: Channel,
    plan: Plan,
    phase: number,
    apps: { name: string; data: string }[],
    alsoMoving?: Channel,
  ): void {
    const br = ch.bridge && !ch.bridge.ended ? ch.bridge : undefined;
    const list = plan.list(phase, ch);
    list.push(() => {
      ch.other = undefined;
    });
    if (br) this.hooks.emit('bridgeEnds', { bridge: br, leaving: ch, how: 'transfer', plan, phase, alsoMoving });
    else this.leaveCurrent(ch, plan, phase);
    ch.mode = 'dialplan';
    ch.appTimer?.cancel();
    ch.apps = [];
    list.push(
      () => this.setState(ch, 'CS_ROUTING'),
      () => this.flipCallerId(ch),
      () => this.setState(ch, 'CS_EXECUTE'),
      () => {
        ch.moving = false;
        ch.apps = [...apps];
        this.hooks.emit('runApps', ch);
      },
    );
  }

  /**
   * An outbound channel entering the dialplan swaps its caller and callee id and says so with CALL_UPDATE, once:
   * a leg last bridged as the second leg does (captures 03e, 20a B and C), a first leg does not (20a A), and a
   * second transfer does not (20b2).
   */
  flipCallerId(ch: Channel): void {
    if (ch.lastBridgeRole !== 'b') return;
    ch.lastBridgeRole = undefined;
    const p = ch.profile;
    [p.callerIdName, p.calleeIdName] = [p.calleeIdName, p.callerIdName];
    [p.callerIdNumber, p.calleeIdNumber] = [p.calleeIdNumber, p.callerIdNumber];
    this.callUpdate(ch);
  }

  /** What a leg does when its bridge partner went away: park (park_after_bridge) or hang up. */
  planAfterBridge(ch: Channel, plan: Plan, phase: number, opts: { toExecute: boolean }): void {
    this.hooks.emit('peerGone', ch, plan, phase);
    const list = plan.list(phase, ch);
    if (ch.truthy('park_after_bridge')) {
      ch.mode = 'park';
      list.push(
        () => this.setState(ch, 'CS_PARK'),
        () => this.parkEvent(ch),
      );
      return;
    }
    if (opts.toExecute) list.push(() => this.setState(ch, 'CS_EXECUTE'));
    this.planHangup(ch, 'NORMAL_CLEARING', 'bridge', plan, phase);
  }

  // ---- hangup ------------------------------------------------------------------------------------

  /**
   * Hang a channel up. `reason` decides the captured variants:
   * `kill` (uuid_kill, originate timeout), `dialplan` (the hangup application ran on it),
   * `partner-kill` / `partner-dialplan` (its loopback partner went), `bridge` (its bridge partner went).
   */
  planHangup(
    ch: Channel,
    cause: string,
    reason: 'kill' | 'dialplan' | 'partner-kill' | 'partner-dialplan' | 'bridge',
    plan: Plan,
    phase: number,
  ): void {
    if (!ch.alive) return;
    const prevMode = ch.mode;
    const br = ch.bridge && !ch.bridge.ended ? ch.bridge : undefined;
    const wasAnswered = ch.answered;
    ch.mode = 'hungup';
    ch.appTimer?.cancel();
    for (const t of ch.pendingBroadcasts) t.cancel();
    ch.pendingBroadcasts = [];
    ch.originate?.timer?.cancel();
    const list = plan.list(phase, ch);

    // Capture 18: a bridged park_after_bridge leg whose loopback far end was killed parks, then unparks, then hangs up.
    if (reason === 'partner-kill' && br && ch.truthy('park_after_bridge')) {
      list.push(
        () => this.setState(ch, 'CS_PARK'),
        () => this.parkEvent(ch),
        () => this.unparkEvent(ch),
      );
    }
    list.push(() => {
      ch.hangupCause = cause;
      ch.answerState = 'hangup';
      ch.times.hangup = Date.now();
      ch.stateNumber = 10;
      this.channelEvent(ch, 'CHANNEL_HANGUP', ['switch_channel.c', 'switch_channel_perform_hangup', 3447], {
        verbose: true,
      });
    });
    if (reason === 'dialplan' && ch.app?.name === 'hangup') list.push(() => this.executeComplete(ch));
    this.hooks.emit('hangingUp', ch, plan, phase);
    if (prevMode === 'park') list.push(() => this.unparkEvent(ch));
    else if (prevMode === 'park-app') {
      list.push(
        () => this.unparkEvent(ch),
        () => this.executeComplete(ch),
      );
    } else if (
      (prevMode === 'dialplan' || prevMode === 'app') &&
      ch.app &&
      ch.app.name !== 'hangup' &&
      ch.app.name !== 'bridge'
    ) {
      list.push(() => this.executeComplete(ch));
    }

    let tailPhase = phase;
    if (br) {
      this.hooks.emit('bridgeEnds', { bridge: br, leaving: ch, how: 'hangup', plan, phase: phase + 1 });
      tailPhase = phase + 2;
    }
    const tail = plan.list(tailPhase, ch);
    if (br && br.a === ch) tail.push(() => this.bridgeEvent(ch, 'CHANNEL_UNBRIDGE', br));
    if (br && br.kind === 'app' && br.a === ch) {
      const app = ch.app;
      tail.push(() => this.executeComplete(ch, '_none_', app));
    }
    tail.push(
      () => this.setState(ch, 'CS_HANGUP'),
      () => this.setCallState(ch, 'HANGUP'),
      () => this.setState(ch, 'CS_REPORTING'),
      () => {
        this.setHangupVars(ch, cause);
        ch.setState('CS_REPORTING', 11);
        this.channelEvent(
          ch,
          'CHANNEL_HANGUP_COMPLETE',
          ['switch_core_state_machine.c', 'switch_core_session_reporting_state', 943],
          { verbose: true, pre: [['Hangup-Cause', cause]] },
        );
      },
    );
    const orig = ch.originate;
    if (orig) {
      ch.originate = undefined;
      tail.push(() => orig.resolve(`-ERR ${cause}\n`));
    }
    tail.push(
      () => {
        ch.stateNumber = 12;
        this.channelEvent(
          ch,
          'CHANNEL_DESTROY',
          ['switch_core_session.c', 'switch_core_session_perform_destroy', 1588],
          {
            verbose: true,
          },
        );
      },
      () => {
        this.setState(ch, 'CS_DESTROY');
        this.channels.delete(ch.uuid);
      },
    );

    // The loopback far end goes too: same cause before answer (a failed originate), NORMAL_CLEARING after.
    const partner = ch.partner;
    if (partner && partner.alive) {
      const pcause = wasAnswered ? 'NORMAL_CLEARING' : cause;
      const preason = reason === 'dialplan' || reason === 'partner-dialplan' ? 'partner-dialplan' : 'partner-kill';
      this.planHangup(partner, pcause, preason, plan, phase + 1);
    }
  }

  private setHangupVars(ch: Channel, cause: string): void {
    const now = Date.now();
    ch.setVar('hangup_cause', cause);
    ch.setVar('hangup_cause_q850', String(Q850[cause] ?? 16));
    ch.setVar('digits_dialed', 'none');
    ch.setVar('end_epoch', String(Math.floor(now / 1000)));
    ch.setVar('end_uepoch', String(now * 1000));
    const dur = Math.max(0, now - ch.createdMs);
    ch.setVar('duration', String(Math.floor(dur / 1000)));
    ch.setVar('mduration', String(dur));
    ch.setVar('billsec', String(ch.times.answered ? Math.floor((now - ch.times.answered) / 1000) : 0));
  }

  /** Start hanging a channel up a few ms from now (uuid_kill replies first). */
  hangupSoon(ch: Channel, cause: string, reason: 'kill' | 'dialplan' | 'partner-kill' = 'kill'): void {
    // Mark it gone at once: a second uuid_kill right after the first answers -ERR (capture 05).
    const plan = new Plan();
    this.planHangup(ch, cause, reason, plan, 0);
    this.sched.after(4, () => plan.run(this.rng), 0.5);
  }
}
