// SIGKILLs, random and aimed. A killed process is started again 1–3 s later on the same ports and files. When a role
// has several processes, one is killed only while all the others of its role are up: a second process of a role is
// there to survive the first one's death, not both at once.
import type { Rng } from '../../simulator/random.ts';
import type { Cluster } from './cluster.ts';
import type { ManagedProcess, Role } from './processes.ts';

export interface Kill {
  at: number;
  process: string;
  role: Role;
  kind: 'random' | 'aimed' | 'scheduled';
  /** Aimed: the scenario and step. */
  scenario?: number;
  step?: string;
  /** When it was ready again (ms after the kill), once known. */
  backAfterMs?: number;
}

export interface KillOptions {
  /** Pause before the restart, ms (drawn in this range). */
  restartAfterMs: [number, number];
  /** Random kills: pause between two, ms. */
  everyMs: [number, number];
  /** Roles random kills choose from. */
  roles: readonly Role[];
}

export class Killer {
  readonly kills: Kill[] = [];
  /** Aims that found no process of their role up (it was already down). */
  readonly missedAims: { scenario: number; step: string; role: string }[] = [];
  private readonly restarts = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private scheduleLeft = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly rng: Rng,
    private readonly opts: KillOptions,
  ) {}

  private between([lo, hi]: [number, number]): number {
    return this.rng.int(lo, hi);
  }

  /** Processes of `role` that may be killed now. */
  eligible(role: Role): ManagedProcess[] {
    const all = this.cluster.supervisor.byRole(role);
    if (all.length > 1 && all.some((p) => p.state !== 'up')) return [];
    return all.filter((p) => p.state === 'up');
  }

  /** Kills one process of `role` (chosen at random) and restarts it later; false if none may be killed now. */
  killRole(role: Role, kind: Kill['kind'], about: { scenario?: number; step?: string } = {}): boolean {
    const candidates = this.eligible(role);
    if (!candidates.length) return false;
    const p = candidates[this.rng.int(0, candidates.length - 1)]!;
    const kill: Kill = { at: Date.now(), process: p.name, role, kind, ...about };
    this.kills.push(kill);
    const restart = this.cluster.supervisor
      .killAndRestart(p, this.between(this.opts.restartAfterMs), `${kind}${about.step ? ` at ${about.step}` : ''}`)
      .then(() => {
        if (p.state === 'up') kill.backAfterMs = Date.now() - kill.at;
      });
    this.restarts.add(restart);
    void restart.finally(() => this.restarts.delete(restart));
    return true;
  }

  /** An aimed kill (a scenario reached its step). */
  aim(role: Role, scenario: number, step: string): void {
    if (this.stopped) return;
    if (!this.killRole(role, 'aimed', { scenario, step })) this.missedAims.push({ scenario, step, role });
  }

  /** Random kills every `everyMs` until stop(). */
  startRandom(): void {
    const tick = () => {
      if (this.stopped) return;
      const roles = this.opts.roles.filter((r) => this.eligible(r).length);
      if (roles.length) this.killRole(roles[this.rng.int(0, roles.length - 1)]!, 'random');
      this.timer = setTimeout(tick, this.between(this.opts.everyMs));
    };
    this.timer = setTimeout(tick, this.between(this.opts.everyMs));
  }

  /** One kill of each role, `gapMs` apart, starting after `gapMs` (the smoke run). */
  startScheduled(roles: readonly Role[], gapMs: number): void {
    let i = 0;
    this.scheduleLeft = roles.length;
    const tick = () => {
      if (this.stopped || i >= roles.length) return;
      // A role whose process is still coming back from the last kill is tried again a second later.
      const killed = this.killRole(roles[i]!, 'scheduled');
      if (killed) {
        i++;
        this.scheduleLeft--;
      }
      this.timer = setTimeout(tick, killed ? gapMs : 1000);
    };
    this.timer = setTimeout(tick, gapMs);
  }

  /** Scheduled kills not made yet (and restarts under way): a smoke run keeps its scenarios going until none. */
  get pending(): number {
    return this.scheduleLeft + this.restarts.size;
  }

  /** No more kills; resolves when every restart under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.restarts]);
  }
}
