// ESL event (JSON headers) → ChannelEvent, the reduced form the workflows read.
import type { ChannelEvent, ChannelEventName, LegInfo } from '../../contracts/messages.ts';
import type { ChannelDetails, ChannelOwnership } from '../../store/index.ts';
import { ENGINE_EVENTS, type EslEvent } from '../esl/index.ts';
import { carriesVariables } from './routing.ts';

/**
 * The switch events forwarded to workflows: every event the node subscribes to but the originate results, which
 * jobs.ts routes. Nothing else is forwarded (cost: every signal is a workflow task).
 */
export const FORWARDED_EVENTS: ReadonlySet<string> = new Set(ENGINE_EVENTS.filter((name) => name !== 'BACKGROUND_JOB'));

/**
 * The forwarded events a workflow acts on: all but CHANNEL_PARK, which only the live-channel projection reads (a parked
 * leg is shown as parked there). No workflow changes on a park, and each one sent was a signal and a workflow task:
 * two per plain call, six per attended transfer.
 */
export const WORKFLOW_EVENTS: ReadonlySet<string> = new Set([...FORWARDED_EVENTS].filter((n) => n !== 'CHANNEL_PARK'));

/**
 * The events of a transfer's own legs (its target, its recall attempts) sent to the transfer: all but CHANNEL_CREATE,
 * for which the transfer machine has no input (workflows/transfer-machine.ts `toInput`: the leg is the one it dialled;
 * its answer, bridges and hangup are what it acts on). A ringing target's CREATE was a signal and a workflow task on its
 * own. Its key presses and unbridges still go: after a completed transfer they reach the leg's call workflow through it.
 */
export const TRANSFER_LEG_EVENTS: ReadonlySet<string> = new Set(
  [...WORKFLOW_EVENTS].filter((n) => n !== 'CHANNEL_CREATE'),
);

/** The channel variables that say whose leg it is. Names are configurable (Kazoo's by default). */
export interface LegVariableNames {
  ACCOUNT_ID_VARIABLE: string;
  AUTHORIZING_ID_VARIABLE: string;
  OWNER_ID_VARIABLE: string;
  DEFAULT_ACCOUNT_ID?: string;
}

/** Event-Date-Timestamp is in microseconds. */
export function eventTimeMs(evt: EslEvent, fallback = Date.now()): number {
  const us = Number(evt['Event-Date-Timestamp']);
  return Number.isFinite(us) && us > 0 ? Math.floor(us / 1000) : fallback;
}

/** The ChannelEvent for a forwarded event, or undefined for any other event or one without Unique-ID. */
export function toChannelEvent(evt: EslEvent, node: string, names: LegVariableNames): ChannelEvent | undefined {
  const name = evt['Event-Name'];
  const uuid = evt['Unique-ID'];
  if (!name || !uuid || !FORWARDED_EVENTS.has(name)) return undefined;
  const out: ChannelEvent = {
    name: name as ChannelEventName,
    uuid,
    coreUuid: evt['Core-UUID'] ?? '',
    seq: Number(evt['Event-Sequence'] ?? 0) || 0,
    at: eventTimeMs(evt),
    node,
  };
  setIf(out, 'otherLeg', evt['Other-Leg-Unique-ID']);
  if (name === 'CHANNEL_BRIDGE' || name === 'CHANNEL_UNBRIDGE') {
    setIf(out, 'bridgeA', evt['Bridge-A-Unique-ID']);
    setIf(out, 'bridgeB', evt['Bridge-B-Unique-ID']);
  }
  if (name === 'DTMF') setIf(out, 'digit', evt['DTMF-Digit']);
  if (name === 'CHANNEL_HANGUP_COMPLETE') setIf(out, 'hangupCause', evt['Hangup-Cause'] ?? evt.variable_hangup_cause);
  setIf(out, 'answerState', evt['Answer-State']);
  if (carriesVariables(evt)) out.leg = legInfo(evt, names);
  return out;
}

/**
 * Who the leg is. Read from every event that carries variables, since FreeSWITCH flips an originated leg's caller ID
 * after answer (its Caller-* fields become the peer's): the workflow keeps what it needs from the first one.
 */
