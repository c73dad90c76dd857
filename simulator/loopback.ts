// originate over mod_loopback: one originate makes a pair of channels (captures section 1 and step 01):
// the -a leg (outbound, gets the origination_uuid after a CHANNEL_UUID rename, runs the originate application)
// and the -b leg (inbound, runs the dialplan: the simulated far-end phone).

import { Channel, type Profile } from './channels.ts';
import { linkBridge } from './bridge.ts';
import { broadcast } from './media.ts';
import type { Plan } from './plan.ts';
import type { Switch } from './switch.ts';

export interface DialString {
  vars: [string, string][];
  endpoint: string;
  ext: string;
  context: string;
}

/** Parse `{k=v,...}loopback/<ext>[/<context>]`; anything that is not loopback is `endpoint` only. */
export function parseDialString(s: string): DialString | undefined {
  let rest = s.trim();
  const vars: [string, string][] = [];
  while (rest.startsWith('{') || rest.startsWith('[') || rest.startsWith('<')) {
    const close = { '{': '}', '[': ']', '<': '>' }[rest[0] as '{' | '[' | '<'];
    const end = rest.indexOf(close);
    if (end < 0) return undefined;
    for (const kv of splitVars(rest.slice(1, end))) {
      const i = kv.indexOf('=');
      if (i > 0) vars.push([kv.slice(0, i).trim(), unquote(kv.slice(i + 1).trim())]);
    }
    rest = rest.slice(end + 1);
  }
  const parts = rest.split('/');
  const endpoint = parts[0] ?? '';
  if (endpoint !== 'loopback') return { vars, endpoint, ext: parts.slice(1).join('/'), context: '' };
  return { vars, endpoint, ext: parts[1] ?? '', context: parts[2] || 'default' };
}

