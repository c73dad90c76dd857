// Timers of the simulated switch. Everything the switch does later goes through here so close() can cancel it.

import type { Rng } from './random.ts';

export interface Timer {
  cancel(): void;
  readonly done: boolean;
}

export class Scheduler {
  private timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly rng: Rng) {}

  /** Run fn after about `ms` milliseconds; `jitter` (0..1) spreads the delay by that fraction, from the seed. */
  after(ms: number, fn: () => void, jitter = 0.2): Timer {
    const delay = Math.max(0, Math.round(ms * (1 - jitter / 2 + this.rng.next() * jitter)));
    let done = false;
    const t = setTimeout(() => {
      this.timers.delete(t);
      done = true;
      if (!this.closed) fn();
    }, delay);
    this.timers.add(t);
    return {
      cancel: () => {
        clearTimeout(t);
        this.timers.delete(t);
        done = true;
      },
      get done() {
        return done;
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
