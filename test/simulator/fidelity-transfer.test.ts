// Fidelity: replay every captured transfer outcome (steps 10-18) and compare with the real FreeSWITCH.

import test from 'ava';
import { switchUnderTest } from '../support/switch.ts';
import { capturesAvailable } from './captures.ts';
import { replayStep } from './replay.ts';

const run = capturesAvailable() ? test : test.skip;

const STEPS = [
  '10-attended-completed',
  '11-partial',
  '12-takeback-ringing',
  '13-takeback-consult',
  '14-target-hangs-up-consult',
  '15-busy-and-no-answer',
  '16-transferee-hangs-up-ringing',
  '17-transferee-hangs-up-consult',
  '18-loopback-far-end-hangup',
];

for (const step of STEPS) {
  run(`${step} matches the capture`, async (t) => {
    const sut = await switchUnderTest({ heartbeatMs: 0 });
    try {
      const r = await replayStep(step, sut);
      t.log(`${step}: compared ${r.compared.join('; ')}`);
      t.deepEqual(r.diffs, [], `${step} differs from the capture:\n${r.diffs.join('\n')}`);
    } finally {
      await sut.close();
    }
  });
}