function splitVars(s: string): string[] {
  // Commas separate variables; `\,` escapes one and quoted values may contain them.
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && s[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (quote) {
      if (c === quote) quote = undefined;
      cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur) out.push(cur);
  return out;
}

function unquote(v: string): string {
  return (v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"')) ? v.slice(1, -1) : v;
}

export interface LoopbackHooks {
  /** The channel running a `bridge` application that dials this pair: named in Other-Leg from the start (07). */
  owner?: Channel;
  timeoutSec: number;
  /** The -a leg answered (after the caller-id flip for a top-level originate). */
  onAnswered(a: Channel): void;
  /** The -a leg is gone before answer; `cause` is its Hangup-Cause. */
  onFailed(cause: string): void;
}

function newProfile(
  dir: 'inbound' | 'outbound',
  name: string,
  num: string,
  ext: string,
  context: string,
  chName: string,
): Profile {
  return {
    direction: dir,
    logicalDirection: dir,
    callerIdName: name,
    callerIdNumber: num,
    origCallerIdName: name,
    origCallerIdNumber: num,
    calleeIdName: 'Outbound Call',
    calleeIdNumber: 'default',
    ani: num,
    destinationNumber: ext,
    transferSource: '',
    context,
    channelName: chName,
    profileIndex: 1,
    profileCreated: Date.now(),
  };
}

/**
 * Time until originate_timeout fires. The captured switch counted whole wall-clock seconds, so a 3 s timeout
 * fired after 2.28 s and 2.6 s (steps 04 and 15): it fires when the epoch second has advanced `sec` times.
 */
export function timeoutDelayMs(sec: number, startMs = Date.now()): number {
  return Math.max(1, sec * 1000 - (startMs % 1000));
}

/** Create the loopback pair for `dial` and run it. Returns the -a leg (already registered). */
export function originateLoopback(sw: Switch, dial: DialString, hooks: LoopbackHooks): Channel {
  const vars = new Map(dial.vars);
  const preUuid = sw.rng.uuid();
  const uuid = vars.get('origination_uuid') ?? preUuid;
  const bUuid = sw.rng.uuid();
  const owner = hooks.owner;
  const cidName = vars.get('origination_caller_id_name') ?? (owner ? owner.profile.callerIdName : '');
  const cidNum = vars.get('origination_caller_id_number') ?? (owner ? owner.profile.origCallerIdNumber : '0000000000');
  const aName = `loopback/${dial.ext}-a`;
  const bName = `loopback/${dial.ext}-b`;
  const a = new Channel(
    preUuid,
    `loopback/${dial.ext}/${dial.context}-a`,
    'outbound',
    sw.nextSessionId(),
    newProfile('outbound', cidName, cidNum, dial.ext, dial.context, aName),
    'A',
  );
  const b = new Channel(
    bUuid,
    bName,
    'inbound',
    sw.nextSessionId(),
    newProfile('inbound', cidName, cidNum, dial.ext, dial.context, bName),
    'B',
  );
  a.partner = b;
  b.partner = a;
  a.mode = 'ringing';
  b.mode = 'dialplan';
  // Registered under its final uuid at once, so uuid_kill works while it rings.
  a.uuid = uuid;
  sw.channels.set(uuid, a);
  sw.channels.set(bUuid, b);
  sw.countSession();
  const startMs = Date.now();

  a.originate = {
    resolve: (body: string) => {
      if (body.startsWith('-ERR ')) hooks.onFailed(body.slice(5).trim());
    },
    app: null,
  };
  a.originate.timer = sw.sched.after(
    timeoutDelayMs(hooks.timeoutSec, startMs),
    () => {
      if (a.alive && a.mode === 'ringing') sw.runPlan((plan) => sw.planHangup(a, 'NO_ANSWER', 'kill', plan, 0));
    },
    0,
  );

  sw.runPlan((plan) => {
    const la = plan.list(0, a);
    la.push(
      () => codecEvents(sw, a, preUuid),
      () => {
        a.name = aName;
        a.setState('CS_NONE', 1);
        for (const [k, v] of [
          ['direction', 'outbound'],
          ['is_outbound', 'true'],
          ['session_id', String(a.sessionId)],
          ['read_codec', 'L16'],
          ['read_rate', '8000'],
          ['write_codec', 'L16'],
          ['write_rate', '8000'],
          ['channel_name', aName],
          ['uuid', uuid],
          ['call_uuid', uuid],
        ] as const) {
          a.setVar(k, v);
        }
        if (uuid !== preUuid) {
          sw.channelEvent(a, 'CHANNEL_UUID', ['switch_core_session.c', 'switch_core_session_set_uuid', 2056], {
            verbose: true,
            pre: [['Old-Unique-ID', preUuid]],
          });
        }
      },
      () => {
        // A leg dialled by a bridge application names its caller from CHANNEL_OUTGOING on (capture 07).
        if (owner) a.other = { ch: owner, type: 'originator' };
        sw.channelEvent(a, 'CHANNEL_OUTGOING', ['switch_core_session.c', 'switch_core_session_outgoing_channel', 768], {
          verbose: false,
        });
      },
      () => sw.setState(a, 'CS_INIT'),
    );
    plan.add(1, b, () => codecEvents(sw, b, bUuid));
    plan.add(
      1,
      a,
      () => {
        for (const [k, v] of dial.vars) a.setVar(k, v);
        a.setVar('originate_early_media', 'true');
        a.setVar('originate_endpoint', 'loopback');
        a.setVar('other_loopback_leg_uuid', bUuid);
        a.setVar('loopback_leg', 'A');
        a.setState('CS_INIT', 2);
        sw.channelEvent(a, 'CHANNEL_CREATE', ['switch_core_state_machine.c', 'switch_core_session_run', 626], {
          verbose: true,
        });
      },
      () =>
        sw.channelEvent(a, 'CHANNEL_ORIGINATE', ['switch_core_state_machine.c', 'switch_core_session_run', 632], {
          verbose: true,
        }),
      () => sw.setState(a, 'CS_ROUTING'),
      () => sw.setState(a, 'CS_CONSUME_MEDIA'),
    );
    plan.add(
      2,
      b,
      () => {
        for (const [k, v] of [
          ['direction', 'inbound'],
          ['uuid', bUuid],
          ['session_id', String(b.sessionId)],
          ['channel_name', bName],
          ['read_codec', 'L16'],
          ['read_rate', '8000'],
          ['write_codec', 'L16'],
          ['write_rate', '8000'],
        ] as const) {
          b.setVar(k, v);
        }
        for (const [k, v] of dial.vars) if (k !== 'originate_timeout') b.setVar(k, v);
        b.setVar('other_loopback_leg_uuid', uuid);
        b.setVar('loopback_leg', 'B');
        sw.setState(b, 'CS_INIT');
      },
      () => {
        b.setState('CS_INIT', 2);
        sw.channelEvent(b, 'CHANNEL_CREATE', ['switch_core_state_machine.c', 'switch_core_session_run', 626], {
          verbose: true,
        });
      },
      () => {
        b.setState('CS_ROUTING');
        sw.setCallState(b, 'RINGING');
      },
      () => sw.setState(b, 'CS_ROUTING'),
    );
    const apps = sw.dialplan.hasContext(dial.context) ? sw.dialplan.lookup(dial.ext, dial.context) : undefined;
    if (!apps) {
      sw.planHangup(b, 'NO_ROUTE_DESTINATION', 'dialplan', plan, 3);
      return;
    }
    b.apps = apps.map((x) => ({ name: x.app, data: x.data ?? '' }));
    plan.add(3, b, () => {
      b.setVar('DP_MATCH', dial.ext);
      b.setVar('call_uuid', bUuid);
      sw.setState(b, 'CS_EXECUTE');
      runNextApp(sw, b);
    });
  });

  // Answer handling of the -a leg is driven by its -b leg's `answer` (see answerChannel).
  answerHooks.set(a, hooks);
  return a;
}

const answerHooks = new WeakMap<Channel, LoopbackHooks>();

function codecEvents(sw: Switch, ch: Channel, uuid: string): void {
  // CODEC events come before the channel has a caller profile, with the pre-rename identity (capture 01).
  const base: [string, string][] = [
    ['Channel-State', 'CS_NONE'],
    ['Channel-Call-State', 'DOWN'],
    ['Channel-State-Number', '0'],
    ['Channel-Name', ch.name],
    ['Unique-ID', uuid],
    ['Call-Direction', ch.direction],
    ['Presence-Call-Direction', ch.direction],
    ['Channel-HIT-Dialplan', String(ch.direction === 'inbound')],
    ['Channel-Call-UUID', uuid],
    ['Answer-State', 'ringing'],
    ['Channel-Read-Codec-Name', 'L16'],
    ['Channel-Read-Codec-Rate', '8000'],
    ['Channel-Read-Codec-Bit-Rate', '128000'],
  ];
  sw.fire(
    'CODEC',
    ['switch_core_codec.c', 'switch_core_session_set_read_codec', 300],
    [
      ...base,
      ['channel-read-codec-name', 'L16'],
      ['channel-read-codec-rate', '8000'],
      ['channel-read-codec-bit-rate', '128000'],
    ],
  );
  sw.fire(
    'CODEC',
    ['switch_core_codec.c', 'switch_core_session_set_write_codec', 471],
    [
      ...base,
      ['Channel-Write-Codec-Name', 'L16'],
      ['Channel-Write-Codec-Rate', '8000'],
      ['Channel-Write-Codec-Bit-Rate', '128000'],
      ['Channel-Write-Codec-Name', 'L16'],
      ['Channel-Write-Codec-Rate', '8000'],
      ['Channel-Write-codec-bit-rate', '128000'],
    ],
  );
}

/** Run the next dialplan application of a channel; when none is left the channel hangs up. */
export function runNextApp(sw: Switch, ch: Channel): void {
  if (!ch.alive) return;
  const next = ch.apps.shift();
  if (!next) {
    sw.runPlan((plan) => sw.planHangup(ch, 'NORMAL_CLEARING', 'dialplan', plan, 0));
    return;
  }
  const { name, data } = next;
  switch (name) {
    case 'answer':
    case 'pre_answer':
      sw.execute(ch, name, data);
      sw.runPlan((plan) => {
        answerChannel(sw, ch, plan, 0);
        plan.add(2, ch, () => sw.executeComplete(ch));
      });
      runNextApp(sw, ch);
      return;
    case 'ring_ready': {
      sw.execute(ch, name, data);
      const a = ch.partner;
      sw.runPlan((plan) => {
        if (a && a.alive && a.mode === 'ringing' && a.callState === 'DOWN') {
          plan.add(
            0,
            a,
            () => {
              a.times.progress = Date.now();
              sw.channelEvent(
                a,
                'CHANNEL_PROGRESS',
                ['switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', 3507],
                { verbose: true },
              );
            },
            () => sw.setCallState(a, 'RINGING'),
          );
        }
        plan.add(
          1,
          ch,
          () => {
            ch.times.progress = Date.now();
            sw.channelEvent(
              ch,
              'CHANNEL_PROGRESS',
              ['switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', 3507],
              { verbose: true },
            );
          },
          () => sw.executeComplete(ch),
        );
      });
      runNextApp(sw, ch);
      return;
    }
    case 'sleep':
      sw.execute(ch, name, data);
      ch.appTimer = sw.sched.after(
        Number(data) || 0,
        () => {
          if (!ch.alive) return;
          sw.executeComplete(ch);
          runNextApp(sw, ch);
        },
        0.01,
      );
      return;
    case 'park':
      sw.execute(ch, name, data);
      ch.mode = 'park-app';
      sw.parkEvent(ch);
      return;
    case 'hangup':
      sw.execute(ch, name, data);
      sw.runPlan((plan) => sw.planHangup(ch, data || 'NORMAL_CLEARING', 'dialplan', plan, 0));
      return;
    case 'set': {
      sw.execute(ch, name, data);
      const i = data.indexOf('=');
      if (i > 0) ch.setVar(data.slice(0, i), data.slice(i + 1));
      sw.executeComplete(ch);
      runNextApp(sw, ch);
      return;
    }
    case 'playback':
      broadcast(sw, ch, data, false, 1);
      return;
    case 'bridge':
      runBridgeApp(sw, ch, data);
      return;
    default:
      // An application the simulator does not model: it runs (silently) until the channel is moved or hung up.
      sw.execute(ch, name, data);
      return;
  }
}

/**
 * Answer `ch`. Answering a -b leg answers its ringing -a leg too: the -a leg's CHANNEL_ANSWER comes first
 * (capture 01), then, ~18 ms later, its caller-id flip (CALL_UPDATE) and the originate result.
 */
export function answerChannel(sw: Switch, ch: Channel, plan: Plan, phase: number): void {
  const a = ch.loopbackLeg === 'B' ? ch.partner : undefined;
  if (a && a.alive && a.mode === 'ringing') {
    plan.add(
      phase,
      a,
      () => markAnswered(sw, a),
      () => sw.setCallState(a, 'ACTIVE'),
    );
    sw.sched.after(18, () => aLegAnswered(sw, a), 0.3);
  }
  if (!ch.answered) {
    plan.add(
      phase + 1,
      ch,
      () => markAnswered(sw, ch),
      () => sw.setCallState(ch, 'ACTIVE'),
    );
  }
}

function markAnswered(sw: Switch, ch: Channel): void {
  ch.answerState = 'answered';
  ch.times.answered = Date.now();
  ch.setVar('endpoint_disposition', 'ANSWER');
  sw.channelEvent(ch, 'CHANNEL_ANSWER', ['switch_channel.c', 'switch_channel_perform_mark_answered', 3848], {
    verbose: true,
  });
}

function aLegAnswered(sw: Switch, a: Channel): void {
  if (!a.alive || a.mode !== 'ringing') return;
  const hooks = answerHooks.get(a);
  a.originate?.timer?.cancel();
  a.originate = undefined;
  if (!hooks?.owner) {
    // Caller-id flip of an originated leg (capture 01, surprise 13).
    const p = a.profile;
    a.setVar('pre_transfer_caller_id_number', p.callerIdNumber);
    a.setVar('channel_cid_flipped', 'yes');
    p.calleeIdName = p.callerIdName;
    p.calleeIdNumber = p.callerIdNumber;
    p.callerIdName = 'Outbound Call';
    p.callerIdNumber = 'default';
    p.logicalDirection = 'inbound';
    a.hitDialplan = true;
    a.setVar('call_uuid', a.uuid);
    sw.callUpdate(a);
  }
  a.mode = 'app';
  hooks?.onAnswered(a);
}

/** Start the originate application (or dialplan extension) on an answered -a leg. */
export function startALegApp(
  sw: Switch,
  a: Channel,
  app: { name: string; data: string } | { ext: string; context: string },
): void {
  if (!a.alive) return;
  if ('ext' in app) {
    const apps = sw.dialplan.hasContext(app.context) ? sw.dialplan.lookup(app.ext, app.context) : undefined;
    sw.setState(a, 'CS_ROUTING');
    if (!apps) {
      sw.runPlan((plan) => sw.planHangup(a, 'NO_ROUTE_DESTINATION', 'dialplan', plan, 0));
      return;
    }
    a.apps = apps.map((x) => ({ name: x.app, data: x.data ?? '' }));
  } else {
    a.apps = [app];
  }
  sw.setState(a, 'CS_EXECUTE');
  runNextApp(sw, a);
}

/**
 * The `bridge` application (capture 07): the caller goes RING_WAIT, the callee pair is originated with the
 * caller as Other-Leg, and on answer there is one CHANNEL_BRIDGE, on the caller, which stays in CS_EXECUTE.
 */
export function runBridgeApp(sw: Switch, ch: Channel, data: string): void {
  const app = sw.execute(ch, 'bridge', data);
  const dial = parseDialString(data);
  if (ch.answered) sw.setCallState(ch, 'RING_WAIT');
  const fail = (cause: string): void => {
    if (!ch.alive) return;
    sw.runPlan((plan) => {
      plan.add(0, ch, () => {
        if (ch.callState === 'RING_WAIT') sw.setCallState(ch, 'ACTIVE');
        sw.executeComplete(ch, '_none_', app);
      });
      sw.planHangup(ch, cause, 'dialplan', plan, 1);
    });
  };
  if (!dial || dial.endpoint !== 'loopback') {
    sw.sched.after(2, () => fail('CHAN_NOT_IMPLEMENTED'), 0);
    return;
  }
  const timeout = Number(new Map(dial.vars).get('originate_timeout') ?? ch.getVar('call_timeout') ?? 60) || 60;
  originateLoopback(sw, dial, {
    owner: ch,
    timeoutSec: timeout,
    onFailed: fail,
    onAnswered: (q) => {
      if (!ch.alive) {
        sw.runPlan((plan) => sw.planHangup(q, 'ORIGINATOR_CANCEL', 'kill', plan, 0));
        return;
      }
      const br = { a: ch, b: q, kind: 'app' as const, ended: false };
      linkBridge(sw, br);
      q.mode = 'bridged';
      sw.runPlan((plan) => {
        if (!ch.answered) answerChannel(sw, ch, plan, 0);
        plan.add(2, ch, () => {
          if (ch.callState === 'RING_WAIT') sw.setCallState(ch, 'ACTIVE');
          sw.bridgeEvent(ch, 'CHANNEL_BRIDGE', br);
        });
        plan.add(2, q, () => sw.setState(q, 'CS_EXCHANGE_MEDIA'));
      });
    },
  });
}
