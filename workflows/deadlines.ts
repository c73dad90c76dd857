// A transfer's deadlines: the ringing leg's no-answer deadline, a bridge's confirmation deadline, the pause before the
// next recall attempt. The transfer workflow (transfer.ts) waits for the earliest; once passed, each is the machine's
// input. Workflow time in ms; no timer is started here.
import type { Input } from './transfer-machine.ts';

export type DeadlineName = 'bridge' | 'recall' | 'noAnswer';

/** The input each deadline is, in the order they are given to the machine when several have passed. */
const INPUTS: readonly [DeadlineName, Input][] = [
  ['bridge', { type: 'bridge_deadline' }],
  ['recall', { type: 'recall_due' }],
  ['noAnswer', { type: 'no_answer_deadline' }],
];

export class Deadlines {
  private readonly at: Partial<Record<DeadlineName, number>> = {};

  set(name: DeadlineName, at: number): void {
    this.at[name] = at;
  }

  clear(name: DeadlineName): void {
    delete this.at[name];
  }

  /** The earliest deadline, and which it is (a bridge's first, then the recall's, when two fall together). */
  next(): { at: number; name: DeadlineName } | undefined {
    const times = [this.at.noAnswer, this.at.bridge, this.at.recall].filter((d): d is number => d !== undefined);
    if (!times.length) return undefined;
    const at = Math.min(...times);
    const name = at === this.at.bridge ? 'bridge' : at === this.at.recall ? 'recall' : 'noAnswer';
    return { at, name };
  }

  /** The deadlines passed at `now`, each cleared and turned into its input. */
  due(now: number): Input[] {
    const inputs: Input[] = [];
    for (const [name, input] of INPUTS) {
      const at = this.at[name];
      if (at === undefined || at > now) continue;
      delete this.at[name];
      inputs.push({ ...input });
    }
    return inputs;
  }
}
