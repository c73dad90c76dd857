// Fidelity: replay capture steps 01+02, 03b-03e, 04, 05, 06 and 07 and compare with the real FreeSWITCH (replay.ts).

import test from 'ava';
import { switchUnderTest } from '../support/switch.ts';
import { capturesAvailable, SWITCH_00_18 } from './captures.ts';
import { replayStep, type ReplayReport } from './replay.ts';

const run = capturesAvailable() ? test : test.skip;

function check(
  t: { log: (...a: unknown[]) => void; deepEqual: (a: unknown, b: unknown, m?: string) => void },
  r: ReplayReport,
): void {
  t.log(`${r.step}: compared ${r.compared.join('; ')}`);
  t.deepEqual(r.diffs, [], `${r.step} differs from the capture:\n${r.diffs.join('\n')}`);
}

run('01-bridge then 02-dtmf: originate pair, uuid_bridge, variables, show, DTMF passthrough', async (t) => {
  const sut = await switchUnderTest(SWITCH_00_18);
  try {
    const r1 = await replayStep('01-bridge', sut);
    check(t, r1);
    check(t, await replayStep('02-dtmf', sut, { carry: r1 }));
  } finally {
    await sut.close();
  }
});

for (const step of [
  '03b-transfer-c-parkafter',
  '03c-park-one-leg-defaults',
  '03d-transfer-bridge-then-kill',
  '03e-transfer-park-inline-defaults',
  '04-originate-failures',
  '05-misc',
  '06-json',
  '07-bridge-app',
]) {
  run(`${step} matches the capture`, async (t) => {
    const sut = await switchUnderTest(SWITCH_00_18);
    try {
      check(t, await replayStep(step, sut));
    } finally {
      await sut.close();
    }
  });
}
