// The one data-access interface every process uses. Methods are async so that a shared PostgreSQL implementation
// can replace the embedded SQLite one without touching callers.
import type { Metaflows } from '../contracts/metaflows.ts';

export interface Account {
  id: string;
  name: string;
  parentId: string | null;
  /** Kazoo's `music_on_hold.media_id`: the transferee's hold music when a transfer names none. */
  musicOnHoldMediaId?: string;
  /** The transferor's ringback when a transfer names none (a media ID or a stream URL). */
  ringback?: string;
  createdAt: number;
}

/** An account with its place in the tree, as listings give it. */
export interface AccountInTree extends Account {
  /** Kazoo's `pvt_tree`: the account's ancestors, the top-level account first. */
  tree: string[];
}

/** How deep and wide the account tree may grow; checked when an account is created. */
export interface AccountTreeLimits {
  /** Most ancestors an account may have (a top-level account has none). */
  maxDepth: number;
  /** Most children one account may have. */
  maxChildren: number;
}

export const DEFAULT_ACCOUNT_TREE_LIMITS: AccountTreeLimits = { maxDepth: 16, maxChildren: 10_000 };

export interface StoreOptions {
  accountTree?: Partial<AccountTreeLimits>;
}

/** One page of a listing: at most `size` items, from `startKey` (a previous page's `nextStartKey`) on. */
export interface PageRequest {
  size: number;
  startKey?: string;
}

export interface Page<T> {
  items: T[];
  /** Resumes the listing after this page; absent on the last page. */
  nextStartKey?: string;
}

export interface NewAccount {
  /** Chosen by the administrator (Kazoo's 32-hex IDs work as they are), or generated (32 lowercase hex). */
  id?: string;
  name: string;
  parentId?: string | null;
  musicOnHoldMediaId?: string;
  ringback?: string;
}

export interface AccountPatch {
  name?: string;
  /** null clears it. */
  musicOnHoldMediaId?: string | null;
  ringback?: string | null;
}

export interface ApiKeyInfo {
  id: string;
  accountId: string;
  label?: string;
  createdAt: number;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The secret itself: shown once, stored only as a hash. */
  key: string;
}

/** A client's failed logins in its current window. */
export interface AuthFailures {
  failures: number;
  /** When the window ends (ms since the epoch); 0 with no window. */
  windowEndsAt: number;
}

export type MetaflowLevel = 'account' | 'device' | 'user';

/** Where a metaflows document lives: on the account, or on one of its devices or users. */
export interface MetaflowScope {
  accountId: string;
  level: MetaflowLevel;
  /** The device or user ID; absent for the account level. */
  ownerId?: string;
}

/** A metaflows document as posted (Kazoo's schema), kept verbatim apart from the `binding_key` alias. */
export type MetaflowsDoc = Record<string, unknown>;

export interface Media {
  id: string;
  accountId: string;
  name: string;
  /** What the switch plays: tone_stream://..., local_stream://name, or an absolute file path. */
  streamUrl: string;
  createdAt: number;
}

/** An account's default or metaflow that names a media (`music_on_hold.media_id`, `metaflows (user U): numbers.2.data.moh`). */
export interface MediaUse {
  accountId: string;
  field: string;
}

/** What a delete did: nothing when the media is unknown, or in use (and by whom). */
export interface MediaDeletion {
  deleted: boolean;
  usedBy: MediaUse[];
}

export interface NewMedia {
  id?: string;
  accountId: string;
  name: string;
  streamUrl: string;
}

/** The live-channel projection the ESL ingest keeps: current and cheap to list, unlike Temporal visibility. */
export interface ChannelRecord extends ChannelOwnership {
  callId: string;
  node: string;
  accountId: string | null;
  direction?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  calleeIdNumber?: string;
  answered: boolean;
  bridgedTo: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * Who a channel belongs to and what Kazoo says of it, from the leg's `ecallmgr_*` variables and headers (what Kazoo's
 * ecallmgr keeps of a channel and its channel API shows).
 */
export interface ChannelOwnership {
  /** The user (Kazoo: ecallmgr_Owner-ID). */
  ownerId?: string;
  /** The device or resource that placed or takes the call (ecallmgr_Authorizing-ID, -Type). */
  authorizingId?: string;
  authorizingType?: string;
  presenceId?: string;
  /** The device's SIP username (ecallmgr_Username). */
  username?: string;
  /** The number dialled (Caller-Destination-Number). */
  destination?: string;
  calleeIdName?: string;
  /** The rest of what Kazoo's channel detail shows: every `ecallmgr_*` variable, SIP From/To and tags, loopback. */
  details?: ChannelDetails;
}

