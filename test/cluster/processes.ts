// Real OS processes of a Handoff cluster under test, supervised: start one and wait until it is ready, SIGKILL it,
// start it again on the same ports and files, stop them all. A process that exits by itself is a crash: it is
// recorded and started again a second later, as a service manager would. Every process writes its output to a log file
// of its own (appended across restarts, each start marked), so a finding can be read back afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** What a process is; the chaos tool kills by role. */
export type Role = 'temporal' | 'simulator' | 'workflows' | 'nodes' | 'api';

export interface ProcessSpec {
  /** Unique in the cluster, e.g. `nodes-fs1-2`. */
  name: string;
  role: Role;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** A line on stdout that says the process is ready. */
  readyLine?: RegExp;
  /** Resolves when the process is ready (e.g. Temporal answers gRPC); used after readyLine when both are given. */
  readyCheck?: () => Promise<void>;
  readyTimeoutMs?: number;
}

export type ProcessEventKind = 'start' | 'ready' | 'kill' | 'crash' | 'stop';

export interface ProcessEvent {
  at: number;
  name: string;
  role: Role;
  kind: ProcessEventKind;
  detail?: string;
}

export type ProcessState = 'idle' | 'starting' | 'up' | 'down' | 'stopped';

export class ManagedProcess {
  state: ProcessState = 'idle';
  /** Start → ready, in ms, for every start. */
  readonly readyMs: number[] = [];
  kills = 0;
  crashes = 0;
  /** When it last went down (killed or crashed). */
  downAt?: number;
  private child?: ChildProcess;
  private starting?: Promise<void>;

  constructor(
    readonly spec: ProcessSpec,
    private readonly record: (e: Omit<ProcessEvent, 'at' | 'name' | 'role'>) => void,
    private readonly onCrash: (p: ManagedProcess) => void,
  ) {}

  get name(): string {
    return this.spec.name;
  }
  get role(): Role {
    return this.spec.role;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the process and resolves once it is ready; a start already under way is joined. */
  start(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    this.starting ??= this.spawnAndWait().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async spawnAndWait(): Promise<void> {
    const { spec } = this;
    const t0 = Date.now();
    this.state = 'starting';
    fs.appendFileSync(spec.logFile, `\n===== start ${new Date(t0).toISOString()} (${spec.name}) =====\n`);
    const log = fs.createWriteStream(spec.logFile, { flags: 'a' });
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.record({ kind: 'start', detail: `pid ${child.pid}` });
    child.stderr!.pipe(log, { end: false });
    let sawLine = !spec.readyLine;
    let lineSeen: () => void = () => undefined;
    const linePromise = new Promise<void>((resolve) => (lineSeen = resolve));
    let tail = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (sawLine) return;
      tail = (tail + chunk.toString()).slice(-4096);
      if (spec.readyLine!.test(tail)) {
        sawLine = true;
        lineSeen();
      }
    });
    if (sawLine) lineSeen();
    let exited: (why: Error) => void = () => undefined;
    const exitPromise = new Promise<never>((_, reject) => (exited = reject));
    exitPromise.catch(() => undefined);
    child.once('exit', (code, signal) => {
      log.end(`\n===== exit code ${code} signal ${signal} =====\n`);
      exited(new Error(`${spec.name} exited (code ${code}, signal ${signal}) before it was ready`));
      if (this.child !== child) return;
      this.child = undefined;
      if (this.state === 'up' || this.state === 'starting') {
        // Neither killed nor stopped by us.
        this.state = 'down';
        this.downAt = Date.now();
        this.crashes++;
        this.record({ kind: 'crash', detail: `code ${code}, signal ${signal}` });
        this.onCrash(this);
      }
    });
    const timeoutMs = spec.readyTimeoutMs ?? 90_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${spec.name} not ready within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([
        (async () => {
          await linePromise;
          await spec.readyCheck?.();
        })(),
        exitPromise,
        timeout,
      ]);
    } catch (err) {
      if (this.child === child) {
        child.kill('SIGKILL');
        this.child = undefined;
        this.state = 'down';
        this.downAt = Date.now();
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (this.child !== child) throw new Error(`${spec.name} was killed while starting`);
    this.state = 'up';
    this.readyMs.push(Date.now() - t0);
    this.record({ kind: 'ready', detail: `${Date.now() - t0} ms` });
  }

  /** SIGKILL, as a machine or OOM killer would: no shutdown, no flushing. */
  kill(reason = ''): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.state = 'down';
    this.downAt = Date.now();
    this.kills++;
    child.kill('SIGKILL');
    this.record({ kind: 'kill', detail: reason });
  }

  /** SIGTERM (the roles shut down gracefully), SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    this.state = 'stopped';
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
    });
    this.record({ kind: 'stop' });
  }

  /** For a process-exit handler: no waiting. */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }
}

/** Every process of a cluster, and the journal of what happened to each. */
export class Supervisor {
  readonly processes: ManagedProcess[] = [];
  readonly journal: ProcessEvent[] = [];
  private stopping = false;
  private readonly exitHandler = () => {
    for (const p of this.processes) p.killNow();
  };

  constructor(private readonly onEvent?: (e: ProcessEvent) => void) {
    process.once('exit', this.exitHandler);
  }

  add(spec: ProcessSpec): ManagedProcess {
    if (this.processes.some((p) => p.name === spec.name)) throw new Error(`duplicate process name ${spec.name}`);
    const p = new ManagedProcess(
      spec,
      (e) => {
        const event = { at: Date.now(), name: spec.name, role: spec.role, ...e };
        this.journal.push(event);
        this.onEvent?.(event);
      },
      (crashed) => {
        if (this.stopping) return;
        setTimeout(() => {
          if (!this.stopping && crashed.state === 'down') void crashed.start().catch(() => undefined);
        }, 1000).unref();
      },
    );
    this.processes.push(p);
    return p;
  }

  byRole(role: Role): ManagedProcess[] {
    return this.processes.filter((p) => p.role === role);
  }

  /** SIGKILL now, start again after `restartAfterMs`; resolves when it is ready again (or could not start). */
  async killAndRestart(p: ManagedProcess, restartAfterMs: number, reason = ''): Promise<void> {
    p.kill(reason);
    await new Promise((r) => setTimeout(r, restartAfterMs));
    if (this.stopping) return;
    await p.start().catch((err: unknown) => {
      this.journal.push({ at: Date.now(), name: p.name, role: p.role, kind: 'crash', detail: String(err) });
    });
  }

  /** Resolves when every process is up (a restart in progress has finished). */
  async allUp(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.processes.some((p) => p.state !== 'up')) {
      if (Date.now() > until) {
        const down = this.processes.filter((p) => p.state !== 'up').map((p) => `${p.name} (${p.state})`);
        throw new Error(`not up after ${timeoutMs} ms: ${down.join(', ')}`);
      }
      for (const p of this.processes) if (p.state === 'down') void p.start().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops the roles first, then the simulators, then Temporal. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const order: Role[][] = [['api', 'nodes', 'workflows'], ['simulator'], ['temporal']];
    for (const roles of order) {
      await Promise.all(this.processes.filter((p) => roles.includes(p.role)).map((p) => p.stop()));
    }
    process.off('exit', this.exitHandler);
  }
}
