// Store and engine records as the API shows them: Kazoo's snake_case keys, optional keys omitted when unset. Each view
// is typed by the schema its routes declare (api/schemas), so an answer and its documentation cannot disagree.
import type { z } from 'zod';
import type { Account, ChannelRecord, Media } from '../store/index.ts';
import type { CallSummary, TransferAccepted, TransferSummary } from '../contracts/messages.ts';
import type { accountView as accountSchema } from './schemas/accounts.ts';
import type {
  actionHandoff,
  channelListItem as channelListSchema,
  channelView as channelSchema,
  transferView as transferSchema,
} from './schemas/channels.ts';
import type { mediaNotes, mediaView as mediaSchema } from './schemas/media.ts';

/** Seconds between year 0 and 1970 in Erlang's calendar: Kazoo's channel timestamps are Gregorian seconds. */
const GREGORIAN_OFFSET_S = 62_167_219_200;

export type AccountView = z.output<typeof accountSchema>;
export type MediaView = z.output<typeof mediaSchema>;
export type ChannelListItem = z.output<typeof channelListSchema>;
export type ChannelView = z.output<typeof channelSchema>;
export type TransferView = z.output<typeof transferSchema>;
export type ActionHandoff = z.output<typeof actionHandoff>;
export type MediaNotes = z.output<typeof mediaNotes>;
export type MediaNote = MediaNotes[string];

type Compact<T> = { [K in keyof T]: Exclude<T[K], null> };

/** The object without its unset keys (undefined or null: the stores give either). */
function compact<T extends object>(o: T): Compact<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Compact<T>;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : isoOf(ms);
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

export function accountView(a: Account, tree: string[]): AccountView {
  return compact({
    id: a.id,
    name: a.name,
    parent_id: a.parentId ?? undefined,
    tree,
    music_on_hold: compact({ media_id: a.musicOnHoldMediaId }),
    ringback: a.ringback,
    created: isoOf(a.createdAt),
  });
}

export function mediaView(m: Media): MediaView {
  return { id: m.id, account_id: m.accountId, name: m.name, stream_url: m.streamUrl, created: isoOf(m.createdAt) };
}

function elapsedS(rec: ChannelRecord, now: number): number {
  return Math.max(0, Math.floor((now - rec.createdAt) / 1000));
}

/** Kazoo's list shape (ecallmgr_fs_channel:to_json, less the keys cb_channels deletes). */
export function channelListItem(rec: ChannelRecord, now = Date.now()): ChannelListItem {
  return compact({
    uuid: rec.callId,
    answered: rec.answered,
    direction: rec.direction,
    destination: rec.destination ?? rec.calleeIdNumber,
    other_leg: rec.bridgedTo,
    owner_id: rec.ownerId,
    authorizing_id: rec.authorizingId,
    authorizing_type: rec.authorizingType,
    presence_id: rec.presenceId,
    username: rec.username,
    caller_id_name: rec.callerIdName,
    caller_id_number: rec.callerIdNumber,
    callee_id_number: rec.calleeIdNumber,
    elapsed_s: elapsedS(rec, now),
    timestamp: Math.floor(rec.createdAt / 1000) + GREGORIAN_OFFSET_S,
  });
}

/**
 * What Kazoo's single channel adds from the leg's variables (ecallmgr_fs_channel:to_api_props, normalised and less the
 * keys cb_channels deletes: account_id, node, realm, profile, context, dialplan...).
 */
function kazooDetail(rec: ChannelRecord | undefined): Partial<ChannelView> {
  if (!rec) return {};
  const ccvs = rec.details?.ccvs ?? {};
  const d = rec.details ?? {};
  return {
    owner_id: rec.ownerId,
    authorizing_id: rec.authorizingId,
    authorizing_type: rec.authorizingType,
    presence_id: rec.presenceId,
    username: rec.username,
    destination: rec.destination ?? rec.calleeIdNumber,
    callee_id_name: rec.calleeIdName,
    account_billing: ccvs['Account-Billing'],
    reseller_id: ccvs['Reseller-ID'],
    reseller_billing: ccvs['Reseller-Billing'],
    resource_id: ccvs['Resource-ID'],
    callflow_id: ccvs['CallFlow-ID'],
    channel_authorized: ccvs['Channel-Authorized'] === undefined ? undefined : ccvs['Channel-Authorized'] === 'true',
    interaction_id: ccvs['Call-Interaction-ID'],
    custom_channel_vars: rec.details?.ccvs,
    from: d.from,
    to: d.to,
    from_tag: d.fromTag,
    to_tag: d.toTag,
    is_loopback: d.isLoopback,
    loopback_leg_name: d.loopbackLegName,
    loopback_other_leg: d.loopbackOtherLeg,
  };
}

export function transferView(t: TransferSummary): TransferView {
  return compact({
    transfer_id: t.transferId,
    phase: t.phase,
    outcome: t.outcome,
    reason: t.reason,
    transferor: t.transferor,
    transferee: t.transferee,
    target: t.target,
    target_leg: t.targetLeg,
    recall_leg: t.recallLeg,
    transfer_type: t.type,
    started: iso(t.startedAt),
    ended: iso(t.endedAt),
  });
}

export function acceptedView(t: TransferAccepted): ActionHandoff {
  return {
    transfer_id: t.transferId,
    phase: 'starting',
    transferor: t.transferor,
    transferee: t.transferee,
    target: t.target,
    transfer_type: t.type,
  };
}

/** Kazoo's single-channel shape (to_api_json), plus Handoff's extras under `handoff`. */
export function channelView(
  rec: ChannelRecord | undefined,
  call: CallSummary | undefined,
  engineError?: string,
  now = Date.now(),
): ChannelView {
  const callId = rec?.callId ?? call?.callId ?? '';
  const createdAt = rec?.createdAt ?? now;
  const bridgedTo = rec ? rec.bridgedTo : call?.bridgedTo;
  return compact({
    call_id: callId,
    uuid: callId,
    answered: rec?.answered ?? call?.answered ?? false,
    call_direction: rec?.direction ?? call?.direction,
    other_leg_call_id: bridgedTo,
    caller_id_name: rec?.callerIdName ?? call?.callerIdName,
    caller_id_number: rec?.callerIdNumber ?? call?.callerIdNumber,
    callee_id_number: rec?.calleeIdNumber ?? call?.calleeIdNumber,
    ...kazooDetail(rec),
    elapsed_seconds: Math.max(0, Math.floor((now - createdAt) / 1000)),
    timestamp: Math.floor(createdAt / 1000) + GREGORIAN_OFFSET_S,
    handoff: compact({
      node: rec?.node ?? call?.node,
      phase: call?.phase,
      transfer: call?.transfer && transferView(call.transfer),
      digits_kept_from: call?.digitsKeptFrom,
      hangup_cause: call?.hangupCause,
      engine_error: engineError,
    }),
  });
}
