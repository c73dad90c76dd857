// The test-support helpers that e2e tests of three-way, hold and digit privacy rely on, checked against the real
// FreeSWITCH's transcripts: conference membership from conference::maintenance events (steps 20a-20c), and which
// party's ear a digit reached (steps 22a-22f, README section 14's summary table).

import test from 'ava';
import { digitsHeardBy, digitsOn } from '../support/digits.ts';
import { HearingTracker } from '../support/hearing.ts';
import { capturesAvailable, loadCapture } from './captures.ts';

const run = capturesAvailable() ? test : test.skip;

function capture(step: string): { events: ReturnType<typeof loadCapture>['events']; uuid: (l: string) => string } {
  const cap = loadCapture(step);
  const events = cap.events.filter((e) => e.name !== 'HEARTBEAT' && e.name !== 'RE_SCHEDULE');
  return { events, uuid: (label) => [...cap.labels].find(([, l]) => l === label)?.[0] ?? label };
}

const x5 = (s: string, n: number): string => s.repeat(n);

const DIGITS: [step: string, seenOnA: string, heardByB: string, seenOnB: string, heardByA: string][] = [
  ['22a-dtmf-private-baseline', x5('*22600', 2), x5('*22600', 2), '', ''],
  // B drops what is sent to it (twice), then not, then A drops: B's `5` reaches A' only the first time.
  ['22b-dtmf-private-drop-dtmf', x5('*22600', 4), x5('*22600', 2), '55', '5'],
  // bridge_filter_dtmf counts from the next bridge on: only the first *22600 reaches B.
  ['22c-dtmf-private-bridge-filter', x5('*22600', 3), '*22600', '5', '5'],
  // The meta code `*2` is kept from everyone; what follows it arrives after the bound application.
  ['22d-dtmf-private-meta-app', '*22600' + '2600', '*22600' + '2600', '', ''],
  // The digit action swallows a whole match; `123` matches nothing and arrives after the digit timeout.
  ['22e-dtmf-private-digit-action', '*22600' + '123', '*22600' + '123', '', ''],
  ['22f-dtmf-private-sensitive', '', '', '', ''],
];

run('digits seen on a leg and digits that reached each ear, as README section 14 sums them up', (t) => {
  for (const [step, seenOnA, heardByB, seenOnB, heardByA] of DIGITS) {
    const { events, uuid } = capture(step);
    const [A, B] = [uuid('A'), uuid('B')];
    t.is(digitsOn(events, A), seenOnA, `${step}: digits on A's leg`);
    t.is(digitsHeardBy(events, B), heardByB, `${step}: digits that reached B's phone`);
    t.is(digitsOn(events, B), seenOnB, `${step}: digits on B's leg`);
    t.is(digitsHeardBy(events, A), heardByA, `${step}: digits that reached A's phone`);
  }
});

run('conference membership from conference::maintenance events (20a-20c)', (t) => {
  const at = (events: ReturnType<typeof capture>['events'], n: number): HearingTracker =>
    new HearingTracker().feedAll(events.slice(0, n));
  const check = (step: string, rows: [n: number, members: string[]][]): void => {
    const { events, uuid } = capture(step);
    const name = `3way-${uuid('A')}`;
    for (const [n, members] of rows) {
      t.deepEqual(at(events, n).members(name), members.map(uuid).sort(), `${step}: members after #${n}`);
      for (const m of members) t.is(at(events, n).conferenceOf(uuid(m)), name, `${step}: ${m} a member at #${n}`);
    }
  };
  check('20a-three-way-conference', [
    [146, []],
    [157, ['B']],
    [166, ['B', 'C']],
    [173, ['A', 'B', 'C']],
  ]);
  // A hangs up: B and C stay, with no event of their own; uuid_bridge B C takes both out.
  check('20b-three-way-transferor-leaves', [
    [185, ['B', 'C']],
    [200, ['B']],
    [207, []],
  ]);
  check('20c-three-way-target-dropped', [
    [186, ['A', 'B']],
    [208, []],
  ]);
});
