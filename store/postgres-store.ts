// The shared Store: PostgreSQL through node-postgres (`pg`) and a connection pool, for many API and worker processes on
// many hosts. Where the SQLite store relies on its single writer, this one takes row locks in a transaction (the parent
// account, the account of a key rotation) or does the whole change in one statement (the login counters, the channel
// projection), so that two processes cannot interleave. A lost server is a StoreUnavailableError, never a crash.
import pg from 'pg';
import { generateApiKey, generateId, hashApiKey } from './ids.ts';
import { mergeMetaflowsDocs, normaliseMetaflowsDoc, toEngineMetaflows } from './metaflows.ts';
import { MIGRATIONS, MIGRATIONS_TABLE, migrationSql, type Migration } from './migrations.ts';
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
import type { Metaflows } from '../contracts/metaflows.ts';
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
  MetaflowScope,
  MetaflowsDoc,
  NewAccount,
  NewMedia,
  NodeDrain,
  NodeSeen,
  Page,
  PageRequest,
  Store,
  StoreOptions,
  TransferPairClaim,
} from './types.ts';
import { DEFAULT_ACCOUNT_TREE_LIMITS, StoreError, StoreUnavailableError } from './types.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PostgresStoreOptions extends StoreOptions {
  /** Most connections this process holds (pg's pool `max`). */
  poolMax?: number;
  /** How long a query waits for a connection before the store counts as unavailable. */
  connectTimeoutMs?: number;
  /** Told of connection errors the pool sees while nobody is querying (a server restart); they are not thrown. */
  onConnectionError?: (err: Error) => void;
}

/** Identifies Handoff's migration lock among the database's advisory locks (with the schema's name). */
const MIGRATION_LOCK = 'handoff-migrations';

/** Removal tombstones, ended login windows and expired revocations are pruned at most this often per process. */
const PRUNE_EVERY_MS = 10_000;

/**
 * SQLSTATEs that mean the server, not the statement: connection exceptions (class 08), the server shutting down or
 * starting (57P01–57P03), too many connections (53300).
 */
function isServerGone(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof pg.DatabaseError) {
    const code = err.code ?? '';
    return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code);
  }
  // Anything else from the driver is about the connection: refused, reset, cut, timed out waiting for a connection.
  return true;
}

function pgCode(err: unknown): string | undefined {
  return err instanceof pg.DatabaseError ? err.code : undefined;
}

/** BIGINT (int8) and count(*) come back as numbers: milliseconds since the epoch and counts fit a double exactly. */
function typeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  return types;
}

/** A URL without its password, for messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * Applies the migrations this database (the connection's schema) lacks, each in its own transaction under an advisory
 * lock, so that processes starting together apply each once; returns the IDs applied.
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    const applied = await transaction(pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()))`, [MIGRATION_LOCK]);
      await c.query(MIGRATIONS_TABLE);
      const seen = await c.query('SELECT 1 FROM migrations WHERE id = $1', [m.id]);
      if (seen.rowCount) return false;
      await c.query(migrationSql(m, 'postgres'));
      await c.query('INSERT INTO migrations (id, name, applied_at) VALUES ($1, $2, $3)', [m.id, m.name, Date.now()]);
      return true;
    });
    if (applied) done.push(m.id);
  }
  return done;
}

/** The channels columns' PostgreSQL types, to read a batch's JSON rows into. */
const CHANNEL_TYPES: Record<(typeof CHANNEL_COLUMNS)[number], string> = {
  call_id: 'text',
  node: 'text',
  account_id: 'text',
  direction: 'text',
  caller_id_name: 'text',
  caller_id_number: 'text',
  callee_id_number: 'text',
  answered: 'integer',
  bridged_to: 'text',
  created_at: 'bigint',
  updated_at: 'bigint',
  owner_id: 'text',
  authorizing_id: 'text',
  authorizing_type: 'text',
  presence_id: 'text',
  username: 'text',
  destination: 'text',
  callee_id_name: 'text',
  details: 'text',
};

