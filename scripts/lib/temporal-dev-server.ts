// Starts the real Temporal dev server (the `temporal` CLI) with a SQLite file, and stops it. Used by `npm start`
// and by the test runner; nothing here downloads anything.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from '../../config/index.ts';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.ts';
import type { TemporalConnectionOptions } from '../../temporal/connection.ts';
import { freePort } from '../../temporal/runtime.ts';

export { freePort };

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** The server's own Prometheus metrics (`http://127.0.0.1:<metricsPort>/metrics`), when `metricsPort` was given. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

export function findTemporalCli(explicit?: string): string {
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} does not exist`);
    return explicit;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  const local = path.join(repoRoot, '.tools', 'temporal', 'temporal');
  if (fs.existsSync(local)) return local;
  throw new Error('no temporal CLI found: run `npm run setup` (it installs one into .tools/), or set TEMPORAL_CLI');
}

/** Whether something on this machine already listens on the port (127.0.0.1). */
function listening(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A port the dev server was asked to take is another process's. */
export class DevServerPortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use (another Temporal dev server?)`);
    this.name = 'DevServerPortInUseError';
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`temporal dev server did not listen on ${port} within ${timeoutMs} ms`);
}

export interface DevServerOptions {
  cli?: string;
  port?: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
  /**
   * Serve the server's own Prometheus metrics on this port (its requests and persistence operations by kind: the
   * benchmark counts them per call). Undefined: the CLI picks a port of its own, which nothing reads.
   */
  metricsPort?: number;
  /** SQLite file; undefined keeps state in memory. */
  dbFile?: string;
  /**
   * Precise sub-second timers and lifted queue read caps (bench/RESULTS.md, "Reading"). Off by default: `npm test` and
   * `npm start` run Temporal's defaults, as a production cluster would; the benchmark turns it on.
   */
  fastTimers?: boolean;
  logFile?: string;
  /** false: a server without Handoff's search attributes (tests of the start-up check and of temporal-setup). */
  searchAttributes?: boolean;
  /** A namespace to create besides `default`. */
  namespace?: string;
  /** The Web UI decodes payloads through this codec server (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
  /**
   * More dynamic configuration, key → value as the CLI takes it (`frontend.namespaceRPS: 20`, a duration in quotes):
   * a server with low rate limits answers RESOURCE_EXHAUSTED, as a busy cluster does (the call-storm test; the load
   * benchmark's storms).
   */
  dynamicConfig?: Record<string, string | number>;
}

/**
 * The timer shift of a dev server with `fastTimers` (history.timerProcessorMaxTimeShift): the engine the benchmarks
 * run against it is told so (TEMPORAL_TIMER_SHIFT_MS), as an operator tells it the cluster's.
 */
export const FAST_TIMER_SHIFT_MS = 100;

/** The dev server's command line (the CLI's arguments), for a given port. */
export function devServerArgs(opts: DevServerOptions & { port: number }): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));
  else args.push('--headless');
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push(
      '--db-filename',
      opts.dbFile,
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=OFF',
    );
  }
  if (opts.searchAttributes !== false) {
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  }
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  if (opts.codecEndpoint && opts.uiPort) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  args.push(
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
  );
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${value}`);
  }
  if (opts.fastTimers) {
    // A timer shorter than this shift (default 1 s) fires about 1 s after it starts: the inter-digit timeout (800 ms)
    // would last ~1 s. A small shift needs more timer-queue reads, hence the higher read rates.
    args.push(
      '--dynamic-config-value',
      `history.timerProcessorMaxTimeShift="${FAST_TIMER_SHIFT_MS}ms"`,
      '--dynamic-config-value',
      'history.timerProcessorMaxPollRPS=200',
      '--dynamic-config-value',
      'history.transferProcessorMaxPollRPS=200',
    );
  }
  return args;
}

/** The environment the dev server runs with (no version check: nothing may download at run time). */
export const devServerEnv = (): NodeJS.ProcessEnv => ({ ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' });

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cli = findTemporalCli(opts.cli);
  const port = opts.port || (await freePort());
  // Whatever else listens there would answer for the server this starts (which then fails to bind), and the caller
  // would go on with a stranger's server.
  for (const taken of [port, opts.uiPort]) {
    if (taken && (await listening(taken))) throw new DevServerPortInUseError(taken);
  }
  const args = devServerArgs({ ...opts, port });
  const log = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, {
    env: devServerEnv(),
    stdio: ['ignore', log, log],
    detached: false,
  });
  try {
    await waitForPort(port, child, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    metricsUrl: opts.metricsPort ? `http://127.0.0.1:${opts.metricsPort}/metrics` : undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/**
 * Waits until the frontend answers gRPC (an open port is not enough: the server listens before it serves). `target`
 * is an address (a dev server) or the full connection options (temporal/connection.ts) of a configured cluster.
 */
export async function waitForTemporal(
  target: string | TemporalConnectionOptions,
  namespace = 'default',
  timeoutMs = 60_000,
): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const options = typeof target === 'string' ? { address: target } : target;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ ...options, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Temporal at ${options.address} is not serving namespace ${namespace}: ${String(lastError)}`);
}
