// What both store engines share: the rows as the schema holds them, their mapping to the Store's types, the checks of
// IDs, and the reading of metaflow documents for media in use. The SQL lives with each engine.
import { isValidId } from '../contracts/grammar.ts';
import type {
  Account,
  ApiKeyInfo,
  ChannelDetails,
  ChannelRecord,
  ChannelWrites,
  Media,
  MediaUse,
  MetaflowScope,
  MetaflowsDoc,
  TransferPairClaim,
} from './types.ts';
import { StoreError } from './types.ts';

/** How many of a media's users a refused delete names. */
export const MEDIA_USES_SHOWN = 20;

/** Accounts whose trees are read in one go when listing (see each engine's accountPage). */
export const TREES_PER_TURN = 10;

/** How long a removed channel's tombstone outlives it, against late upserts from a second ingest. */
export const CHANNEL_TOMBSTONE_MS = 10 * 60_000;

export interface AccountRow {
  id: string;
  name: string;
  parent_id: string | null;
  moh_media_id: string | null;
  ringback: string | null;
  created_at: number;
}

export interface ApiKeyRow {
  id: string;
  account_id: string;
  label: string | null;
  created_at: number;
}

export interface MediaRow {
  id: string;
  account_id: string;
  name: string;
  stream_url: string;
  created_at: number;
}

export interface ChannelRow {
  call_id: string;
  node: string;
  account_id: string | null;
  direction: string | null;
  caller_id_name: string | null;
  caller_id_number: string | null;
  callee_id_number: string | null;
  answered: number;
  bridged_to: string | null;
  created_at: number;
  updated_at: number;
  owner_id: string | null;
  authorizing_id: string | null;
  authorizing_type: string | null;
  presence_id: string | null;
  username: string | null;
  destination: string | null;
  callee_id_name: string | null;
  /** JSON text of ChannelDetails. */
  details: string | null;
}

/** The channels table's columns that the projection writes, in order. */
export const CHANNEL_COLUMNS = [
  'call_id',
  'node',
  'account_id',
  'direction',
  'caller_id_name',
  'caller_id_number',
  'callee_id_number',
  'answered',
  'bridged_to',
  'created_at',
  'updated_at',
  'owner_id',
  'authorizing_id',
  'authorizing_type',
  'presence_id',
  'username',
  'destination',
  'callee_id_name',
  'details',
] as const satisfies readonly (keyof ChannelRow)[];

/** An account's defaults that name a media, as the media-in-use queries return them. */
export interface DefaultsRow {
  id: string;
  moh_media_id: string | null;
  ringback: string | null;
}

/** A metaflows document that may name a media, as the media-in-use queries return them. */
export interface MetaflowsRow {
  account_id: string;
  level: string;
  owner_id: string;
  doc: string;
}

/** A transfer claim (PostgreSQL returns BIGINT as a string). */
export interface ClaimRow {
  pair: string;
  claimed_by: string;
  claimed_until: number | string;
  claimed_at: number | string | null;
}

export function toTransferPairClaim(r: ClaimRow): TransferPairClaim {
  const claim: TransferPairClaim = { pair: r.pair, by: r.claimed_by, until: Number(r.claimed_until) };
  if (r.claimed_at !== null) claim.at = Number(r.claimed_at);
  return claim;
}

export function toAccount(r: AccountRow): Account {
  const a: Account = { id: r.id, name: r.name, parentId: r.parent_id, createdAt: r.created_at };
  if (r.moh_media_id !== null) a.musicOnHoldMediaId = r.moh_media_id;
  if (r.ringback !== null) a.ringback = r.ringback;
  return a;
}

export function toApiKey(r: ApiKeyRow): ApiKeyInfo {
  const k: ApiKeyInfo = { id: r.id, accountId: r.account_id, createdAt: r.created_at };
  if (r.label !== null) k.label = r.label;
  return k;
}

export function toMedia(r: MediaRow): Media {
  return { id: r.id, accountId: r.account_id, name: r.name, streamUrl: r.stream_url, createdAt: r.created_at };
}

export function toChannel(r: ChannelRow): ChannelRecord {
  const c: ChannelRecord = {
    callId: r.call_id,
    node: r.node,
    accountId: r.account_id,
    answered: r.answered === 1,
    bridgedTo: r.bridged_to,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.direction !== null) c.direction = r.direction;
  if (r.caller_id_name !== null) c.callerIdName = r.caller_id_name;
  if (r.caller_id_number !== null) c.callerIdNumber = r.caller_id_number;
  if (r.callee_id_number !== null) c.calleeIdNumber = r.callee_id_number;
  if (r.owner_id !== null) c.ownerId = r.owner_id;
  if (r.authorizing_id !== null) c.authorizingId = r.authorizing_id;
  if (r.authorizing_type !== null) c.authorizingType = r.authorizing_type;
  if (r.presence_id !== null) c.presenceId = r.presence_id;
  if (r.username !== null) c.username = r.username;
  if (r.destination !== null) c.destination = r.destination;
  if (r.callee_id_name !== null) c.calleeIdName = r.callee_id_name;
  if (r.details !== null) c.details = JSON.parse(r.details) as ChannelDetails;
  return c;
}

