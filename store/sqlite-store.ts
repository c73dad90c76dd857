// The embedded Store: one SQLite file in WAL mode through better-sqlite3 (synchronous, so every method resolves at once).
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Metaflows } from '../contracts/metaflows.ts';
import { generateApiKey, generateId, hashApiKey } from './ids.ts';
import { mergeMetaflowsDocs, normaliseMetaflowsDoc, toEngineMetaflows } from './metaflows.ts';
import { migrate } from './migrations.ts';
import { decodePageKey, encodePageKey } from './paging.ts';
import {
  CHANNEL_COLUMNS,
  CHANNEL_TOMBSTONE_MS,
  CHANNEL_UPDATES,
  MEDIA_USES_SHOWN,
  TREES_PER_TURN,
  channelRow,
  checkId,
  mediaLikePattern,
  mediaUses,
  normaliseChannelWrites,
  ownerKey,
  splitPage,
  toAccount,
  toApiKey,
  toChannel,
  toMedia,
  toTransferPairClaim,
  type AccountRow,
  type ApiKeyRow,
  type ChannelRow,
  type ClaimRow,
  type DefaultsRow,
  type MediaRow,
  type MetaflowsRow,
} from './rows.ts';
import type {
  Account,
  AccountInTree,
  AccountPatch,
  AccountTreeLimits,
  ApiKeyInfo,
  AuthFailures,
  ChannelFilter,
  ChannelRecord,
  ChannelWrites,
  CreatedApiKey,
  Media,
  MediaDeletion,
  MediaUse,
  MetaflowScope,
  NodeDrain,
  NodeSeen,
  MetaflowsDoc,
  NewAccount,
  NewMedia,
  Page,
  PageRequest,
  Store,
  StoreOptions,
  TransferPairClaim,
} from './types.ts';
import { DEFAULT_ACCOUNT_TREE_LIMITS, StoreError } from './types.ts';

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT');
}

/** Names that are not files: SQLite's private in-memory databases. */
function isFile(file: string): boolean {
  return file !== ':memory:' && file !== '' && !file.startsWith('file:');
}

/**
 * The database holds API key hashes, account trees and callers' numbers: readable by its owner only. SQLite gives its
 * -wal and -shm files the database file's permissions, so creating the file 0600 before SQLite does covers all three;
 * files left by an older version are tightened too.
 */
