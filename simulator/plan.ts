// A plan is what several channels do "at the same time": per phase, one ordered list of steps per channel.
// Running it keeps each channel's own order and lets the seed decide how channels interleave (a real switch
// runs each channel in its own thread, so only the per-channel order is fixed; captures README section 3).
// A later phase starts only when the earlier one is done: that is how a cause precedes its effects.

import type { Rng } from './random.ts';

export type Step = () => void;

export class Plan {
  private phases: Map<unknown, Step[]>[] = [];

  /** The step list of `key` (usually a channel) in `phase`. */
  list(phase: number, key: unknown): Step[] {
    while (this.phases.length <= phase) this.phases.push(new Map());
    const m = this.phases[phase]!;
    let l = m.get(key);
    if (!l) {
      l = [];
      m.set(key, l);
    }
    return l;
  }

  add(phase: number, key: unknown, ...steps: Step[]): void {
    this.list(phase, key).push(...steps);
  }

  run(rng: Rng): void {
    for (let i = 0; i < this.phases.length; i++) {
      const lists = [...this.phases[i]!.values()];
      for (const step of rng.interleave(lists)) step();
    }
  }
}