export interface ChannelDetails {
  /** Kazoo's custom channel variables: the leg's `ecallmgr_<Name>` variables, by Name. */
  ccvs?: Record<string, string>;
  from?: string;
  to?: string;
  fromTag?: string;
  toTag?: string;
  isLoopback?: boolean;
  loopbackLegName?: string;
  loopbackOtherLeg?: string;
}

/** Narrows a channel listing to one user's or one device's channels. */
export interface ChannelFilter {
  ownerId?: string;
  authorizingId?: string;
}

/** A batch of live-channel projection writes: each channel at most once, a removal winning over an upsert. */
export interface ChannelWrites {
  upserts: ChannelRecord[];
  /** Call IDs hung up: their rows go, and a tombstone refuses late upserts for a while. */
  removals: string[];
}

export type StoreErrorCode = 'conflict' | 'not_found' | 'invalid' | 'limit';

/**
 * A refusal the caller can act on (duplicate ID, unknown parent, malformed ID, a limit reached); anything else is a bug
 * or an outage. `target` is the limit, for `limit`.
 */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly field: string,
    message: string,
    readonly target?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/**
 * The store cannot be reached (a database server restarting, a connection refused or cut): nothing was refused, the
 * same call may succeed in a moment. The API answers 503; the ingest keeps its writes and tries again.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A node, and when an ingest last had its switch connected. */
export interface NodeSeen {
  node: string;
  connectedAt: number;
}

/** Since when a node is drained, and who asked (`ctl` and the host, say). */
export interface NodeDrain {
  since: number;
  by: string;
}

/** A transferor's claim on its pair of legs (Store.claimTransferPair). */
export interface TransferPairClaim {
  pair: string;
  by: string;
  until: number;
  /** When it was made, in Temporal's clock; absent for a claim made before this was kept. */
  at?: number;
}

export interface Store {
  // Accounts: a tree. Parents are set at creation and never change, so the tree cannot grow a cycle. It is indexed
  // (every account with each of its ancestors), so every question about it is one indexed read, and it is held to
  // the store's AccountTreeLimits (a StoreError `limit` beyond them).
  createAccount(input: NewAccount): Promise<Account>;
  getAccount(id: string): Promise<Account | undefined>;
  updateAccount(id: string, patch: AccountPatch): Promise<Account | undefined>;
  /** Every account (the admin command's listing). */
  listAccounts(): Promise<Account[]>;
  /** A page of the account's children, by name then ID. */
  listChildren(id: string, page: PageRequest): Promise<Page<AccountInTree>>;
  /** A page of every account below `id` (not `id` itself), by name then ID (Kazoo's order). */
  listDescendants(id: string, page: PageRequest): Promise<Page<AccountInTree>>;
  /** `[id, parent, grandparent, ..., root]`; empty when the account does not exist. */
  ancestry(id: string): Promise<string[]>;
  isDescendantOrSelf(ancestorId: string, accountId: string): Promise<boolean>;

  // API keys, stored as SHA-256 hashes.
  createApiKey(accountId: string, label?: string): Promise<CreatedApiKey>;
  /** The key's account, or undefined for an unknown or revoked key. */
  findApiKey(key: string): Promise<ApiKeyInfo | undefined>;
  /** The key with this ID, or undefined when it is unknown or revoked (a token is good only while its key is). */
  activeApiKey(id: string): Promise<ApiKeyInfo | undefined>;
  /** Revokes every key of the account and creates one in their place, at once; the new secret is shown once. */
  rotateApiKey(accountId: string, label?: string): Promise<CreatedApiKey>;
  listApiKeys(accountId: string): Promise<ApiKeyInfo[]>;
  /** Revoke by key ID or by the key itself; false when nothing was revoked. */
  revokeApiKey(idOrKey: string): Promise<boolean>;

  // Failed logins per client, in fixed windows: shared by every API process that shares the store.
  /** The client's failures in its current window (none when it has no window, or its window has ended). */
  authFailures(client: string, now: number): Promise<AuthFailures>;
  /** Counts one failure: in the client's window, or in a new one starting now (which prunes ended windows). */
  recordAuthFailure(client: string, now: number, windowMs: number): Promise<AuthFailures>;

  // Token revocations (JWT `jti`), kept until the token would have expired anyway.
  revokeToken(jti: string, expiresAt: number): Promise<void>;
  isTokenRevoked(jti: string): Promise<boolean>;