/** A channel as the `channels` table's columns hold it (answered as 0/1 in both engines). */
export function channelRow(rec: ChannelRecord): ChannelRow {
  return {
    call_id: rec.callId,
    node: rec.node,
    account_id: rec.accountId,
    direction: rec.direction ?? null,
    caller_id_name: rec.callerIdName ?? null,
    caller_id_number: rec.callerIdNumber ?? null,
    callee_id_number: rec.calleeIdNumber ?? null,
    answered: rec.answered ? 1 : 0,
    bridged_to: rec.bridgedTo,
    created_at: rec.createdAt,
    updated_at: rec.updatedAt,
    owner_id: rec.ownerId ?? null,
    authorizing_id: rec.authorizingId ?? null,
    authorizing_type: rec.authorizingType ?? null,
    presence_id: rec.presenceId ?? null,
    username: rec.username ?? null,
    destination: rec.destination ?? null,
    callee_id_name: rec.calleeIdName ?? null,
    details: rec.details ? JSON.stringify(rec.details) : null,
  };
}

/**
 * `col = excluded.col` for every column an upsert replaces: all but the key and created_at (which keeps the earliest).
 */
export const CHANNEL_UPDATES = CHANNEL_COLUMNS.filter((c) => c !== 'call_id' && c !== 'created_at')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/**
 * A batch as one statement can apply it: one row per channel (the latest), removals winning over upserts of the same
 * channel. A statement may touch a row once only (PostgreSQL's ON CONFLICT refuses a second time).
 */
export function normaliseChannelWrites(writes: ChannelWrites): ChannelWrites {
  const removals = [...new Set(writes.removals)];
  const removed = new Set(removals);
  const latest = new Map<string, ChannelRecord>();
  for (const rec of writes.upserts) {
    if (removed.has(rec.callId)) continue;
    const seen = latest.get(rec.callId);
    if (!seen || rec.updatedAt >= seen.updatedAt) latest.set(rec.callId, rec);
  }
  return { upserts: [...latest.values()], removals };
}

export function checkId(field: string, id: string): void {
  if (!isValidId(id)) throw new StoreError('invalid', field, `${field} must match [A-Za-z0-9_-]{1,64}`);
}

/** The metaflows row key of a scope: '' for the account level, the device or user ID otherwise. */
export function ownerKey(scope: MetaflowScope): string {
  if (scope.level === 'account') return '';
  if (!scope.ownerId)
    throw new StoreError('invalid', 'owner_id', `a ${scope.level} metaflow needs the ${scope.level} ID`);
  checkId(`${scope.level}_id`, scope.ownerId);
  return scope.ownerId;
}

/** Where a metaflows document names `mediaId` as a transfer's moh or ringback (`numbers.2.data.moh`). */
function mediaPathsIn(doc: MetaflowsDoc, mediaId: string): string[] {
  const paths: string[] = [];
  for (const group of ['numbers', 'patterns'] as const) {
    const entries = doc[group];
    if (!entries || typeof entries !== 'object') continue;
    for (const [key, entry] of Object.entries(entries as Record<string, { data?: Record<string, unknown> }>)) {
      for (const field of ['moh', 'ringback'] as const) {
        if (entry?.data?.[field] === mediaId) paths.push(`${group}.${key}.data.${field}`);
      }
    }
  }
  return paths;
}

/**
 * The LIKE pattern that finds metaflow documents (JSON text) naming the media `id` (IDs are [A-Za-z0-9_-]; `_` is
 * escaped with a backslash): candidates only, reading each document decides (mediaUses).
 */
export function mediaLikePattern(id: string): string {
  return `%"${id.replaceAll('_', '\\_')}"%`;
}

/** The users of a media, from the candidate rows both engines' queries find. */
export function mediaUses(id: string, defaults: DefaultsRow[], docs: MetaflowsRow[]): MediaUse[] {
  const uses: MediaUse[] = [];
  for (const a of defaults) {
    if (a.moh_media_id === id) uses.push({ accountId: a.id, field: 'music_on_hold.media_id' });
    if (a.ringback === id) uses.push({ accountId: a.id, field: 'ringback' });
  }
  for (const d of docs) {
    const where = d.level === 'account' ? 'metaflows (account)' : `metaflows (${d.level} ${d.owner_id})`;
    for (const path of mediaPathsIn(JSON.parse(d.doc) as MetaflowsDoc, id)) {
      uses.push({ accountId: d.account_id, field: `${where}: ${path}` });
    }
  }
  return uses.slice(0, MEDIA_USES_SHOWN);
}

/** `size + 1` rows: the page's rows and the row the next page starts at. */
export function splitPage<R>(rows: R[], size: number): { items: R[]; next: R | undefined } {
  return { items: rows.slice(0, size), next: rows.length > size ? rows[size] : undefined };
}
