// Switch commands, the only side effects on FreeSWITCH. Each activity is safe to retry: it checks the switch's real
// state (uuid_exists, the variables it set) before acting again. They run on the task queue of the node hosting the legs.
import { ApplicationFailure } from '@temporalio/activity';
import { STREAM_SAFE, UUID_SAFE, VALUE_SAFE } from '../contracts/grammar.ts';
import type { HoldPlan } from '../contracts/hold-plan.ts';
import type { ConferencePlan, HoldResult, LegState, OriginatePlan, SavedSettings, StepTiming } from './types.ts';
import {
  ACTIVE_TRANSFER_VARIABLE,
  CALL_WORKFLOW_VARIABLE,
  TRANSFEREE_VARIABLE,
  TRANSFER_ID_VARIABLE,
  parseTransferId,
} from '../contracts/ids.ts';
import { originateVariableBlocks, UnquotableValue } from './originate-vars.ts';
import {
  privateDigits,
  timedCommand,
  transferFeatures,
  transfersStarted,
  transferStepSeconds,
} from '../observability/metrics.ts';

/** What the activities need from an ESL node: a command connection (never the event connection). */
export interface SwitchCommands {
  api(command: string): Promise<string>;
  bgapi(command: string, jobUuid: string): Promise<void>;
}

/** The node's event stream (the ingest's ESL connection), for an activity that waits for the switch's own word. */
export interface SwitchEvents {
  on(event: 'event', listener: (evt: Record<string, string>) => void): unknown;
  off(event: 'event', listener: (evt: Record<string, string>) => void): unknown;
}

/** What a bridge waits for after the switch took the command: its CHANNEL_BRIDGE, up to `withinMs`. */
export interface BridgeWatch {
  withinMs: number;
  /** The legs whose hangup ends the wait at once: the workflow must hear of it. */
  legs: string[];
}

/** uuid_bridge's reply, and whether the switch's CHANNEL_BRIDGE of the pair came within the watch. */
export interface BridgeReply {
  reply: string;
  bridged: boolean;
  /** With `restore` and the bridge confirmed: the settings were put back, and these legs were gone by the end. */
  gone?: string[];
}

/** Legs whose own settings (saved by holdForTransfer) are put back. */
export type RestorePlan = { leg: string; saved?: SavedSettings }[];

/** Every command the engine sends, for tests and SREs: the engine's own command journal. */
export interface CommandJournal {
  record(entry: { at: number; node: string; command: string; reply: string }): void;
}

function uuid(value: string): string {
  if (!UUID_SAFE.test(value)) throw ApplicationFailure.nonRetryable(`unsafe channel uuid ${JSON.stringify(value)}`);
  return value;
}

function value(v: string): string {
  if (!VALUE_SAFE.test(v)) throw ApplicationFailure.nonRetryable(`unsafe switch value ${JSON.stringify(v)}`);
  return v;
}