export function legInfo(evt: EslEvent, names: LegVariableNames): LegInfo {
  const leg: LegInfo = {};
  const set = (key: keyof LegInfo, value: string | undefined): void => {
    if (value) leg[key] = value;
  };
  set('accountId', evt[`variable_${names.ACCOUNT_ID_VARIABLE}`] || names.DEFAULT_ACCOUNT_ID);
  set('authorizingId', evt[`variable_${names.AUTHORIZING_ID_VARIABLE}`]);
  set('ownerId', evt[`variable_${names.OWNER_ID_VARIABLE}`]);
  set('direction', evt['Call-Direction']);
  set('callerIdName', evt['Caller-Caller-ID-Name']);
  set('callerIdNumber', evt['Caller-Caller-ID-Number']);
  // The callee ID is empty until a bridge sets it; the dialled number says who was called.
  set('calleeIdNumber', evt['Caller-Callee-ID-Number'] || evt['Caller-Destination-Number']);
  set('channelName', evt['Channel-Name']);
  return leg;
}

/** Kazoo's custom channel variables are the leg's variables with this prefix (ecallmgr keeps them as the CCVs). */
const KAZOO_CCV_PREFIX = 'variable_ecallmgr_';

/**
 * Who the channel belongs to and what Kazoo's channel API shows of it, for the live-channel projection only (not
 * sent to workflows): where Kazoo's ecallmgr reads each (ecallmgr_fs_channel): owner, authorizing ID and type,
 * username from the `ecallmgr_*` variables (the configured owner and authorizing variables first), the presence ID, the
 * dialled number, SIP From/To and their tags, loopback, and every `ecallmgr_*` variable as the custom channel vars.
 */
export function channelOwnership(evt: EslEvent, names: LegVariableNames): ChannelOwnership {
  const ccvs: Record<string, string> = {};
  for (const [key, value] of Object.entries(evt)) {
    if (key.startsWith(KAZOO_CCV_PREFIX) && value !== '') ccvs[key.slice(KAZOO_CCV_PREFIX.length)] = value;
  }
  const out: ChannelOwnership = {};
  const set = <K extends keyof ChannelOwnership>(key: K, value: ChannelOwnership[K] | undefined): void => {
    if (value !== undefined && value !== '') out[key] = value;
  };
  set('ownerId', evt[`variable_${names.OWNER_ID_VARIABLE}`] || ccvs['Owner-ID']);
  set('authorizingId', evt[`variable_${names.AUTHORIZING_ID_VARIABLE}`] || ccvs['Authorizing-ID']);
  set('authorizingType', ccvs['Authorizing-Type']);
  set('username', ccvs['Username']);
  set('presenceId', evt['variable_presence_id'] || evt['Channel-Presence-ID']);
  set('destination', evt['Caller-Destination-Number']);
  set('calleeIdName', evt['Caller-Callee-ID-Name']);
  const details: ChannelDetails = {};
  const detail = <K extends keyof ChannelDetails>(key: K, value: ChannelDetails[K] | undefined): void => {
    if (value !== undefined && value !== '') details[key] = value;
  };
  if (Object.keys(ccvs).length > 0) details.ccvs = ccvs;
  detail('from', evt['variable_sip_from_uri']);
  detail('to', evt['variable_sip_to_uri']);
  detail('fromTag', evt['variable_sip_from_tag']);
  detail('toTag', evt['variable_sip_to_tag']);
  const loopback = evt['variable_is_loopback'];
  if (loopback !== undefined) details.isLoopback = loopback === '1' || loopback === 'true';
  detail('loopbackLegName', evt['variable_loopback_leg']);
  detail('loopbackOtherLeg', evt['variable_other_loopback_leg_uuid']);
  if (Object.keys(details).length > 0) out.details = details;
  return out;
}

function setIf<K extends keyof ChannelEvent>(obj: ChannelEvent, key: K, value: ChannelEvent[K] | undefined): void {
  if (value !== undefined && value !== '') obj[key] = value;
}
