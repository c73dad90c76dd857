// The machine the figures come from, and who used its CPUs while they were taken (this process, the Temporal server
// the benchmark started, everybody else), read from /proc where there is one.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  temporalCli: string;
  os: string;
  loadBefore: string;
}

export function describeMachine(temporalCli: string | undefined): Machine {
  let temporal = 'unknown (TEMPORAL_ADDRESS given)';
  if (temporalCli) {
    try {
      temporal = execFileSync(temporalCli, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch (err) {
      temporal = `unknown (${String(err)})`;
    }
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    temporalCli: temporal,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadBefore: loadAverage(),
  };
}

/** The machine as a report's Markdown table; `temporal` says which server the figures ran on. */
export function machineTable(m: Machine, temporal: string, loadAfter: string): string {
  return `| | |
|---|---|
| CPUs (nproc) | ${m.cpus} × ${m.cpuModel} |
| memory | ${m.memoryGiB} GiB |
| OS | ${m.os} |
| Node | ${m.node} |
| Temporal | ${m.temporalCli.replaceAll('\n', ' ')} — ${temporal} |
| load average before / after | ${m.loadBefore} / ${loadAfter} |`;
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * Busy CPU seconds of the whole machine (all cores), and of them the steal (time a virtual machine's CPUs were
 * ready to run but the hypervisor ran something else), from /proc/stat; undefined without /proc.
 */
function machineBusySeconds(): { busy: number; steal: number } | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    const busy = f.slice(0, 8).reduce((s, v, i) => (i === 3 || i === 4 ? s : s + v), 0);
    return { busy: busy / CLOCK_TICKS, steal: (f[7] ?? 0) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** The pids /proc lists (none without /proc). */
function pids(): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** A file of /proc/<pid>/; undefined once the process is gone. */
function procFile(pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/stat's fields after the command name: [0] state, [1] ppid, [11..14] utime stime cutime cstime. */
function statFields(pid: number): string[] | undefined {
  const stat = procFile(pid, 'stat');
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system) of a process by pid, from /proc/<pid>/stat. */
export function processSeconds(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / CLOCK_TICKS : undefined;
}

/**
 * CPU seconds of a process and every process under it, alive or ended: each live one's own time plus what its ended
 * children left it (a server's connection processes come and go). Undefined without /proc.
 */
export function processTreeSeconds(root: number): number | undefined {
  const parents = new Map<number, number>();
  for (const pid of pids()) {
    const f = statFields(pid);
    if (f) parents.set(pid, Number(f[1]));
  }
  if (!parents.has(root)) return undefined;
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 64; p = parents.get(p), hops++) {
      if (p === root) return true;
    }
    return false;
  };
  let total = 0;
  for (const pid of parents.keys()) {
    const f = inTree(pid) ? statFields(pid) : undefined;
    if (f) total += [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0) / CLOCK_TICKS;
  }
  return total;
}

/** The pids of this process's children whose command name is `comm` (a server it spawned). */
export function childPids(comm: string): number[] {
  return pids().filter((pid) => Number(statFields(pid)?.[1]) === process.pid && procFile(pid, 'comm')?.trim() === comm);
}

/** The pid of the process whose command line contains `marker` (the dev server's own SQLite file path). */
export function findPid(marker: string): number | undefined {
  return pids().find((pid) => {
    const cmd = procFile(pid, 'cmdline');
    return cmd !== undefined && cmd.includes(marker) && !cmd.includes('node');
  });
}

export interface CpuWindow {
  wallS: number;
  /** This process: the engine's workers, ingest, switch activities and the benchmark's driving of the calls. */
  selfS: number;
  /** The switch's process: the simulator and the phones (bench/switch-process.ts). */
  switchS?: number;
  temporalS?: number;
  machineS?: number;
  /** machine − self − switch − temporal: other processes on the machine, and the steal (contention). */
  othersS?: number;
  /** Of `othersS`, the hypervisor's steal: this machine's CPUs given to other virtual machines. */
  stealS?: number;
}

export function cpuMeter(temporalPid: number | undefined, switchPid?: number): () => CpuWindow {
  const t0 = Date.now();
  const self0 = process.cpuUsage();
  const temporal0 = temporalPid ? processSeconds(temporalPid) : undefined;
  const switch0 = switchPid ? processSeconds(switchPid) : undefined;
  const machine0 = machineBusySeconds();
  return () => {
    const self = process.cpuUsage(self0);
    const selfS = (self.user + self.system) / 1e6;
    const temporal1 = temporalPid ? processSeconds(temporalPid) : undefined;
    const switch1 = switchPid ? processSeconds(switchPid) : undefined;
    const machine1 = machineBusySeconds();
    const temporalS = temporal0 !== undefined && temporal1 !== undefined ? temporal1 - temporal0 : undefined;
    const switchS = switch0 !== undefined && switch1 !== undefined ? switch1 - switch0 : undefined;
    const machineS = machine0 !== undefined && machine1 !== undefined ? machine1.busy - machine0.busy : undefined;
    const stealS = machine0 !== undefined && machine1 !== undefined ? machine1.steal - machine0.steal : undefined;
    return {
      wallS: (Date.now() - t0) / 1000,
      selfS,
      switchS,
      temporalS,
      machineS,
      othersS: machineS !== undefined ? Math.max(0, machineS - selfS - (switchS ?? 0) - (temporalS ?? 0)) : undefined,
      stealS,
    };
  };
}

/** A CPU window as one line of the report: each process apart, per call (or per `unit`). */
export function cpuLine(c: CpuWindow, calls: number, unit = 'call'): string {
  const per = (v: number | undefined) => (v === undefined ? '—' : `${((v / Math.max(1, calls)) * 1000).toFixed(0)} ms`);
  const f = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(1)} s`);
  return (
    `wall ${c.wallS.toFixed(1)} s; CPU: engine process (ingest, node worker, workflow worker, the benchmark's driving) ` +
    `${f(c.selfS)} (${per(c.selfS)}/${unit}), switch process (simulator, phones) ${f(c.switchS)} ` +
    `(${per(c.switchS)}/${unit}), Temporal server ${f(c.temporalS)} (${per(c.temporalS)}/${unit}), ` +
    `other processes on the machine and the hypervisor's steal ${f(c.othersS)}; the steal alone, as the kernel ` +
    `counts it, ${f(c.stealS)} (of ${(c.wallS * os.availableParallelism()).toFixed(0)} CPU-s available)`
  );
}

/** Resident memory of a process by pid in MiB (VmRSS of /proc/<pid>/status); undefined without /proc. */
export function processRssMiB(pid: number): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(procFile(pid, 'status') ?? '');
  return m ? Number(m[1]) / 1024 : undefined;
}
