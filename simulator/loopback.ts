// originate over mod_loopback: one originate makes a pair of channels (captures section 1 and step 01):
// the -a leg (outbound, gets the origination_uuid after a CHANNEL_UUID rename, runs the originate application)
// and the -b leg (inbound, runs the dialplan: the simulated far-end phone).
// The -b leg's applications run in apps.ts, started through the switch's runApps hook.

import { Channel, type Profile } from './channels.ts';
import type { DialString } from './dialstring.ts';
import type { Plan } from './plan.ts';
import type { Switch } from './switch.ts';

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
    sw.globals,
  );
  const b = new Channel(
    bUuid,
    bName,
    'inbound',
    sw.nextSessionId(),
    newProfile('inbound', cidName, cidNum, dial.ext, dial.context, bName),
    'B',
    sw.globals,
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
      sw.hooks.emit('runApps', b);
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