  // Metaflows at three levels.
  getMetaflows(scope: MetaflowScope): Promise<MetaflowsDoc | undefined>;
  /** Replaces the whole document (Kazoo's POST semantics, no merge) and returns it as stored. */
  setMetaflows(scope: MetaflowScope, doc: MetaflowsDoc): Promise<MetaflowsDoc>;
  deleteMetaflows(scope: MetaflowScope): Promise<boolean>;
  /** Account → device → user, later wins; undefined when no level defines a feature code. */
  effectiveMetaflows(accountId: string, deviceId?: string, userId?: string): Promise<Metaflows | undefined>;

  // Media. IDs are per account (another tenant's IDs are free to use, and nothing about them shows); an account plays
  // the nearest media of an ID: its own, else its parent's, and so on up.
  createMedia(input: NewMedia): Promise<Media>;
  getMedia(accountId: string, id: string): Promise<Media | undefined>;
  /** The media if it belongs to the account or one of its ancestors (what the account may play). */
  findMediaForAccount(accountId: string, mediaId: string): Promise<Media | undefined>;
  /** A page of the account's own media, by name then ID. */
  listMedia(accountId: string, page: PageRequest): Promise<Page<Media>>;
  /** Refused (not deleted, with the users) while an account of the subtree plays it: see MediaUse. */
  deleteMedia(accountId: string, id: string): Promise<MediaDeletion>;

  // The live channels projection, written by the ESL ingest.
  /**
   * One batch of projection writes, at once. An upsert is ignored when older than what is stored (two ingests may
   * watch one node) or when the channel was removed.
   */
  writeChannels(writes: ChannelWrites): Promise<void>;
  /** One upsert (writeChannels with one row). */
  upsertChannel(rec: ChannelRecord): Promise<void>;
  /** One removal (writeChannels with one call ID). */
  removeChannel(callId: string): Promise<void>;
  getChannel(callId: string): Promise<ChannelRecord | undefined>;
  listChannels(accountIds: string[], filter?: ChannelFilter): Promise<ChannelRecord[]>;
  /** Every live channel of the account's tree (the account and every account below it). */
  listTreeChannels(accountId: string): Promise<ChannelRecord[]>;
  /** A node's live channels, for the ingest's reconciliation with `show channels`. */
  listNodeChannels(node: string): Promise<ChannelRecord[]>;

  // Drained nodes take no new transfers (the on-call CLI's `drain`); their running transfers finish.
  setNodeDrain(node: string, drain: NodeDrain | undefined): Promise<void>;
  nodeDrain(node: string): Promise<NodeDrain | undefined>;

  // Nodes' liveness: every ingest connected to its switch writes the time, every reconcile period, so that the node
  // workers can tell a node lost for good (no ingest connected to it for a while) and end its calls. One worker at a
  // time does that for a lost node: it claims the node for a while (a lease, taken over when it lapses).
  /** Records that an ingest of `node` is connected at `at` (a later time wins); a claim on the node ends. */
  nodeConnected(node: string, at: number): Promise<void>;
  /**
   * Claims, for `by` until `until`, every node last connected before `lostBefore` that nobody else holds at `now` (a
   * lapsed claim is taken over; `by`'s own claims are renewed); returns them, oldest first.
   */
  claimLostNodes(lostBefore: number, by: string, until: number, now: number): Promise<NodeSeen[]>;
  /** Forgets a lost node, unless it was seen again after `connectedAt`; true when forgotten. */
  forgetNode(node: string, connectedAt: number): Promise<boolean>;

  /**
   * Claims a transfer's pair of legs for `by` (its transferor) until `until`, unless another transferor holds it at
   * `now` (a lapsed claim is taken over, `by`'s own renewed); true when `by` holds it. Two parties of one call pressing
   * a transfer code at the same moment: the first claim wins, before either puts the other on hold. Lapsed claims are
   * deleted on the way. `at`: when the claim is made, in Temporal's clock (kept with it, see TransferPairClaim).
   */
  claimTransferPair(pair: string, by: string, until: number, now: number, at: number): Promise<boolean>;
  /** The claim on a pair now, lapsed or not. */
  transferPairClaim(pair: string): Promise<TransferPairClaim | undefined>;
  /** Ends exactly this claim (the same holder and lease), not one renewed or taken since; true when it ended. */
  releaseTransferPair(claim: TransferPairClaim): Promise<boolean>;

  /** Resolves when the store answers a trivial read (readiness); rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /**
   * An embedded database's consistent copy in a new `file` while the store is in use (SQLite's online backup),
   * readable by its owner only. A database server has none here: the server's own tools back it up.
   */
  backup?(file: string): Promise<void>;
  close(): Promise<void>;
}