/** uuid_broadcast runs `APP::ARGS` (its first colon doubled) as a dialplan application: a stream never looks so. */
function stream(v: string): string {
  const colon = v.indexOf(':');
  if (!STREAM_SAFE.test(v) || (colon >= 0 && v[colon + 1] === ':')) {
    throw ApplicationFailure.nonRetryable(`unsafe stream ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * The bridges being waited for on one node, all behind a single listener on its event stream (many at once on a busy
 * node: one listener each would pile up on the emitter). `wait` answers true when the CHANNEL_BRIDGE of `a` and `b`
 * comes within the watch, false when it does not or a watched leg hangs up first; `stop` ends the wait.
 */
function bridgeWaits(events: SwitchEvents) {
  const waits = new Set<{ a: string; b: string; legs: string[]; settle: (bridged: boolean) => void }>();
  const listener = (evt: Record<string, string>) => {
    const name = evt['Event-Name'];
    const bridge = name === 'CHANNEL_BRIDGE';
    if (!bridge && !name?.startsWith('CHANNEL_HANGUP')) return;
    const pair = [
      evt['Bridge-A-Unique-ID'] ?? evt['Unique-ID'],
      evt['Bridge-B-Unique-ID'] ?? evt['Other-Leg-Unique-ID'],
    ];
    for (const w of waits) {
      if (bridge && pair.includes(w.a) && pair.includes(w.b)) w.settle(true);
      else if (!bridge && w.legs.includes(evt['Unique-ID'] ?? '')) w.settle(false);
    }
  };
  return {
    wait(a: string, b: string, watch: BridgeWatch): { bridged: Promise<boolean>; stop: () => void } {
      let settle: (bridged: boolean) => void = () => undefined;
      const bridged = new Promise<boolean>((resolve) => (settle = resolve));
      const w = { a, b, legs: watch.legs, settle };
      if (waits.size === 0) events.on('event', listener);
      waits.add(w);
      const timer = setTimeout(() => settle(false), watch.withinMs);
      return {
        bridged,
        stop: () => {
          clearTimeout(timer);
          if (waits.delete(w) && waits.size === 0) events.off('event', listener);
        },
      };
    },
  };
}

const NO_CHANNEL = /^-ERR (No such channel|Invalid uuid|invalid uuid|Cannot locate session)/i;
/** How long a conference join waits for every leg to show in the member list, and how often it looks. */
const JOIN_WAIT_MS = 3000;
const JOIN_POLL_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SAVED = ['park_after_bridge', 'hangup_after_bridge', 'playback_terminators'] as const;
/** How long giveBackHeld waits for its bridge's CHANNEL_BRIDGE before it reads the legs instead. */
const GIVE_BACK_CONFIRM_MS = 2000;

/** What giveBackHeld did: the pair bridged again, a party left alone hung up, or nobody held for that transfer. */
export type GivenBack = 'bridged' | 'released' | 'not_held';

/**
 * Channel variables of legs as a `uuid_dump` read them a moment ago (LegState.vars), by leg: what a caller that has
 * just read the legs passes on instead of having them read again. A variable absent from a leg's map is unset.
 */
export type KnownVariables = Record<string, Record<string, string> | undefined>;

export function createSwitchActivities(
  node: string,
  sw: SwitchCommands,
  journal?: CommandJournal,
  events?: SwitchEvents,
) {
  const waits = events ? bridgeWaits(events) : undefined;
  async function api(command: string): Promise<string> {
    const reply = await timedCommand(command, () => sw.api(command));
    journal?.record({ at: Date.now(), node, command: `api ${command}`, reply });
    return reply;
  }
  async function getvar(leg: string, name: string): Promise<string | undefined> {
    const reply = await api(`uuid_getvar ${uuid(leg)} ${name}`);
    if (reply === '_undef_' || reply.startsWith('-ERR')) return undefined;
    return reply;
  }
  async function setvar(leg: string, name: string, v: string | undefined): Promise<boolean> {
    // Without a value, uuid_setvar unsets the variable.
    const reply = await api(
      v === undefined ? `uuid_setvar ${uuid(leg)} ${name}` : `uuid_setvar ${uuid(leg)} ${name} ${value(v)}`,
    );
    return reply.startsWith('+OK');
  }

  async function conferenceMembers(conference: string): Promise<string[]> {
    const reply = await api(`conference ${value(conference)} list`);
    if (reply.startsWith('-ERR') || reply.startsWith('+OK')) return [];
    // One line per member: id;channel name;uuid;caller id name;caller id number;flags;volume in;volume out;energy.
    return reply
      .split('\n')
      .map((line) => line.split(';')[2])
      .filter((u): u is string => !!u && UUID_SAFE.test(u));
  }

  /**
   * Puts back the settings saved by holdForTransfer, so a later hangup ends the call as it would have. Returns the
   * legs gone by the end (looked at last, so that a hangup while the settings were put back counts): a leg left
   * alone before its own settings were back has been parked by the switch.
   */
  async function restoreSettings(legs: RestorePlan): Promise<string[]> {
    const exists = async (leg: string) => (await api(`uuid_exists ${uuid(leg)}`)) === 'true';
    for (const { leg, saved } of legs) {
      if (!(await exists(leg))) continue;
      for (const name of SAVED) await setvar(leg, name, saved?.[name]);
      for (const name of SAVED) await setvar(leg, `handoff_saved_${name}`, undefined);
      // The target leg is routed by TRANSFER_ID_VARIABLE; once the transfer is over it is a call like any other.
      await setvar(leg, ACTIVE_TRANSFER_VARIABLE, undefined);
      await setvar(leg, TRANSFEREE_VARIABLE, undefined);
      await setvar(leg, TRANSFER_ID_VARIABLE, undefined);
    }
    const gone: string[] = [];
    for (const { leg } of legs) if (!(await exists(leg))) gone.push(leg);
    return gone;
  }

  /** The switch's view of one leg: does it exist, is it answered, what is it bridged to. */
  async function legState(leg: string): Promise<LegState> {
    const reply = await api(`uuid_dump ${uuid(leg)} json`);
    if (!reply.trimStart().startsWith('{')) return { uuid: leg, exists: false };
    const dump = JSON.parse(reply) as Record<string, string>;
    const channelState = dump['Channel-State'];
    const parked = channelState === 'CS_PARK' || channelState === 'CS_RESET' || channelState === 'CS_HIBERNATE';
    return {
      uuid: leg,
      exists: true,
      answered: dump['Answer-State'] === 'answered',
      channelState,
      bridgeUuid: parked ? undefined : dump['variable_bridge_uuid'],
      direction: dump['Call-Direction'],
      callerIdName: dump['Caller-Caller-ID-Name'],
      callerIdNumber: dump['Caller-Caller-ID-Number'],
      calleeIdName: dump['Caller-Callee-ID-Name'],
      calleeIdNumber: dump['Caller-Callee-ID-Number'],
      destinationNumber: dump['Caller-Destination-Number'],
      origCallerIdName: dump['Caller-Orig-Caller-ID-Name'],
      origCallerIdNumber: dump['Caller-Orig-Caller-ID-Number'],
      vars: Object.fromEntries(
        Object.entries(dump)
          .filter(([k]) => k.startsWith('variable_'))
          .map(([k, v]) => [k.slice('variable_'.length), v]),
      ),
    };
  }

  /**
   * uuid_bridge; `+OK` only means "scheduled". With a watch, the bridge's CHANNEL_BRIDGE is awaited on the node's event
   * stream (listened to before the command goes out: the event and the reply come on different connections); without
   * one, or when it does not come, the workflow confirms by CHANNEL_BRIDGE or isBridged.
   */
  async function bridge(
    a: string,
    b: string,
    timing?: StepTiming,
    watch?: BridgeWatch,
    restore?: RestorePlan,
    members = false,
  ): Promise<BridgeReply> {
    const confirmation = watch && waits ? waits.wait(a, b, watch) : undefined;
    try {
      // A broadcast (ringback, music) starts ~200 ms after uuid_broadcast. A target that answers at once can be bridged
      // before it starts, and it would then play over the conversation. uuid_break cancels a pending broadcast
      // silently (captures 03, 03b), as capture 03 does before its uuid_bridge. Conference members play nothing (the
      // join ended every playback), and uuid_break is not sent to a leg running the conference application.
      if (!members) {
        await api(`uuid_break ${uuid(a)} all`);
        await api(`uuid_break ${uuid(b)} all`);
      }
      const reply = await api(`uuid_bridge ${uuid(a)} ${uuid(b)}`);
      if (!reply.startsWith('+OK')) return { reply, bridged: false };
      if (timing) transferStepSeconds.observe({ step: timing.step }, (Date.now() - timing.since) / 1000);
      const bridged = confirmation ? await confirmation.bridged : false;
      // The pair talks for good: their settings go back now, not one workflow task and activity later.
      return bridged && restore ? { reply, bridged, gone: await restoreSettings(restore) } : { reply, bridged };
    } finally {
      confirmation?.stop();
    }
  }

  /**
   * The settings holdForTransfer saved on these legs for this transfer (a resumed transfer's first run, ended by hand,
   * took its copy with it). A leg that is gone or was not held by this transfer is left out.
   */
  async function savedSettings(transferId: string, legs: string[]): Promise<Record<string, SavedSettings>> {
    const found: Record<string, SavedSettings> = {};
    for (const leg of legs) {
      if ((await getvar(leg, ACTIVE_TRANSFER_VARIABLE)) !== transferId) continue;
      const settings: SavedSettings = {};
      for (const name of SAVED) {
        const v = await getvar(leg, `handoff_saved_${name}`);
        settings[name] = v === '__unset__' ? undefined : v;
      }
      found[leg] = settings;
    }
    return found;
  }

  /** Is `a` bridged to `b` right now? Both must exist, name each other, and neither may be parked. */
  async function bridgedNow(a: string, b: string): Promise<boolean> {
    const [sa, sb] = [await legState(a), await legState(b)];
    return sa.exists && sb.exists && sa.bridgeUuid === b && sb.bridgeUuid === a;
  }

  async function kill(leg: string, cause: string): Promise<void> {
    const reply = await api(`uuid_kill ${uuid(leg)} ${value(cause)}`);
    if (!reply.startsWith('+OK') && !NO_CHANNEL.test(reply)) throw new Error(`uuid_kill ${leg}: ${reply.trim()}`);
  }

  return {
    legState,

    /**
     * Call workflows on demand: the legs whose call workflow now runs carry CALL_WORKFLOW_VARIABLE, so that every
     * ingest delivers their later events (workers/ingest/on-demand.ts).
     */
    async markCallWorkflows(legs: string[]): Promise<void> {
      for (const leg of legs) await setvar(leg, CALL_WORKFLOW_VARIABLE, 'true');
    },

    /**
     * Several legs at once (one activity for a transfer's audit); a leg that is gone reads as not existing. With a
     * `conference`, its member list too: a member's `conference` names it, and its `bridgeUuid` (the channel variable
     * an earlier bridge left) is dropped, since a member is bridged to nobody.
     */
    async legStates(legs: string[], conference?: string): Promise<LegState[]> {
      const states: LegState[] = [];
      for (const leg of legs) states.push(await legState(leg));
      if (conference === undefined) return states;
      const members = new Set(await conferenceMembers(conference));
      return states.map((s) => (s.exists && members.has(s.uuid) ? { ...s, bridgeUuid: undefined, conference } : s));
    },

    isBridged: bridgedNow,

    /**
     * Puts the transferee on hold (music) and gives the transferor ringback, after making both legs survive the unbridge
     * (park_after_bridge) and keeping digits from cutting the tones (playback_terminators=none). The settings found are
     * saved on the channel itself, so a retry (or a new worker) restores the originals, not our own.
     */
    async holdForTransfer(plan: HoldPlan, known?: KnownVariables): Promise<HoldResult> {
      // The two legs at once (their commands go on different connections); each leg's saved settings are on it before
      // its mark, which tells a retry they are there.
      const prepared = await Promise.all(
        [plan.transferor, plan.transferee].map(async (leg) => {
          const read = async (name: string) => (known?.[leg] ? known[leg][name] : await getvar(leg, name));
          const mine = (await read(ACTIVE_TRANSFER_VARIABLE)) === plan.transferId;
          const found = await Promise.all(SAVED.map((name) => read(mine ? `handoff_saved_${name}` : name)));
          const settings: SavedSettings = {};
          SAVED.forEach((name, i) => (settings[name] = found[i] === '__unset__' ? undefined : found[i]));
          if (!mine)
            await Promise.all(SAVED.map((name, i) => setvar(leg, `handoff_saved_${name}`, found[i] ?? '__unset__')));
          const marked = await setvar(leg, ACTIVE_TRANSFER_VARIABLE, plan.transferId);
          await Promise.all([
            setvar(leg, 'park_after_bridge', 'true'),
            setvar(leg, 'hangup_after_bridge', 'false'),
            setvar(leg, 'playback_terminators', 'none'),
          ]);
          return { leg, settings, mine, marked };
        }),
      );
      // No earlier attempt of this activity marked a leg: the transfer starts now (counted once, on the switch's word).
      if (plan.type && prepared.every((p) => !p.mine) && prepared.some((p) => p.marked))
        transfersStarted.inc({ type: plan.type, trigger: plan.startedBy ?? 'dtmf' });
      // Parking the transferee unbridges the pair; the transferor parks too (park_after_bridge).
      await api(`uuid_park ${uuid(plan.transferee)}`);
      if (plan.releaseTransferor) await api(`uuid_kill ${uuid(plan.transferor)} NORMAL_CLEARING`);
      await Promise.all([
        api(`uuid_broadcast ${uuid(plan.transferee)} ${stream(plan.moh)} aleg`),
        plan.releaseTransferor || api(`uuid_broadcast ${uuid(plan.transferor)} ${stream(plan.ringback)} aleg`),
      ]);
      // After the tones, off the path to the music: only the transferee's bridges at the transfer's end need it.
      await setvar(plan.transferee, TRANSFEREE_VARIABLE, plan.transferId);
      if (plan.requestedAt) transferStepSeconds.observe({ step: 'hold' }, (Date.now() - plan.requestedAt) / 1000);
      const exists = async (leg: string) => (await api(`uuid_exists ${uuid(leg)}`)) === 'true';
      const [transferor, transferee] = await Promise.all([exists(plan.transferor), exists(plan.transferee)]);
      return { saved: Object.fromEntries(prepared.map((p) => [p.leg, p.settings])), alive: { transferor, transferee } };
    },

    /** Originates the target with our own UUID and Job-UUID; does nothing if that leg already exists (a retry). */
    async originateTarget(plan: OriginatePlan): Promise<'sent' | 'exists'> {
      if ((await api(`uuid_exists ${uuid(plan.targetLeg)}`)) === 'true') return 'exists';
      const vars: Record<string, string> = {
        origination_uuid: plan.targetLeg,
        [TRANSFER_ID_VARIABLE]: plan.transferId,
        originate_timeout: String(plan.ringTimeoutS),
        ignore_early_media: 'true',
        park_after_bridge: 'true',
        loopback_bowout: 'false',
        ...(plan.callerIdNumber ? { origination_caller_id_number: plan.callerIdNumber } : {}),
        ...(plan.callerIdName ? { origination_caller_id_name: plan.callerIdName } : {}),
        ...plan.vars,
      };
      let quoted: string;
      try {
        quoted = originateVariableBlocks(vars);
      } catch (err) {
        if (err instanceof UnquotableValue) throw ApplicationFailure.nonRetryable(`originate: ${err.message}`);
        throw err;
      }
      const command = `originate ${quoted}${value(plan.dialString)} &park()`;
      await timedCommand(command, () => sw.bgapi(command, uuid(plan.jobUuid)));
      journal?.record({ at: Date.now(), node, command: `bgapi ${command}`, reply: `Job-UUID: ${plan.jobUuid}` });
      return 'sent';
    },

    /** uuid_bridge alone: its reply (the workflow confirms the bridge). */
    async bridge(a: string, b: string, timing?: StepTiming): Promise<string> {
      return (await bridge(a, b, timing)).reply;
    },

    /**
     * uuid_bridge, then its CHANNEL_BRIDGE awaited (see `bridge` above): one activity instead of a reply and a timer.
     * `restore`: the bridge ends the transfer, and once it is confirmed the pair's settings are put back here too.
     */
    async bridgeAndConfirm(
      a: string,
      b: string,
      watch: BridgeWatch,
      timing?: StepTiming,
      restore?: RestorePlan,
    ): Promise<BridgeReply> {
      return bridge(a, b, timing, watch, restore);
    },

    kill,

    /**
     * One step's commands in one activity: the legs that leave are hung up, then the two that stay are bridged (the
     * takeback drops the target and joins transferor and transferee again). The workflow task and the activity
     * dispatch that two activities would cost in between are what the caller would wait for. A kill the switch
     * answers unexpectedly does not hold the bridge back: the leg is named in `notKilled`, for the workflow to try
     * again on its own.
     */
    async killThenBridge(
      kills: { leg: string; cause: string }[],
      a: string,
      b: string,
      timing?: StepTiming,
      watch?: BridgeWatch,
      restore?: RestorePlan,
    ): Promise<BridgeReply & { notKilled: string[] }> {
      const notKilled: string[] = [];
      for (const k of kills) await kill(k.leg, k.cause).catch(() => notKilled.push(k.leg));
      return { ...(await bridge(a, b, timing, watch, restore)), notKilled };
    },

    savedSettings,

    /**
     * The parties held for a transfer that never started (policy.ts giveBackHeld decides that it never will): the legs
     * still marked for it talk again with their own settings back, as a reconnect leaves them, and a party left alone
     * (the other hung up meanwhile) is hung up rather than left parked with music. Legs not marked for it are left as
     * they are (the hold never reached them).
     */
    async giveBackPair(transferId: string): Promise<GivenBack> {
      const legs = parseTransferId(transferId);
      if (!legs) return 'not_held';
      const saved = await savedSettings(transferId, legs);
      const restore: RestorePlan = Object.entries(saved).map(([leg, settings]) => ({ leg, saved: settings }));
      const [a, b] = legs;
      if (restore.length === 2) {
        if (!(await bridgedNow(a, b))) {
          const { reply, bridged } = await bridge(a, b, undefined, { withinMs: GIVE_BACK_CONFIRM_MS, legs });
          if (!bridged && !(await bridgedNow(a, b))) throw new Error(`uuid_bridge ${a} ${b}: not bridged (${reply})`);
        }
        const gone = await restoreSettings(restore);
        if (!gone.length) return 'bridged';
        // One hung up meanwhile, perhaps before its peer's settings were back (that peer is then parked alone).
        for (const leg of legs) if (!gone.includes(leg)) await kill(leg, 'NORMAL_CLEARING');
        return 'released';
      }
      await restoreSettings(restore);
      for (const { leg } of restore) await kill(leg, 'NORMAL_CLEARING');
      return restore.length ? 'released' : 'not_held';
    },

    restoreSettings,

    async breakMedia(leg: string): Promise<string> {
      return api(`uuid_break ${uuid(leg)} all`);
    },

    /** The UUIDs of a conference's members now (`conference <name> list`); none when there is no such conference. */
    conferenceMembers,

    /**
     * Moves a transfer's three parties into its conference: `alone` (the one not bridged to the transferor) first, then
     * the transferor with its bridged peer (`uuid_transfer -both`, one command for the pair, so neither is left parked
     * in between), each with `conference:<name>@<profile> inline`. A leg that is already a member is left as it is, so
     * a retry only moves whoever is missing. Answers whether every leg shows in the member list within JOIN_WAIT_MS:
     * the switch's word, read, not the replies' promise. A leg moved this way never parks (park_after_bridge fires
     * only on a leg left behind, never on one that is itself transferred).
     */
    async joinConference(plan: ConferencePlan): Promise<boolean> {
      const destination = `conference:${value(plan.conference)}@${value(plan.profile)} inline`;
      const legs = [plan.alone, plan.transferor, plan.peer];
      let members = await conferenceMembers(plan.conference);
      const missing = (leg: string) => !members.includes(leg);
      /** Counted once, by the attempt that found nobody in yet (a retry finds its own first moves). */
      const first = members.length === 0;
      if (missing(plan.alone)) await api(`uuid_transfer ${uuid(plan.alone)} ${destination}`);
      if (missing(plan.transferor) && missing(plan.peer)) {
        await api(`uuid_transfer ${uuid(plan.transferor)} -both ${destination}`);
      } else {
        for (const leg of [plan.transferor, plan.peer]) {
          if (missing(leg)) await api(`uuid_transfer ${uuid(leg)} ${destination}`);
        }
      }
      const giveUpAt = Date.now() + (plan.waitMs ?? JOIN_WAIT_MS);
      for (;;) {
        members = await conferenceMembers(plan.conference);
        if (legs.every((leg) => members.includes(leg))) {
          if (first) transferFeatures.inc({ feature: 'three_way' });
          return true;
        }
        if (Date.now() >= giveUpAt) return false;
        await sleep(JOIN_POLL_MS);
      }
    },

    /**
     * uuid_bridge of two legs that are (or may be) conference members: the bridge takes each out of the conference
     * directly. Nothing is stopped first (see `bridge` above). Its CHANNEL_BRIDGE is awaited as bridgeAndConfirm's is.
     */
    async bridgeMembers(a: string, b: string, watch?: BridgeWatch): Promise<BridgeReply> {
      return bridge(a, b, undefined, watch, undefined, true);
    },

    /**
     * The switch's half of Kazoo's `hold` (the policy's `hold` picks the music): the peer hears music, the holder
     * silence. The music is `moh` when given, else the holder's own `hold_music` (uuid_hold plays the holder's variable
     * to its partner, or the switch's global one). On the switch the music only starts when the bridge has carried
     * ~200 ms of media, so the caller holds no sooner than that after a bridge; a SIP phone is also re-INVITEd, a
     * loopback leg is not.
     */
    async holdWithMusic(holder: string, moh?: string): Promise<string> {
      if (moh !== undefined) await api(`uuid_setvar ${uuid(holder)} hold_music ${stream(moh)}`);
      return api(`uuid_hold ${uuid(holder)}`);
    },

    /**
     * Ends a hold: `uuid_hold off` (what a SIP phone needs: its re-INVITE back to sendrecv). On a switch where that
     * fails (loopback legs answer `-ERR Operation failed` and stay held, no CHANNEL_UNHOLD ever comes) a new
     * `uuid_bridge` of the pair is the only way back: it ends the hold's bridge, stops the music and joins them again.
     * Answers which way it took; the caller confirms the bridge as any other.
     */
    async unhold(holder: string, peer: string): Promise<'unheld' | 'rebridged' | 'failed'> {
      const reply = await api(`uuid_hold off ${uuid(holder)}`);
      if (reply.startsWith('+OK')) return 'unheld';
      const bridged = await api(`uuid_bridge ${uuid(holder)} ${uuid(peer)}`);
      return bridged.startsWith('+OK') ? 'rebridged' : 'failed';
    },

    /**
     * Masks the peer's ear while a private feature code is typed: `uuid_drop_dtmf <peer> on mask_digits x` drops every
     * digit sent to the peer (captured: the presser's digits still show on the event socket; `x` is no DTMF digit, so
     * nothing is sent in their place; the shorter form is refused). Answers the switch's reply and when the command
     * was sent (ms): digits the switch times after that were dropped.
     */
    async maskDigits(peer: string): Promise<{ reply: string; at: number }> {
      const at = Date.now();
      const reply = await api(`uuid_drop_dtmf ${uuid(peer)} on mask_digits x`);
      if (reply.startsWith('+OK')) privateDigits.inc({ outcome: 'masked' });
      return { reply, at };
    },

    /**
     * Lifts the mask, then sends on to the peer's phone the digits it dropped that were no code (`uuid_send_dtmf`:
     * out of the peer's channel to its far end; a loopback peer hands them to its partner). Lifting first means a
     * digit Handoff sends is never itself dropped, whatever the mask would do to it. Answers when the lift was sent.
     */
    async unmaskDigits(peer: string, resend: string): Promise<{ at: number }> {
      const at = Date.now();
      await api(`uuid_drop_dtmf ${uuid(peer)} off mask_digits x`);
      if (resend) {
        if (!/^[0-9*#A-D]+$/.test(resend)) throw ApplicationFailure.nonRetryable(`not DTMF: ${JSON.stringify(resend)}`);
        const reply = await api(`uuid_send_dtmf ${uuid(peer)} ${resend}`);
        if (reply.startsWith('+OK')) privateDigits.inc({ outcome: 'resent' }, resend.length);
      }
      return { at };
    },

    /** Plays the transfer's music to a parked leg (the party a swap leaves aside). */
    async playMusic(leg: string, moh: string): Promise<string> {
      const reply = await api(`uuid_broadcast ${uuid(leg)} ${stream(moh)} aleg`);
      if (reply.startsWith('+OK')) transferFeatures.inc({ feature: 'swap' });
      return reply;
    },
  };
}

export type SwitchActivities = ReturnType<typeof createSwitchActivities>;
