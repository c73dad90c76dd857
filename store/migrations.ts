// Numbered schema migrations, one list for both engines. Append only: a migration that has run on some database is
// never edited. Most are written in the SQL both SQLite and PostgreSQL take (BIGINT for millisecond timestamps,
// ON CONFLICT, row values, WITH RECURSIVE); where the engines differ, a migration's SQL is a function of the dialect.
import type Database from 'better-sqlite3';

export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  id: number;
  name: string;
  sql: string | ((dialect: Dialect) => string);
}

export function migrationSql(m: Migration, dialect: Dialect): string {
  return typeof m.sql === 'string' ? m.sql : m.sql(dialect);
}

/**
 * Migration 1 wrote millisecond timestamps as INTEGER: 64-bit in SQLite, 32-bit in PostgreSQL. Its SQLite text stays
 * as it ran; PostgreSQL gets BIGINT.
 */
const ms = (dialect: Dialect): string => (dialect === 'postgres' ? 'BIGINT' : 'INTEGER');

/** The table of applied migrations, the same in both engines. */
export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS migrations (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL
)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'accounts, api keys, token revocations, metaflows, media, channels',
    sql: (d) => `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent_id TEXT REFERENCES accounts(id),
        moh_media_id TEXT,
        ringback TEXT,
        created_at ${ms(d)} NOT NULL
      );
      CREATE INDEX accounts_parent ON accounts(parent_id);

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        key_hash TEXT NOT NULL UNIQUE,
        label TEXT,
        created_at ${ms(d)} NOT NULL,
        revoked_at ${ms(d)}
      );
      CREATE INDEX api_keys_account ON api_keys(account_id);

      CREATE TABLE token_revocations (
        jti TEXT PRIMARY KEY,
        expires_at ${ms(d)} NOT NULL
      );
      CREATE INDEX token_revocations_expiry ON token_revocations(expires_at);

      -- owner_id is '' for the account level, the device or user ID otherwise.
      CREATE TABLE metaflows (
        account_id TEXT NOT NULL REFERENCES accounts(id),
        level TEXT NOT NULL CHECK (level IN ('account', 'device', 'user')),
        owner_id TEXT NOT NULL,
        doc TEXT NOT NULL,
        updated_at ${ms(d)} NOT NULL,
        PRIMARY KEY (account_id, level, owner_id)
      );

      CREATE TABLE media (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL,
        stream_url TEXT NOT NULL,
        created_at ${ms(d)} NOT NULL
      );
      CREATE INDEX media_account ON media(account_id);

      -- removed_at keeps a tombstone for a while, so a late upsert from a second ingest cannot resurrect a call.
      CREATE TABLE channels (
        call_id TEXT PRIMARY KEY,
        node TEXT NOT NULL,
        account_id TEXT,
        direction TEXT,
        caller_id_name TEXT,
        caller_id_number TEXT,
        callee_id_number TEXT,
        answered INTEGER NOT NULL,
        bridged_to TEXT,
        created_at ${ms(d)} NOT NULL,
        updated_at ${ms(d)} NOT NULL,
        removed_at ${ms(d)}
      );
      CREATE INDEX channels_account ON channels(account_id) WHERE removed_at IS NULL;
      CREATE INDEX channels_node ON channels(node) WHERE removed_at IS NULL;
      CREATE INDEX channels_removed ON channels(removed_at) WHERE removed_at IS NOT NULL;
    `,
  },
  {
    id: 2,
    name: 'failed logins per client',
    // window_ends_at: the failures count within [first failure, window_ends_at); a new window starts after it.
    sql: `
      CREATE TABLE auth_failures (
        client TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        window_ends_at BIGINT NOT NULL
      );
      CREATE INDEX auth_failures_window ON auth_failures(window_ends_at);
    `,
  },
  {
    id: 3,
    name: 'account tree index: every account with each of its ancestors',
    // distance 0 is the account itself. account_name copies accounts.name so that a page of descendants in name order
    // is one range of account_tree_listing. Filled from the parent links for the accounts that exist already.
    sql: `
      CREATE TABLE account_tree (
        ancestor_id TEXT NOT NULL REFERENCES accounts(id),
        account_id TEXT NOT NULL REFERENCES accounts(id),
        distance INTEGER NOT NULL,
        account_name TEXT NOT NULL,
        PRIMARY KEY (ancestor_id, account_id)
      );
      CREATE INDEX account_tree_listing ON account_tree(ancestor_id, account_name, account_id);
      CREATE INDEX account_tree_up ON account_tree(account_id, distance, ancestor_id);
      CREATE INDEX accounts_children ON accounts(parent_id, name, id);
      INSERT INTO account_tree (ancestor_id, account_id, distance, account_name)
      WITH RECURSIVE up(account_id, ancestor_id, distance) AS (
        SELECT id, id, 0 FROM accounts
        UNION ALL
        SELECT up.account_id, a.parent_id, up.distance + 1
        FROM up JOIN accounts a ON a.id = up.ancestor_id
        WHERE a.parent_id IS NOT NULL
      )
      SELECT up.ancestor_id, up.account_id, up.distance, a.name FROM up JOIN accounts a ON a.id = up.account_id;
    `,
  },
  {
    id: 4,
    name: 'media IDs per account',
    // Keyed by (account, id): another tenant's media ID is free to use, so a refusal cannot reveal that it exists.
    sql: `
      CREATE TABLE media_per_account (
        account_id TEXT NOT NULL REFERENCES accounts(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        stream_url TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, id)
      );
      INSERT INTO media_per_account (account_id, id, name, stream_url, created_at)
        SELECT account_id, id, name, stream_url, created_at FROM media;
      DROP TABLE media;
      ALTER TABLE media_per_account RENAME TO media;
    `,
  },
  {
    id: 5,
    name: 'media listed by name',
    sql: `CREATE INDEX media_listing ON media(account_id, name, id);`,
  },
  {
    id: 6,
    name: 'channels: who they belong to, and what Kazoo shows of them',
    // From the leg's ecallmgr_* variables and headers: a user's and a device's channels are listed by owner_id and
    // authorizing_id; details is the JSON of the rest (custom channel variables, SIP From/To, loopback).
    sql: `
      ALTER TABLE channels ADD COLUMN owner_id TEXT;
      ALTER TABLE channels ADD COLUMN authorizing_id TEXT;
      ALTER TABLE channels ADD COLUMN authorizing_type TEXT;
      ALTER TABLE channels ADD COLUMN presence_id TEXT;
      ALTER TABLE channels ADD COLUMN username TEXT;
      ALTER TABLE channels ADD COLUMN destination TEXT;
      ALTER TABLE channels ADD COLUMN callee_id_name TEXT;
      ALTER TABLE channels ADD COLUMN details TEXT;
      CREATE INDEX channels_owner ON channels(account_id, owner_id) WHERE removed_at IS NULL;
      CREATE INDEX channels_authorizing ON channels(account_id, authorizing_id) WHERE removed_at IS NULL;
    `,
  },
  {
    id: 7,
    name: 'node drains',
    // A drained node takes no new transfers; shared here so that every node worker of the node (an HA pair) sees it.
    sql: `CREATE TABLE node_drains (node TEXT PRIMARY KEY, since BIGINT NOT NULL, drained_by TEXT NOT NULL);`,
  },
  {
    id: 8,
    name: 'nodes last seen connected',
    sql: `CREATE TABLE node_liveness (
      node TEXT PRIMARY KEY, connected_at BIGINT NOT NULL, claimed_by TEXT, claimed_until BIGINT
    );`,
  },
  {
    id: 9,
    name: 'transfer claims',
    // A transferor's claim on its pair of legs, from the resolve's hold until the transfer workflow's start takes over.
    sql: `CREATE TABLE transfer_claims (pair TEXT PRIMARY KEY, claimed_by TEXT NOT NULL, claimed_until BIGINT NOT NULL);
      CREATE INDEX transfer_claims_until ON transfer_claims(claimed_until);`,
  },
  {
    id: 10,
    name: 'when a transfer claim was made',
    // In Temporal's clock, so that it compares with the start of the transfer the claim was made for.
    sql: `ALTER TABLE transfer_claims ADD COLUMN claimed_at BIGINT;`,
  },
];

/** Applies the migrations this SQLite database lacks, each in its own transaction; returns the IDs applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(MIGRATIONS_TABLE);
  const isApplied = db.prepare('SELECT 1 FROM migrations WHERE id = ?');
  const record = db.prepare('INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    // Checked inside the write transaction: another process opening the same file may have just applied it.
    const applied = db
      .transaction(() => {
        if (isApplied.get(m.id)) return false;
        db.exec(migrationSql(m, 'sqlite'));
        record.run(m.id, m.name, Date.now());
        return true;
      })
      .immediate();
    if (applied) done.push(m.id);
  }
  return done;
}