function ownerOnly(file: string): void {
  if (!isFile(file)) return;
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly treeLimits: AccountTreeLimits;

  constructor(file: string, options: StoreOptions = {}) {
    this.treeLimits = { ...DEFAULT_ACCOUNT_TREE_LIMITS, ...options.accountTree };
    ownerOnly(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // Several processes (API, workers, admin CLI) share the file: wait for a writer rather than fail at once.
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
  }

  /**
   * Each SQL text prepared once: preparing (parsing and planning) costs more than running a small statement, and the
   * ingest's projection writes channels on every flush. Texts built from a request (an account's changed columns, a
   * page's number of ids) are few, so the cache stays small. A mode set on a statement (`raw()`) stays with it: only
   * the one caller of its text may set one.
   */
  private readonly statements = new Map<string, Database.Statement>();
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  // --- accounts ---

  async createAccount(input: NewAccount): Promise<Account> {
    const id = input.id ?? generateId();
    checkId('id', id);
    const parentId = input.parentId ?? null;
    const { maxDepth, maxChildren } = this.treeLimits;
    return this.db
      .transaction(() => {
        if (parentId !== null) {
          // The parent's ancestors and itself: the new account's tree.
          const tree = this.sql('SELECT count(*) AS n FROM account_tree WHERE account_id = ?').get(parentId) as {
            n: number;
          };
          if (tree.n === 0) throw new StoreError('not_found', 'parent_id', `no account ${parentId}`);
          if (tree.n > maxDepth) {
            throw new StoreError(
              'limit',
              'tree',
              `an account may have at most ${maxDepth} ancestors (ACCOUNT_MAX_DEPTH)`,
              maxDepth,
            );
          }
          const children = this.sql('SELECT count(*) AS n FROM accounts WHERE parent_id = ?').get(parentId) as {
            n: number;
          };
          if (children.n >= maxChildren) {
            throw new StoreError(
              'limit',
              'parent_id',
              `an account may have at most ${maxChildren} children (ACCOUNT_MAX_CHILDREN)`,
              maxChildren,
            );
          }
        }
        try {
          this.sql(
            'INSERT INTO accounts (id, name, parent_id, moh_media_id, ringback, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          ).run(id, input.name, parentId, input.musicOnHoldMediaId ?? null, input.ringback ?? null, Date.now());
        } catch (err) {
          if (isUniqueViolation(err)) throw new StoreError('conflict', 'id', `an account ${id} already exists`);
          throw err;
        }
        // The tree index: the account is its own ancestor at distance 0, and its parent's ancestors are its own.
        this.sql(
          `INSERT INTO account_tree (ancestor_id, account_id, distance, account_name)
             SELECT ?, ?, 0, ?
             UNION ALL SELECT ancestor_id, ?, distance + 1, ? FROM account_tree WHERE account_id = ?`,
        ).run(id, id, input.name, id, input.name, parentId);
        return this.accountRow(id);
      })
      .immediate();
  }

  private accountRow(id: string): Account {
    const row = this.sql('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    if (!row) throw new StoreError('not_found', 'id', `no account ${id}`);
    return toAccount(row);
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const row = this.sql('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return row && toAccount(row);
  }

  async updateAccount(id: string, patch: AccountPatch): Promise<Account | undefined> {
    const columns: [string, string | null | undefined][] = [
      ['name', patch.name],
      ['moh_media_id', patch.musicOnHoldMediaId],
      ['ringback', patch.ringback],
    ];
    const set = columns.filter(([, v]) => v !== undefined) as [string, string | null][];
    const sets = set.map(([column]) => `${column} = ?`);
    const values = set.map(([, v]) => v);
    this.db.transaction(() => {
      if (sets.length > 0) this.sql(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
      // Listings are ordered by name: the tree index keeps a copy of it.
      if (patch.name !== undefined) {
        this.sql('UPDATE account_tree SET account_name = ? WHERE account_id = ?').run(patch.name, id);
      }
    })();
    return this.getAccount(id);
  }

  async listAccounts(): Promise<Account[]> {
    return (this.sql('SELECT * FROM accounts ORDER BY created_at, id').all() as AccountRow[]).map(toAccount);
  }

  async listChildren(id: string, page: PageRequest): Promise<Page<AccountInTree>> {
    // One range of accounts_children (parent, name, id), from the start key on.
    const from = page.startKey ? decodePageKey(page.startKey, 2) : [];
    const rows = this.sql(
      `SELECT * FROM accounts WHERE parent_id = ? ${from.length ? 'AND (name, id) >= (?, ?)' : ''}
         ORDER BY name, id LIMIT ?`,
    ).all(id, ...from, page.size + 1) as AccountRow[];
    return this.accountPage(rows, page.size);
  }

  async listDescendants(id: string, page: PageRequest): Promise<Page<AccountInTree>> {
    // One range of account_tree_listing (ancestor, name, account), from the start key on: the page, however large the
    // tree and however far into it.
    const from = page.startKey ? decodePageKey(page.startKey, 2) : [];
    const rows = this.sql(
      `SELECT a.* FROM account_tree t JOIN accounts a ON a.id = t.account_id
         WHERE t.ancestor_id = ? AND t.distance > 0 ${from.length ? 'AND (t.account_name, t.account_id) >= (?, ?)' : ''}
         ORDER BY t.account_name, t.account_id LIMIT ?`,
    ).all(id, ...from, page.size + 1) as AccountRow[];
    return this.accountPage(rows, page.size);
  }

  /**
   * `size + 1` rows make a page of `size` and the next page's key; the accounts' trees come from the tree index, a few
   * accounts at a time with a turn of the event loop between: a tree deeper than the limit (made before there was
   * one) costs in proportion to its depth, and other requests must not wait for all of it.
   */
  private async accountPage(rows: AccountRow[], size: number): Promise<Page<AccountInTree>> {
    const { items, next } = splitPage(rows, size);
    const trees = new Map<string, string[]>(items.map((r) => [r.id, []]));
    for (let i = 0; i < items.length; i += TREES_PER_TURN) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const chunk = items.slice(i, i + TREES_PER_TURN).map((r) => r.id);
      const ancestors = this.sql(
        `SELECT account_id, ancestor_id FROM account_tree
           WHERE account_id IN (${chunk.map(() => '?').join(', ')}) AND distance > 0
           ORDER BY account_id, distance DESC`,
      )
        .raw()
        .all(...chunk) as [string, string][];
      for (const [accountId, ancestorId] of ancestors) trees.get(accountId)?.push(ancestorId);
    }
    const page: Page<AccountInTree> = {
      items: items.map((r) => ({ ...toAccount(r), tree: trees.get(r.id) ?? [] })),
    };
    if (next) page.nextStartKey = encodePageKey([next.name, next.id]);
    return page;
  }

  async ancestry(id: string): Promise<string[]> {
    return this.ancestrySync(id);
  }

  private ancestrySync(id: string): string[] {
    const rows = this.sql('SELECT ancestor_id FROM account_tree WHERE account_id = ? ORDER BY distance').all(id) as {
      ancestor_id: string;
    }[];
    return rows.map((r) => r.ancestor_id);
  }

  async isDescendantOrSelf(ancestorId: string, accountId: string): Promise<boolean> {
    return (
      this.sql('SELECT 1 FROM account_tree WHERE ancestor_id = ? AND account_id = ?').get(ancestorId, accountId) !==
      undefined
    );
  }

  // --- API keys ---

  async createApiKey(accountId: string, label?: string): Promise<CreatedApiKey> {
    return this.createApiKeySync(accountId, label);
  }

  private createApiKeySync(accountId: string, label?: string): CreatedApiKey {
    if (!this.sql('SELECT 1 FROM accounts WHERE id = ?').get(accountId)) {
      throw new StoreError('not_found', 'account_id', `no account ${accountId}`);
    }
    const key = generateApiKey();
    const id = generateId().slice(0, 16);
    const createdAt = Date.now();
    this.sql('INSERT INTO api_keys (id, account_id, key_hash, label, created_at) VALUES (?, ?, ?, ?, ?)').run(
      id,
      accountId,
      hashApiKey(key),
      label ?? null,
      createdAt,
    );
    const info: CreatedApiKey = { id, accountId, createdAt, key };
    if (label !== undefined) info.label = label;
    return info;
  }

  async findApiKey(key: string): Promise<ApiKeyInfo | undefined> {
    const row = this.sql('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').get(hashApiKey(key)) as
      ApiKeyRow | undefined;
    return row && toApiKey(row);
  }

  async activeApiKey(id: string): Promise<ApiKeyInfo | undefined> {
    const row = this.sql('SELECT * FROM api_keys WHERE id = ? AND revoked_at IS NULL').get(id) as ApiKeyRow | undefined;
    return row && toApiKey(row);
  }

  async rotateApiKey(accountId: string, label?: string): Promise<CreatedApiKey> {
    return this.db
      .transaction(() => {
        const created = this.createApiKeySync(accountId, label);
        this.sql('UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND id <> ? AND revoked_at IS NULL').run(
          Date.now(),
          accountId,
          created.id,
        );
        return created;
      })
      .immediate();
  }

  async listApiKeys(accountId: string): Promise<ApiKeyInfo[]> {
    const rows = this.sql(
      'SELECT * FROM api_keys WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at, id',
    ).all(accountId);
    return (rows as ApiKeyRow[]).map(toApiKey);
  }

  async revokeApiKey(idOrKey: string): Promise<boolean> {
    const r = this.sql('UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR key_hash = ?) AND revoked_at IS NULL').run(
      Date.now(),
      idOrKey,
      hashApiKey(idOrKey),
    );
    return r.changes > 0;
  }

  // --- failed logins ---

  async authFailures(client: string, now: number): Promise<AuthFailures> {
    const row = this.sql(
      'SELECT failures, window_ends_at FROM auth_failures WHERE client = ? AND window_ends_at > ?',
    ).get(client, now) as { failures: number; window_ends_at: number } | undefined;
    return row ? { failures: row.failures, windowEndsAt: row.window_ends_at } : { failures: 0, windowEndsAt: 0 };
  }

  async recordAuthFailure(client: string, now: number, windowMs: number): Promise<AuthFailures> {
    return this.db
      .transaction(() => {
        // Ended windows are forgotten, so the table holds only the clients that failed in the last window.
        this.sql('DELETE FROM auth_failures WHERE window_ends_at <= ?').run(now);
        const row = this.sql(
          `INSERT INTO auth_failures (client, failures, window_ends_at) VALUES (?, 1, ?)
             ON CONFLICT (client) DO UPDATE SET failures = auth_failures.failures + 1
             RETURNING failures, window_ends_at`,
        ).get(client, now + windowMs) as { failures: number; window_ends_at: number };
        return { failures: row.failures, windowEndsAt: row.window_ends_at };
      })
      .immediate();
  }

  // --- token revocations ---

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    const now = Date.now();
    this.db.transaction(() => {
      this.sql('DELETE FROM token_revocations WHERE expires_at < ?').run(now);
      this.sql(
        'INSERT INTO token_revocations (jti, expires_at) VALUES (?, ?) ON CONFLICT(jti) DO UPDATE SET expires_at = excluded.expires_at',
      ).run(jti, expiresAt);
    })();
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return this.sql('SELECT 1 FROM token_revocations WHERE jti = ?').get(jti) !== undefined;
  }

  // --- metaflows ---

  async getMetaflows(scope: MetaflowScope): Promise<MetaflowsDoc | undefined> {
    return this.metaflowsDoc(scope.accountId, scope.level, ownerKey(scope));
  }

  private metaflowsDoc(accountId: string, level: string, owner: string): MetaflowsDoc | undefined {
    const row = this.sql('SELECT doc FROM metaflows WHERE account_id = ? AND level = ? AND owner_id = ?').get(
      accountId,
      level,
      owner,
    ) as { doc: string } | undefined;
    return row && (JSON.parse(row.doc) as MetaflowsDoc);
  }

  async setMetaflows(scope: MetaflowScope, doc: MetaflowsDoc): Promise<MetaflowsDoc> {
    const owner = ownerKey(scope);
    if (!(await this.getAccount(scope.accountId))) {
      throw new StoreError('not_found', 'account_id', `no account ${scope.accountId}`);
    }
    const normalised = normaliseMetaflowsDoc(doc);
    this.sql(
      `INSERT INTO metaflows (account_id, level, owner_id, doc, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(account_id, level, owner_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`,
    ).run(scope.accountId, scope.level, owner, JSON.stringify(normalised), Date.now());
    return normalised;
  }

  async deleteMetaflows(scope: MetaflowScope): Promise<boolean> {
    const r = this.sql('DELETE FROM metaflows WHERE account_id = ? AND level = ? AND owner_id = ?').run(
      scope.accountId,
      scope.level,
      ownerKey(scope),
    );
    return r.changes > 0;
  }

  async effectiveMetaflows(accountId: string, deviceId?: string, userId?: string): Promise<Metaflows | undefined> {
    const docs: MetaflowsDoc[] = [];
    const account = this.metaflowsDoc(accountId, 'account', '');
    if (account) docs.push(account);
    const device = deviceId ? this.metaflowsDoc(accountId, 'device', deviceId) : undefined;
    if (device) docs.push(device);
    const user = userId ? this.metaflowsDoc(accountId, 'user', userId) : undefined;
    if (user) docs.push(user);
    return docs.length > 0 ? toEngineMetaflows(mergeMetaflowsDocs(docs)) : undefined;
  }

  // --- media ---

  async createMedia(input: NewMedia): Promise<Media> {
    const id = input.id ?? generateId();
    checkId('id', id);
    if (!(await this.getAccount(input.accountId))) {
      throw new StoreError('not_found', 'account_id', `no account ${input.accountId}`);
    }
    try {
      this.sql('INSERT INTO media (account_id, id, name, stream_url, created_at) VALUES (?, ?, ?, ?, ?)').run(
        input.accountId,
        id,
        input.name,
        input.streamUrl,
        Date.now(),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreError('conflict', 'id', `this account has a media ${id} already`);
      throw err;
    }
    return (await this.getMedia(input.accountId, id)) as Media;
  }

  async getMedia(accountId: string, id: string): Promise<Media | undefined> {
    const row = this.sql('SELECT * FROM media WHERE account_id = ? AND id = ?').get(accountId, id) as
      MediaRow | undefined;
    return row && toMedia(row);
  }

  async findMediaForAccount(accountId: string, mediaId: string): Promise<Media | undefined> {
    const row = this.sql(
      `SELECT m.* FROM account_tree t JOIN media m ON m.account_id = t.ancestor_id AND m.id = ?
         WHERE t.account_id = ? ORDER BY t.distance LIMIT 1`,
    ).get(mediaId, accountId) as MediaRow | undefined;
    return row && toMedia(row);
  }

  async listMedia(accountId: string, page: PageRequest): Promise<Page<Media>> {
    // One range of media_listing (account, name, id), from the start key on.
    const from = page.startKey ? decodePageKey(page.startKey, 2) : [];
    const rows = this.sql(
      `SELECT * FROM media WHERE account_id = ? ${from.length ? 'AND (name, id) >= (?, ?)' : ''}
         ORDER BY name, id LIMIT ?`,
    ).all(accountId, ...from, page.size + 1) as MediaRow[];
    const { items, next } = splitPage(rows, page.size);
    const result: Page<Media> = { items: items.map(toMedia) };
    if (next) result.nextStartKey = encodePageKey([next.name, next.id]);
    return result;
  }

  async deleteMedia(accountId: string, id: string): Promise<MediaDeletion> {
    return this.db
      .transaction((): MediaDeletion => {
        if (!this.sql('SELECT 1 FROM media WHERE account_id = ? AND id = ?').get(accountId, id)) {
          return { deleted: false, usedBy: [] };
        }
        const usedBy = this.mediaUses(accountId, id);
        if (usedBy.length > 0) return { deleted: false, usedBy };
        this.sql('DELETE FROM media WHERE account_id = ? AND id = ?').run(accountId, id);
        return { deleted: true, usedBy: [] };
      })
      .immediate();
  }

  /**
   * Who plays the account's media `id`: accounts of its subtree (itself included) whose defaults or metaflows name
   * `id`, unless an account nearer to them has a media of that ID of its own (theirs is the one they play).
   */
  private mediaUses(ownerId: string, id: string): MediaUse[] {
    // An account nearer to the user than the owner with its own media of that ID shadows the owner's.
    const notShadowed = `NOT EXISTS (
        SELECT 1 FROM account_tree z JOIN media s ON s.account_id = z.ancestor_id AND s.id = ?
        WHERE z.account_id = t.account_id AND z.distance < t.distance)`;
    const defaults = this.sql(
      `SELECT a.id, a.moh_media_id, a.ringback FROM account_tree t JOIN accounts a ON a.id = t.account_id
         WHERE t.ancestor_id = ? AND (a.moh_media_id = ? OR a.ringback = ?) AND ${notShadowed}
         ORDER BY t.distance, a.id LIMIT ?`,
    ).all(ownerId, id, id, id, MEDIA_USES_SHOWN) as DefaultsRow[];
    const docs = this.sql(
      `SELECT m.account_id, m.level, m.owner_id, m.doc FROM account_tree t JOIN metaflows m ON m.account_id = t.account_id
         WHERE t.ancestor_id = ? AND m.doc LIKE ? ESCAPE '\\' AND ${notShadowed}
         ORDER BY t.distance, m.account_id, m.level, m.owner_id`,
    ).all(ownerId, mediaLikePattern(id), id) as MetaflowsRow[];
    return mediaUses(id, defaults, docs);
  }

  // --- live channels ---

  async writeChannels(writes: ChannelWrites): Promise<void> {
    const { upserts, removals } = normaliseChannelWrites(writes);
    // Stale writes (older updatedAt) and writes after removal are dropped in the WHERE of the upsert.
    const upsert = this.sql(
      `INSERT INTO channels (${CHANNEL_COLUMNS.join(', ')}) VALUES (${CHANNEL_COLUMNS.map((c) => `@${c}`).join(', ')})
       ON CONFLICT(call_id) DO UPDATE SET ${CHANNEL_UPDATES},
         created_at = min(channels.created_at, excluded.created_at)
       WHERE channels.removed_at IS NULL AND excluded.updated_at >= channels.updated_at`,
    );
    // A removal that arrives before any upsert still leaves a tombstone.
    const remove = this.sql(
      `INSERT INTO channels (call_id, node, answered, created_at, updated_at, removed_at) VALUES (?, '', 0, ?, ?, ?)
       ON CONFLICT(call_id) DO UPDATE SET removed_at = coalesce(channels.removed_at, excluded.removed_at)`,
    );
    const now = Date.now();
    this.db.transaction(() => {
      for (const rec of upserts) upsert.run(channelRow(rec));
      if (removals.length === 0) return;
      this.sql('DELETE FROM channels WHERE removed_at IS NOT NULL AND removed_at < ?').run(now - CHANNEL_TOMBSTONE_MS);
      for (const callId of removals) remove.run(callId, now, now, now);
    })();
  }

  async upsertChannel(rec: ChannelRecord): Promise<void> {
    await this.writeChannels({ upserts: [rec], removals: [] });
  }

  async removeChannel(callId: string): Promise<void> {
    await this.writeChannels({ upserts: [], removals: [callId] });
  }

  async getChannel(callId: string): Promise<ChannelRecord | undefined> {
    const row = this.sql('SELECT * FROM channels WHERE call_id = ? AND removed_at IS NULL').get(callId);
    return row ? toChannel(row as ChannelRow) : undefined;
  }

  async listChannels(accountIds: string[], filter: ChannelFilter = {}): Promise<ChannelRecord[]> {
    if (accountIds.length === 0) return [];
    const rows = this.sql(
      `SELECT * FROM channels WHERE removed_at IS NULL AND account_id IN (SELECT value FROM json_each(@accounts))
           AND (@owner IS NULL OR owner_id = @owner) AND (@authorizing IS NULL OR authorizing_id = @authorizing)
         ORDER BY created_at, call_id`,
    ).all({
      accounts: JSON.stringify(accountIds),
      owner: filter.ownerId ?? null,
      authorizing: filter.authorizingId ?? null,
    });
    return (rows as ChannelRow[]).map(toChannel);
  }

  async listTreeChannels(accountId: string): Promise<ChannelRecord[]> {
    const rows = this.sql(
      `SELECT c.* FROM channels c JOIN account_tree t ON t.account_id = c.account_id
         WHERE t.ancestor_id = ? AND c.removed_at IS NULL
         ORDER BY c.created_at, c.call_id`,
    ).all(accountId);
    return (rows as ChannelRow[]).map(toChannel);
  }

  async listNodeChannels(node: string): Promise<ChannelRecord[]> {
    const rows = this.sql(
      'SELECT * FROM channels WHERE removed_at IS NULL AND node = ? ORDER BY created_at, call_id',
    ).all(node);
    return (rows as ChannelRow[]).map(toChannel);
  }

  async setNodeDrain(node: string, drain: NodeDrain | undefined): Promise<void> {
    if (!drain) {
      this.sql('DELETE FROM node_drains WHERE node = ?').run(node);
      return;
    }
    this.sql('INSERT INTO node_drains (node, since, drained_by) VALUES (?, ?, ?) ON CONFLICT(node) DO NOTHING').run(
      node,
      drain.since,
      drain.by,
    );
  }

  async nodeDrain(node: string): Promise<NodeDrain | undefined> {
    const row = this.sql('SELECT since, drained_by FROM node_drains WHERE node = ?').get(node) as
      { since: number; drained_by: string } | undefined;
    return row && { since: Number(row.since), by: row.drained_by };
  }

  async nodeConnected(node: string, at: number): Promise<void> {
    this.sql(
      `INSERT INTO node_liveness (node, connected_at) VALUES (?, ?)
         ON CONFLICT(node) DO UPDATE SET connected_at = max(connected_at, excluded.connected_at),
           claimed_by = NULL, claimed_until = NULL`,
    ).run(node, at);
  }

  async claimLostNodes(lostBefore: number, by: string, until: number, now: number): Promise<NodeSeen[]> {
    const rows = this.sql(
      `UPDATE node_liveness SET claimed_by = ?, claimed_until = ?
         WHERE connected_at < ? AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)
         RETURNING node, connected_at`,
    ).all(by, until, lostBefore, now, by) as { node: string; connected_at: number }[];
    return rows
      .map((r) => ({ node: r.node, connectedAt: Number(r.connected_at) }))
      .sort((x, y) => x.connectedAt - y.connectedAt || x.node.localeCompare(y.node));
  }

  async forgetNode(node: string, connectedAt: number): Promise<boolean> {
    return (
      this.sql('DELETE FROM node_liveness WHERE node = ? AND connected_at <= ?').run(node, connectedAt).changes > 0
    );
  }

  async claimTransferPair(pair: string, by: string, until: number, now: number, at: number): Promise<boolean> {
    this.sql('DELETE FROM transfer_claims WHERE claimed_until < ?').run(now);
    const claimed = this.sql(
      `INSERT INTO transfer_claims (pair, claimed_by, claimed_until, claimed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(pair) DO UPDATE SET claimed_until = excluded.claimed_until, claimed_at = excluded.claimed_at
           WHERE transfer_claims.claimed_by = excluded.claimed_by
         RETURNING pair`,
    ).get(pair, by, until, at);
    return claimed !== undefined;
  }

  async transferPairClaim(pair: string): Promise<TransferPairClaim | undefined> {
    const row = this.sql('SELECT pair, claimed_by, claimed_until, claimed_at FROM transfer_claims WHERE pair = ?').get(
      pair,
    ) as ClaimRow | undefined;
    return row && toTransferPairClaim(row);
  }

  async releaseTransferPair(claim: TransferPairClaim): Promise<boolean> {
    return (
      this.sql('DELETE FROM transfer_claims WHERE pair = ? AND claimed_by = ? AND claimed_until = ?').run(
        claim.pair,
        claim.by,
        claim.until,
      ).changes > 0
    );
  }

  async ping(): Promise<void> {
    this.sql('SELECT 1').get();
  }

  async backup(file: string): Promise<void> {
    // Created first, owner-only (API key hashes are inside), so the copy is never readable by others, even briefly.
    try {
      closeSync(openSync(file, 'wx', 0o600));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new StoreError('conflict', 'file', `${file} exists: back up to a new file`);
      throw err;
    }
    await this.db.backup(file);
    chmodSync(file, 0o600);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating and migrating as needed) the SQLite store at `file`; `:memory:` gives a private in-memory one. */
export function openStore(file: string, options: StoreOptions = {}): Store {
  return new SqliteStore(file, options);
}