/** BEGIN … COMMIT on one pooled connection; ROLLBACK on any error, and a broken connection is not given back. */
async function transaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection cut between two statements is reported as an event on the client: without a listener it would
  // crash the process. The next statement fails anyway and says so.
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    if (!broken && !isServerGone(err)) await client.query('ROLLBACK').catch(() => undefined);
    broken ??= isServerGone(err) ? (err as Error) : undefined;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken ?? false);
  }
}

export class PostgresStore implements Store {
  readonly pool: pg.Pool;
  private readonly treeLimits: AccountTreeLimits;
  private readonly lastPrune = new Map<string, number>();
  private closed = false;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    this.treeLimits = { ...DEFAULT_ACCOUNT_TREE_LIMITS, ...options.accountTree };
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      types: typeParsers(),
    });
    // Idle connections die with the server (a restart, a failover): the pool drops them and opens new ones on demand.
    this.pool.on('error', (err) => options.onConnectionError?.(err));
  }

  /** Runs `fn`, turning a lost server into StoreUnavailableError. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreError || err instanceof StoreUnavailableError) throw err;
      if (isServerGone(err)) {
        throw new StoreUnavailableError(`the store is unavailable: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
  }

  private async rows<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.guard(async () => (await this.pool.query(sql, params)).rows as R[]);
  }

  private async row<R>(sql: string, params: unknown[] = []): Promise<R | undefined> {
    return (await this.rows<R>(sql, params))[0];
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.guard(() => transaction(this.pool, fn));
  }

  /**
   * Housekeeping deletes (ended windows, expired revocations, old tombstones), at most every PRUNE_EVERY_MS per table
   * and process. Rows another process is deleting are skipped, not waited for: no lock waits, no deadlocks.
   */
  private async prune(table: string, column: string, before: number): Promise<void> {
    const now = Date.now();
    if (now - (this.lastPrune.get(table) ?? 0) < PRUNE_EVERY_MS) return;
    this.lastPrune.set(table, now);
    const key = table === 'auth_failures' ? 'client' : table === 'token_revocations' ? 'jti' : 'call_id';
    await this.rows(
      `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${column} < $1 FOR UPDATE SKIP LOCKED)`,
      [before],
    );
  }

  // --- accounts ---

  async createAccount(input: NewAccount): Promise<Account> {
    const id = input.id ?? generateId();
    checkId('id', id);
    const parentId = input.parentId ?? null;
    const { maxDepth, maxChildren } = this.treeLimits;
    return this.tx(async (c) => {
      if (parentId !== null) {
        // The parent's row is locked until this account is in: two processes adding children to one account count
        // them one after the other, so the limit is exact. (NO KEY UPDATE: rows referencing the parent, a media say,
        // may still be written meanwhile.)
        const parent = await c.query('SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE', [parentId]);
        if (!parent.rowCount) throw new StoreError('not_found', 'parent_id', `no account ${parentId}`);
        const tree = await c.query<{ n: number }>('SELECT count(*) AS n FROM account_tree WHERE account_id = $1', [
          parentId,
        ]);
        if ((tree.rows[0]?.n ?? 0) > maxDepth) {
          throw new StoreError(
            'limit',
            'tree',
            `an account may have at most ${maxDepth} ancestors (ACCOUNT_MAX_DEPTH)`,
            maxDepth,
          );
        }
        const children = await c.query<{ n: number }>('SELECT count(*) AS n FROM accounts WHERE parent_id = $1', [
          parentId,
        ]);
        if ((children.rows[0]?.n ?? 0) >= maxChildren) {
          throw new StoreError(
            'limit',
            'parent_id',
            `an account may have at most ${maxChildren} children (ACCOUNT_MAX_CHILDREN)`,
            maxChildren,
          );
        }
      }
      const inserted = await c.query<AccountRow>(
        `INSERT INTO accounts (id, name, parent_id, moh_media_id, ringback, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [id, input.name, parentId, input.musicOnHoldMediaId ?? null, input.ringback ?? null, Date.now()],
      );
      const row = inserted.rows[0];
      if (!row) throw new StoreError('conflict', 'id', `an account ${id} already exists`);
      // The tree index: the account is its own ancestor at distance 0, and its parent's ancestors are its own.
      await c.query(
        `INSERT INTO account_tree (ancestor_id, account_id, distance, account_name)
         SELECT $1::text, $1::text, 0, $2::text
         UNION ALL SELECT ancestor_id, $1::text, distance + 1, $2::text FROM account_tree WHERE account_id = $3`,
        [id, input.name, parentId],
      );
      return toAccount(row);
    });
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const row = await this.row<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
    return row && toAccount(row);
  }

  async updateAccount(id: string, patch: AccountPatch): Promise<Account | undefined> {
    const columns: [string, string | null | undefined][] = [
      ['name', patch.name],
      ['moh_media_id', patch.musicOnHoldMediaId],
      ['ringback', patch.ringback],
    ];
    const set = columns.filter(([, v]) => v !== undefined) as [string, string | null][];
    if (set.length === 0) return this.getAccount(id);
    return this.tx(async (c) => {
      const updated = await c.query<AccountRow>(
        `UPDATE accounts SET ${set.map(([column], i) => `${column} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
        [id, ...set.map(([, v]) => v)],
      );
      // Listings are ordered by name: the tree index keeps a copy of it.
      if (patch.name !== undefined) {
        await c.query('UPDATE account_tree SET account_name = $2 WHERE account_id = $1', [id, patch.name]);
      }
      const row = updated.rows[0];
      return row && toAccount(row);
    });
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.rows<AccountRow>('SELECT * FROM accounts ORDER BY created_at, id')).map(toAccount);
  }

  async listChildren(id: string, page: PageRequest): Promise<Page<AccountInTree>> {
    // One range of accounts_children (parent, name, id), from the start key on.
    const from = page.startKey ? decodePageKey(page.startKey, 2) : [];
    const rows = await this.rows<AccountRow>(
      `SELECT * FROM accounts WHERE parent_id = $1 ${from.length ? 'AND (name, id) >= ($3, $4)' : ''}
       ORDER BY name, id LIMIT $2`,
      [id, page.size + 1, ...from],
    );
    return this.accountPage(rows, page.size);
  }

  async listDescendants(id: string, page: PageRequest): Promise<Page<AccountInTree>> {
    // One range of account_tree_listing (ancestor, name, account), from the start key on.
    const from = page.startKey ? decodePageKey(page.startKey, 2) : [];
    const rows = await this.rows<AccountRow>(
      `SELECT a.* FROM account_tree t JOIN accounts a ON a.id = t.account_id
       WHERE t.ancestor_id = $1 AND t.distance > 0 ${from.length ? 'AND (t.account_name, t.account_id) >= ($3, $4)' : ''}
       ORDER BY t.account_name, t.account_id LIMIT $2`,
      [id, page.size + 1, ...from],
    );
    return this.accountPage(rows, page.size);
  }

  /** As the SQLite store's: the trees of a page read a few accounts at a time (a legacy deep tree costs its depth). */
  private async accountPage(rows: AccountRow[], size: number): Promise<Page<AccountInTree>> {
    const { items, next } = splitPage(rows, size);
    const trees = new Map<string, string[]>(items.map((r) => [r.id, []]));
    for (let i = 0; i < items.length; i += TREES_PER_TURN) {
      const chunk = items.slice(i, i + TREES_PER_TURN).map((r) => r.id);
      const ancestors = await this.rows<{ account_id: string; ancestor_id: string }>(
        `SELECT account_id, ancestor_id FROM account_tree WHERE account_id = ANY($1::text[]) AND distance > 0
         ORDER BY account_id, distance DESC`,
        [chunk],
      );
      for (const a of ancestors) trees.get(a.account_id)?.push(a.ancestor_id);
    }
    const page: Page<AccountInTree> = {
      items: items.map((r) => ({ ...toAccount(r), tree: trees.get(r.id) ?? [] })),
    };
    if (next) page.nextStartKey = encodePageKey([next.name, next.id]);
    return page;
  }

  async ancestry(id: string): Promise<string[]> {
    const rows = await this.rows<{ ancestor_id: string }>(
      'SELECT ancestor_id FROM account_tree WHERE account_id = $1 ORDER BY distance',
      [id],
    );
    return rows.map((r) => r.ancestor_id);
  }

  async isDescendantOrSelf(ancestorId: string, accountId: string): Promise<boolean> {
    return (
      (await this.row('SELECT 1 FROM account_tree WHERE ancestor_id = $1 AND account_id = $2', [
        ancestorId,
        accountId,
      ])) !== undefined
    );
  }

  // --- API keys ---

  async createApiKey(accountId: string, label?: string): Promise<CreatedApiKey> {
    return this.tx((c) => this.insertApiKey(c, accountId, label));
  }

  private async insertApiKey(c: Queryable, accountId: string, label?: string): Promise<CreatedApiKey> {
    const key = generateApiKey();
    const id = generateId().slice(0, 16);
    const createdAt = Date.now();
    // The account must exist: the insert takes its row from accounts (a foreign key would say so less clearly).
    const inserted = await c.query(
      `INSERT INTO api_keys (id, account_id, key_hash, label, created_at)
       SELECT $1, id, $3, $4, $5 FROM accounts WHERE id = $2`,
      [id, accountId, hashApiKey(key), label ?? null, createdAt],
    );
    if (!inserted.rowCount) throw new StoreError('not_found', 'account_id', `no account ${accountId}`);
    const info: CreatedApiKey = { id, accountId, createdAt, key };
    if (label !== undefined) info.label = label;
    return info;
  }

  async findApiKey(key: string): Promise<ApiKeyInfo | undefined> {
    const row = await this.row<ApiKeyRow>('SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [
      hashApiKey(key),
    ]);
    return row && toApiKey(row);
  }

  async activeApiKey(id: string): Promise<ApiKeyInfo | undefined> {
    const row = await this.row<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1 AND revoked_at IS NULL', [id]);
    return row && toApiKey(row);
  }

  async rotateApiKey(accountId: string, label?: string): Promise<CreatedApiKey> {
    return this.tx(async (c) => {
      // Rotations of one account take turns: the second one's revoke sees (and revokes) the first one's new key.
      const account = await c.query('SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE', [accountId]);
      if (!account.rowCount) throw new StoreError('not_found', 'account_id', `no account ${accountId}`);
      const created = await this.insertApiKey(c, accountId, label);
      await c.query('UPDATE api_keys SET revoked_at = $1 WHERE account_id = $2 AND id <> $3 AND revoked_at IS NULL', [
        Date.now(),
        accountId,
        created.id,
      ]);
      return created;
    });
  }

  async listApiKeys(accountId: string): Promise<ApiKeyInfo[]> {
    const rows = await this.rows<ApiKeyRow>(
      'SELECT * FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at, id',
      [accountId],
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(idOrKey: string): Promise<boolean> {
    const revoked = await this.rows(
      'UPDATE api_keys SET revoked_at = $1 WHERE (id = $2 OR key_hash = $3) AND revoked_at IS NULL RETURNING id',
      [Date.now(), idOrKey, hashApiKey(idOrKey)],
    );
    return revoked.length > 0;
  }

  // --- failed logins ---

  async authFailures(client: string, now: number): Promise<AuthFailures> {
    const row = await this.row<{ failures: number; window_ends_at: number }>(
      'SELECT failures, window_ends_at FROM auth_failures WHERE client = $1 AND window_ends_at > $2',
      [client, now],
    );
    return row ? { failures: row.failures, windowEndsAt: row.window_ends_at } : { failures: 0, windowEndsAt: 0 };
  }

  async recordAuthFailure(client: string, now: number, windowMs: number): Promise<AuthFailures> {
    // One statement: counting in the window, or opening a new one when it has ended, is atomic whichever API process
    // counts (the row is locked by the upsert, a concurrent one waits and then counts on top).
    const row = await this.row<{ failures: number; window_ends_at: number }>(
      `INSERT INTO auth_failures AS f (client, failures, window_ends_at) VALUES ($1, 1, $3)
       ON CONFLICT (client) DO UPDATE SET
         failures = CASE WHEN f.window_ends_at <= $2 THEN 1 ELSE f.failures + 1 END,
         window_ends_at = CASE WHEN f.window_ends_at <= $2 THEN excluded.window_ends_at ELSE f.window_ends_at END
       RETURNING failures, window_ends_at`,
      [client, now, now + windowMs],
    );
    if (!row) throw new Error('the failed login was not counted');
    // Ended windows are forgotten, so the table holds only the clients that failed in the last window.
    await this.prune('auth_failures', 'window_ends_at', now + 1);
    return { failures: row.failures, windowEndsAt: row.window_ends_at };
  }

  // --- token revocations ---

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    await this.rows(
      `INSERT INTO token_revocations (jti, expires_at) VALUES ($1, $2)
       ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at`,
      [jti, expiresAt],
    );
    await this.prune('token_revocations', 'expires_at', Date.now());
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return (await this.row('SELECT 1 FROM token_revocations WHERE jti = $1', [jti])) !== undefined;
  }

  // --- metaflows ---

  async getMetaflows(scope: MetaflowScope): Promise<MetaflowsDoc | undefined> {
    return this.metaflowsDoc(scope.accountId, scope.level, ownerKey(scope));
  }

  private async metaflowsDoc(accountId: string, level: string, owner: string): Promise<MetaflowsDoc | undefined> {
    const row = await this.row<{ doc: string }>(
      'SELECT doc FROM metaflows WHERE account_id = $1 AND level = $2 AND owner_id = $3',
      [accountId, level, owner],
    );
    return row && (JSON.parse(row.doc) as MetaflowsDoc);
  }

  async setMetaflows(scope: MetaflowScope, doc: MetaflowsDoc): Promise<MetaflowsDoc> {
    const owner = ownerKey(scope);
    const normalised = normaliseMetaflowsDoc(doc);
    const written = await this.rows(
      `INSERT INTO metaflows (account_id, level, owner_id, doc, updated_at)
       SELECT id, $2, $3, $4, $5 FROM accounts WHERE id = $1
       ON CONFLICT (account_id, level, owner_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at
       RETURNING 1`,
      [scope.accountId, scope.level, owner, JSON.stringify(normalised), Date.now()],
    );
    if (written.length === 0) throw new StoreError('not_found', 'account_id', `no account ${scope.accountId}`);
    return normalised;
  }

  async deleteMetaflows(scope: MetaflowScope): Promise<boolean> {
    const deleted = await this.rows(
      'DELETE FROM metaflows WHERE account_id = $1 AND level = $2 AND owner_id = $3 RETURNING 1',
      [scope.accountId, scope.level, ownerKey(scope)],
    );
    return deleted.length > 0;
  }

  async effectiveMetaflows(accountId: string, deviceId?: string, userId?: string): Promise<Metaflows | undefined> {
    // One read for the three levels; merged account → device → user.
    const rows = await this.rows<{ level: string; doc: string }>(
      `SELECT level, doc FROM metaflows WHERE account_id = $1 AND (
         (level = 'account' AND owner_id = '') OR (level = 'device' AND owner_id = $2) OR (level = 'user' AND owner_id = $3))`,
      [accountId, deviceId ?? '', userId ?? ''],
    );
    const order = ['account', 'device', 'user'];
    const docs = rows
      .filter((r) => r.level === 'account' || (r.level === 'device' ? deviceId : userId))
      .sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level))
      .map((r) => JSON.parse(r.doc) as MetaflowsDoc);
    return docs.length > 0 ? toEngineMetaflows(mergeMetaflowsDocs(docs)) : undefined;
  }

  // --- media ---

  async createMedia(input: NewMedia): Promise<Media> {
    const id = input.id ?? generateId();
    checkId('id', id);
    return this.guard(async () => {
      try {
        const inserted = await this.pool.query<MediaRow>(
          `INSERT INTO media (account_id, id, name, stream_url, created_at)
           SELECT id, $2, $3, $4, $5 FROM accounts WHERE id = $1 RETURNING *`,
          [input.accountId, id, input.name, input.streamUrl, Date.now()],
        );
        const row = inserted.rows[0];
        if (!row) throw new StoreError('not_found', 'account_id', `no account ${input.accountId}`);
        return toMedia(row);
      } catch (err) {
        if (pgCode(err) === '23505') throw new StoreError('conflict', 'id', `this account has a media ${id} already`);
        throw err;
      }
    });
  }

  async getMedia(accountId: string, id: string): Promise<Media | undefined> {
    const row = await this.row<MediaRow>('SELECT * FROM media WHERE account_id = $1 AND id = $2', [accountId, id]);
    return row && toMedia(row);
  }

  async findMediaForAccount(accountId: string, mediaId: string): Promise<Media | undefined> {
    const row = await this.row<MediaRow>(
      `SELECT m.* FROM account_tree t JOIN media m ON m.account_id = t.ancestor_id AND m.id = $1
       WHERE t.account_id = $2 ORDER BY t.distance LIMIT 1`,
      [mediaId, accountId],
    );
    return row && toMedia(row);
  }

  async listMedia(accountId: string, page: PageRequest): Promise<Page<Media>> {
    const from = page.startKey ? decodePageKey(page.startKey, 2) : [];
    const rows = await this.rows<MediaRow>(
      `SELECT * FROM media WHERE account_id = $1 ${from.length ? 'AND (name, id) >= ($3, $4)' : ''}
       ORDER BY name, id LIMIT $2`,
      [accountId, page.size + 1, ...from],
    );
    const { items, next } = splitPage(rows, page.size);
    const result: Page<Media> = { items: items.map(toMedia) };
    if (next) result.nextStartKey = encodePageKey([next.name, next.id]);
    return result;
  }

  async deleteMedia(accountId: string, id: string): Promise<MediaDeletion> {
    return this.tx(async (c): Promise<MediaDeletion> => {
      // Locked, so that two deletes of one media do not both report it deleted.
      const media = await c.query('SELECT 1 FROM media WHERE account_id = $1 AND id = $2 FOR UPDATE', [accountId, id]);
      if (!media.rowCount) return { deleted: false, usedBy: [] };
      const usedBy = await this.mediaUsers(c, accountId, id);
      if (usedBy.length > 0) return { deleted: false, usedBy };
      await c.query('DELETE FROM media WHERE account_id = $1 AND id = $2', [accountId, id]);
      return { deleted: true, usedBy: [] };
    });
  }

  /** Who plays the account's media `id` (see the SQLite store's mediaUses: the same questions). */
  private async mediaUsers(c: Queryable, ownerId: string, id: string): Promise<MediaDeletion['usedBy']> {
    const notShadowed = `NOT EXISTS (
        SELECT 1 FROM account_tree z JOIN media s ON s.account_id = z.ancestor_id AND s.id = $2
        WHERE z.account_id = t.account_id AND z.distance < t.distance)`;
    const defaults = await c.query<DefaultsRow>(
      `SELECT a.id, a.moh_media_id, a.ringback FROM account_tree t JOIN accounts a ON a.id = t.account_id
       WHERE t.ancestor_id = $1 AND (a.moh_media_id = $2 OR a.ringback = $2) AND ${notShadowed}
       ORDER BY t.distance, a.id LIMIT $3`,
      [ownerId, id, MEDIA_USES_SHOWN],
    );
    const docs = await c.query<MetaflowsRow>(
      `SELECT m.account_id, m.level, m.owner_id, m.doc FROM account_tree t JOIN metaflows m ON m.account_id = t.account_id
       WHERE t.ancestor_id = $1 AND m.doc LIKE $3 ESCAPE '\\' AND ${notShadowed}
       ORDER BY t.distance, m.account_id, m.level, m.owner_id`,
      [ownerId, id, mediaLikePattern(id)],
    );
    return mediaUses(id, defaults.rows, docs.rows);
  }

  // --- live channels ---

  async writeChannels(writes: ChannelWrites): Promise<void> {
    const { upserts, removals } = normaliseChannelWrites(writes);
    if (upserts.length === 0 && removals.length === 0) return;
    const now = Date.now();
    // One statement, one round trip, whatever the batch's size: the rows travel as one JSON parameter. The upsert
    // ignores stale rows (older updatedAt) and removed channels (their tombstone); a removal leaves a tombstone even
    // for a channel never upserted. Both sets are disjoint (normaliseChannelWrites), as one statement must touch a
    // row at most once. Each set is written in call ID order: the two ingests of a node write the same channels in
    // batches cut at their own moments, so in different orders, and two statements locking shared rows in opposite
    // orders deadlock (PostgreSQL fails one). Across the two sets no such cross can arise: both ingests apply the
    // same events in the same order, so one cannot hold a channel's removal while the other holds its upsert, and the
    // reverse for another channel.
    const columns = CHANNEL_COLUMNS.join(', ');
    await this.rows(
      `WITH upserted AS (
         INSERT INTO channels AS ch (${columns})
         SELECT ${columns} FROM jsonb_to_recordset($1::jsonb)
           AS r(${CHANNEL_COLUMNS.map((c) => `${c} ${CHANNEL_TYPES[c]}`).join(', ')})
         ORDER BY call_id
         ON CONFLICT (call_id) DO UPDATE SET ${CHANNEL_UPDATES},
           created_at = least(ch.created_at, excluded.created_at)
         WHERE ch.removed_at IS NULL AND excluded.updated_at >= ch.updated_at
         RETURNING 1
       ), removed AS (
         INSERT INTO channels AS ch (call_id, node, answered, created_at, updated_at, removed_at)
         SELECT call_id, '', 0, $3, $3, $3 FROM unnest($2::text[]) AS call_id
         ORDER BY call_id
         ON CONFLICT (call_id) DO UPDATE SET removed_at = coalesce(ch.removed_at, excluded.removed_at)
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM upserted) AS upserted, (SELECT count(*) FROM removed) AS removed`,
      [JSON.stringify(upserts.map(channelRow)), removals, now],
    );
    if (removals.length > 0) await this.prune('channels', 'removed_at', now - CHANNEL_TOMBSTONE_MS);
  }

  async upsertChannel(rec: ChannelRecord): Promise<void> {
    await this.writeChannels({ upserts: [rec], removals: [] });
  }

  async removeChannel(callId: string): Promise<void> {
    await this.writeChannels({ upserts: [], removals: [callId] });
  }

  async getChannel(callId: string): Promise<ChannelRecord | undefined> {
    const row = await this.row<ChannelRow>('SELECT * FROM channels WHERE call_id = $1 AND removed_at IS NULL', [
      callId,
    ]);
    return row && toChannel(row);
  }

  async listChannels(accountIds: string[], filter: ChannelFilter = {}): Promise<ChannelRecord[]> {
    if (accountIds.length === 0) return [];
    const rows = await this.rows<ChannelRow>(
      `SELECT * FROM channels WHERE removed_at IS NULL AND account_id = ANY($1::text[])
         AND ($2::text IS NULL OR owner_id = $2) AND ($3::text IS NULL OR authorizing_id = $3)
       ORDER BY created_at, call_id`,
      [accountIds, filter.ownerId ?? null, filter.authorizingId ?? null],
    );
    return rows.map(toChannel);
  }

  async listTreeChannels(accountId: string): Promise<ChannelRecord[]> {
    const rows = await this.rows<ChannelRow>(
      `SELECT c.* FROM channels c JOIN account_tree t ON t.account_id = c.account_id
       WHERE t.ancestor_id = $1 AND c.removed_at IS NULL
       ORDER BY c.created_at, c.call_id`,
      [accountId],
    );
    return rows.map(toChannel);
  }

  async listNodeChannels(node: string): Promise<ChannelRecord[]> {
    const rows = await this.rows<ChannelRow>(
      'SELECT * FROM channels WHERE removed_at IS NULL AND node = $1 ORDER BY created_at, call_id',
      [node],
    );
    return rows.map(toChannel);
  }

  async setNodeDrain(node: string, drain: NodeDrain | undefined): Promise<void> {
    if (!drain) {
      await this.rows('DELETE FROM node_drains WHERE node = $1', [node]);
      return;
    }
    await this.rows(
      'INSERT INTO node_drains (node, since, drained_by) VALUES ($1, $2, $3) ON CONFLICT (node) DO NOTHING',
      [node, drain.since, drain.by],
    );
  }

  async nodeDrain(node: string): Promise<NodeDrain | undefined> {
    const [row] = await this.rows<{ since: string | number; drained_by: string }>(
      'SELECT since, drained_by FROM node_drains WHERE node = $1',
      [node],
    );
    return row && { since: Number(row.since), by: row.drained_by };
  }

  async nodeConnected(node: string, at: number): Promise<void> {
    await this.rows(
      `INSERT INTO node_liveness (node, connected_at) VALUES ($1, $2)
       ON CONFLICT (node) DO UPDATE SET connected_at = GREATEST(node_liveness.connected_at, excluded.connected_at),
         claimed_by = NULL, claimed_until = NULL`,
      [node, at],
    );
  }

  async claimLostNodes(lostBefore: number, by: string, until: number, now: number): Promise<NodeSeen[]> {
    // Row locks serialise two claimers; the second re-reads the claim the first wrote and skips the row.
    const rows = await this.rows<{ node: string; connected_at: string | number }>(
      `UPDATE node_liveness SET claimed_by = $2, claimed_until = $3
       WHERE connected_at < $1 AND (claimed_until IS NULL OR claimed_until < $4 OR claimed_by = $2)
       RETURNING node, connected_at`,
      [lostBefore, by, until, now],
    );
    return rows
      .map((r) => ({ node: r.node, connectedAt: Number(r.connected_at) }))
      .sort((x, y) => x.connectedAt - y.connectedAt || x.node.localeCompare(y.node));
  }

  async forgetNode(node: string, connectedAt: number): Promise<boolean> {
    const rows = await this.rows<{ node: string }>(
      'DELETE FROM node_liveness WHERE node = $1 AND connected_at <= $2 RETURNING node',
      [node, connectedAt],
    );
    return rows.length > 0;
  }

  async claimTransferPair(pair: string, by: string, until: number, now: number, at: number): Promise<boolean> {
    // Lapsed claims go first, so a claim left by a transferor that never started its transfer is taken over below.
    await this.rows('DELETE FROM transfer_claims WHERE claimed_until < $1', [now]);
    // The row lock serialises two claimers: the second sees the first's claim and does not update it.
    const rows = await this.rows<{ pair: string }>(
      `INSERT INTO transfer_claims (pair, claimed_by, claimed_until, claimed_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (pair) DO UPDATE SET claimed_until = excluded.claimed_until, claimed_at = excluded.claimed_at
         WHERE transfer_claims.claimed_by = excluded.claimed_by
       RETURNING pair`,
      [pair, by, until, at],
    );
    return rows.length > 0;
  }

  async transferPairClaim(pair: string): Promise<TransferPairClaim | undefined> {
    const [row] = await this.rows<ClaimRow>(
      'SELECT pair, claimed_by, claimed_until, claimed_at FROM transfer_claims WHERE pair = $1',
      [pair],
    );
    return row && toTransferPairClaim(row);
  }

  async releaseTransferPair(claim: TransferPairClaim): Promise<boolean> {
    const rows = await this.rows<{ pair: string }>(
      'DELETE FROM transfer_claims WHERE pair = $1 AND claimed_by = $2 AND claimed_until = $3 RETURNING pair',
      [claim.pair, claim.by, claim.until],
    );
    return rows.length > 0;
  }

  async ping(): Promise<void> {
    await this.rows('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * Opens the PostgreSQL store at `url` (postgres://user:password@host:port/database; libpq's query parameters such as
 * sslmode, and `options=-c search_path=...` for a schema of its own), applying the migrations it lacks. A server that
 * cannot be reached is a StoreUnavailableError naming the URL without its password.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const store = new PostgresStore(url, options);
  try {
    await migratePostgres(store.pool);
  } catch (err) {
    await store.close().catch(() => undefined);
    if (isServerGone(err)) {
      throw new StoreUnavailableError(
        `cannot reach the PostgreSQL store at ${redactDatabaseUrl(url)}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    throw err;
  }
  return store;
}
