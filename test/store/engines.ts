// The store tests run against both engines: a fresh SQLite file, and a fresh schema on a real PostgreSQL server. The
// runner (scripts/test.ts) starts one server for the whole suite and passes its URL in HANDOFF_TEST_DATABASE_URL; a
// file run alone (npx ava …) starts a server of its own, once per test process.
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createSchema, startPostgresServer, type PostgresServer } from '../../scripts/lib/postgres-server.ts';
import { openPostgresStore, openStore } from '../../store/index.ts';
import type { Store, StoreOptions } from '../../store/index.ts';
import { MIGRATIONS, migrate, type Migration } from '../../store/migrations.ts';
import { migratePostgres } from '../../store/postgres-store.ts';
import { tempDbFile } from './temp-db.ts';

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

let ownServer: Promise<PostgresServer> | undefined;
test.after.always(async () => {
  if (ownServer) await (await ownServer).destroy();
});

/** The PostgreSQL server of the tests: the runner's, or one this process starts. */
export async function testDatabaseUrl(): Promise<string> {
  const given = process.env.HANDOFF_TEST_DATABASE_URL;
  if (given) return given;
  ownServer ??= startPostgresServer({ fast: true });
  return (await ownServer).url;
}

/** A schema of its own on the tests' server, dropped after the test: the URL that uses it. */
export async function tempSchemaUrl(t: ExecutionContext): Promise<string> {
  const schema = await createSchema(await testDatabaseUrl(), `t_${randomBytes(6).toString('hex')}`);
  t.teardown(() => schema.drop());
  return schema.url;
}

/** A fresh, migrated store of the engine, closed after the test. */
export async function engineStore(t: ExecutionContext, engine: Engine, options: StoreOptions = {}): Promise<Store> {
  const store =
    engine === 'sqlite' ? openStore(tempDbFile(t), options) : await openPostgresStore(await tempSchemaUrl(t), options);
  t.teardown(() => store.close());
  return store;
}

/** One test per engine, titled `<engine>: <title>`. */
export function bothEngines(title: string, fn: (t: ExecutionContext, engine: Engine) => Promise<void>): void {
  for (const engine of ENGINES) test(`${engine}: ${title}`, (t) => fn(t, engine));
}

/**
 * A database below the Store, for tests of migrations: some migrations applied, rows written by hand (`?` placeholders
 * in both engines), then the Store opened on it.
 */
export interface RawDatabase {
  migrate(migrations: readonly Migration[]): Promise<void>;
  run(sql: string, ...params: unknown[]): Promise<void>;
  all<R>(sql: string, ...params: unknown[]): Promise<R[]>;
  open(options?: StoreOptions): Promise<Store>;
}

export async function rawDatabase(t: ExecutionContext, engine: Engine): Promise<RawDatabase> {
  const stores: Store[] = [];
  t.teardown(async () => {
    for (const s of stores) await s.close();
  });
  if (engine === 'sqlite') {
    const file = tempDbFile(t);
    const db = new Database(file);
    t.teardown(() => db.close());
    return {
      migrate: async (migrations) => void migrate(db, migrations),
      run: async (sql, ...params) => void db.prepare(sql).run(...params),
      all: async <R>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as R[],
      open: async (options) => {
        const s = openStore(file, options);
        stores.push(s);
        return s;
      },
    };
  }
  const url = await tempSchemaUrl(t);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  t.teardown(() => pool.end());
  const numbered = (sql: string): string => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    migrate: async (migrations) => void (await migratePostgres(pool, migrations)),
    run: async (sql, ...params) => void (await pool.query(numbered(sql), params)),
    all: async <R>(sql: string, ...params: unknown[]) => (await pool.query(numbered(sql), params)).rows as R[],
    open: async (options) => {
      const s = await openPostgresStore(url, options);
      stores.push(s);
      return s;
    },
  };
}

export { MIGRATIONS };
