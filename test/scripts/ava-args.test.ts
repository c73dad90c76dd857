// The suite runner runs the suite serially against a real FreeSWITCH (one switch shared by every test file), and in
// parallel against the simulators.
import test from 'ava';
import { avaArguments, SERIAL_FLAGS } from '../../scripts/lib/ava-args.ts';

test('with HANDOFF_TEST_FREESWITCH, ava gets --serial and --concurrency 1 after the caller’s own arguments', (t) => {
  const args = avaArguments(['test/e2e/attended.test.ts', '--concurrency', '4'], {
    HANDOFF_TEST_FREESWITCH: 'esl://:ClueCon@10.0.0.5:8021',
  });
  t.deepEqual(args, ['test/e2e/attended.test.ts', '--concurrency', '4', ...SERIAL_FLAGS]);
  // The last --concurrency wins in ava's argument parser (yargs): ours.
  t.is(args.lastIndexOf('--concurrency'), args.length - 2);
  t.is(args.at(-1), '1');
  t.true(args.includes('--serial'));
});

test('without it the arguments are passed through unchanged (files run in parallel, each with its simulator)', (t) => {
  t.deepEqual(avaArguments(['test/e2e/attended.test.ts'], {}), ['test/e2e/attended.test.ts']);
  t.deepEqual(avaArguments([], { HANDOFF_TEST_FREESWITCH: '' }), []);
});
