// The fidelity test of a list of capture steps, one ava test each (replay.ts does the replay and the comparison).

import test from 'ava';
import { switchUnderTest } from '../support/switch.ts';
import { capturesAvailable } from './captures.ts';
import { replayStep } from './replay.ts';

/** One ava test per step: replay it on a fresh switch and expect no difference from the capture. */
export function fidelityTests(steps: readonly string[], sutOptions: Parameters<typeof switchUnderTest>[0] = {}): void {
  const run = capturesAvailable() ? test : test.skip;
  for (const step of steps) {
    run(`${step} matches the capture`, async (t) => {
      const sut = await switchUnderTest({ heartbeatMs: 0, ...sutOptions });
      try {
        const r = await replayStep(step, sut);
        t.log(`${step}: compared ${r.compared.join('; ')}`);
        t.deepEqual(r.diffs, [], `${step} differs from the capture:\n${r.diffs.join('\n')}`);
      } finally {
        await sut.close();
      }
    });
  }
}
