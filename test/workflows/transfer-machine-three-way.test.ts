// The transfer machine's three-way and swap (workflows/transfer-machine.ts): the phases `joining`, `three_way` and
// `swapped`, step by step, with the exact actions each input asks for.
import test from 'ava';
import {
  HANG_UP_ON_PARTIAL_FAILURE,
  MAX_BRIDGE_ATTEMPTS,
  initialState,
  resume,
  seenLegs,
  step,
  type Action,
  type Input,
  type Party,
  type Phase,
} from '../../workflows/transfer-machine.ts';
import { bridge, bridged, consulting, drive, hangup, kill, restore, run } from '../support/machine.ts';

const takeback: Input = { type: 'takeback', by: 'takeback' };
const threeWay: Input = { type: 'three_way', by: 'code' };
const swap: Input = { type: 'swap', by: 'code' };
const conferenced: Input = { type: 'conferenced' };
const notConferenced: Input = { type: 'conference_not_confirmed' };

const outOfConference = (a: Party, b: Party): Action => ({ do: 'bridge', a, b, fromConference: true });
const join = (alone: Party, attempt = 1): Action => ({ do: 'conference', alone, attempt });
const music = (party: Party): Action => ({ do: 'music', party });

const inThreeWay = () => run(consulting(), [threeWay, conferenced]);
const swappedState = () => run(consulting(), [swap, bridged('transferor', 'transferee')]);

test('three-way from the consultation: the transferee goes in first, then the transferor with the target', (t) => {
  drive(t, consulting(), [
    [threeWay, 'joining', [join('transferee')]],
    [threeWay, 'joining', []],
    [swap, 'joining', []],
    [conferenced, 'three_way', []],
    [threeWay, 'three_way', []],
    [swap, 'three_way', []],
  ]);
});

test('three-way, the transferor hangs up: transferee and target are bridged out of the conference', (t) => {
  const end = drive(t, inThreeWay(), [
    [hangup('transferor'), 'connecting', [outOfConference('transferee', 'target')]],
    [bridged('target', 'transferee'), 'restoring', [restore('transferee', 'target')]],
  ]);
  t.is(end.outcome, 'completed');
});

test('three-way, the transferor drops the target (takeback code): transferor and transferee talk again', (t) => {
  const end = drive(t, inThreeWay(), [
    [takeback, 'connecting', [kill('target', 'NORMAL_CLEARING'), outOfConference('transferor', 'transferee')]],
    [hangup('target'), 'connecting', []],
    [bridged('transferor', 'transferee'), 'restoring', [restore('transferor', 'transferee')]],
  ]);
  t.is(end.outcome, 'taken_back');
});

test('three-way, the target hangs up: transferor and transferee talk again', (t) => {
  const end = drive(t, inThreeWay(), [
    [hangup('target', 'NORMAL_CLEARING'), 'connecting', [outOfConference('transferor', 'transferee')]],
    [bridged('transferor', 'transferee'), 'restoring', [restore('transferor', 'transferee')]],
  ]);
  t.is(end.outcome, 'target_hung_up');
});

test('three-way, the transferee leaves: transferor and target keep talking', (t) => {
  const end = drive(t, inThreeWay(), [
    [hangup('transferee'), 'connecting', [outOfConference('transferor', 'target')]],
    [bridged('transferor', 'target'), 'restoring', [restore('transferor', 'target')]],
  ]);
  t.is(end.outcome, 'transferee_left');
});

test('a bridge out of the conference is retried as one (nothing to stop first)', (t) => {
  drive(t, inThreeWay(), [
    [hangup('transferor'), 'connecting', [outOfConference('transferee', 'target')]],
    [{ type: 'bridge_not_confirmed' }, 'connecting', [outOfConference('transferee', 'target')]],
  ]);
});

test('a leg that leaves while the join is under way ends the three-way as it would once joined', (t) => {
  drive(t, run(consulting(), [threeWay]), [
    [hangup('transferee'), 'connecting', [outOfConference('transferor', 'target')]],
    [conferenced, 'connecting', []],
  ]);
  drive(t, run(consulting(), [threeWay]), [
    [takeback, 'connecting', [kill('target', 'NORMAL_CLEARING'), outOfConference('transferor', 'transferee')]],
  ]);
});

test('a join that is never confirmed is tried again, then releases everyone rather than leave them apart', (t) => {
  const steps: [Input, Phase, Action[]][] = [[threeWay, 'joining', [join('transferee', 1)]]];
  for (let attempt = 2; attempt <= MAX_BRIDGE_ATTEMPTS; attempt++) {
    steps.push([notConferenced, 'joining', [join('transferee', attempt)]]);
  }
  steps.push([
    notConferenced,
    'ended',
    ['transferor', 'transferee', 'target'].map((p) => kill(p as Party, 'NORMAL_TEMPORARY_FAILURE')),
  ]);
  const end = drive(t, consulting(), steps);
  t.is(end.outcome, 'failed');
  t.is(end.reason, 'CONFERENCE_FAILED');
});

test('swap: the transferor talks to the transferee, the target gets music; swapping again swaps back', (t) => {
  drive(t, consulting(), [
    [swap, 'connecting', [bridge('transferor', 'transferee')]],
    [bridged('transferee', 'transferor'), 'swapped', [music('target')]],
    [swap, 'connecting', [bridge('transferor', 'target')]],
    [bridged('transferor', 'target'), 'consulting', [music('transferee')]],
  ]);
});

test('swapped: the takeback keeps the bridge there is and drops the target', (t) => {
  const end = drive(t, swappedState(), [
    [takeback, 'restoring', [kill('target', 'NORMAL_CLEARING'), restore('transferor', 'transferee')]],
  ]);
  t.is(end.outcome, 'taken_back');
});

test('swapped: the transferor hangs up and the transfer completes from this side too', (t) => {
  const end = drive(t, swappedState(), [
    [hangup('transferor'), 'connecting', [bridge('transferee', 'target')]],
    [bridged('transferee', 'target'), 'restoring', [restore('transferee', 'target')]],
  ]);
  t.is(end.outcome, 'completed');
});

test('swapped: the target hangs up (transferor and transferee stay), or the transferee does', (t) => {
  t.is(
    drive(t, swappedState(), [[hangup('target'), 'restoring', [restore('transferor', 'transferee')]]]).outcome,
    'target_hung_up',
  );
  const end = drive(t, swappedState(), [
    [hangup('transferee'), 'connecting', [bridge('transferor', 'target')]],
    [bridged('transferor', 'target'), 'restoring', [restore('transferor', 'target')]],
  ]);
  t.is(end.outcome, 'transferee_left');
});

test('three-way from the swapped consultation: the target goes in first', (t) => {
  drive(t, swappedState(), [
    [threeWay, 'joining', [join('target')]],
    [notConferenced, 'joining', [join('target', 2)]],
    [conferenced, 'three_way', []],
  ]);
});

test('a swap under way: the party being turned to leaves, or the one left aside does', (t) => {
  const turning = () => run(consulting(), [swap]);
  drive(t, turning(), [[hangup('transferee'), 'connecting', [bridge('transferor', 'target')]]]);
  const end = drive(t, turning(), [
    [hangup('target'), 'connecting', []],
    [bridged('transferor', 'transferee'), 'restoring', [restore('transferor', 'transferee')]],
  ]);
  t.is(end.outcome, 'target_hung_up');
  // The takeback while turning to the transferee: that bridge is the takeback's own.
  const back = drive(t, turning(), [
    [takeback, 'connecting', [kill('target', 'NORMAL_CLEARING')]],
    [bridged('transferor', 'transferee'), 'restoring', [restore('transferor', 'transferee')]],
  ]);
  t.is(back.outcome, 'taken_back');
  // and while turning back to the target: the target goes, the transferor is bridged to the transferee.
  drive(t, run(swappedState(), [swap]), [
    [takeback, 'connecting', [kill('target', 'NORMAL_CLEARING'), bridge('transferor', 'transferee')]],
  ]);
  drive(t, turning(), [[hangup('transferor'), 'connecting', [bridge('transferee', 'target')]]]);
});

test('three-way and swap do nothing before the target answers', (t) => {
  drive(t, initialState('ringing', false), [
    [threeWay, 'ringing', []],
    [swap, 'ringing', []],
  ]);
});

const member = { exists: true, answered: true, inConference: true };
const gone = { exists: false, answered: false };
const policy = HANG_UP_ON_PARTIAL_FAILURE;

test('resume from a three-way (the transfer ended by hand): all three in the conference stay there, nothing sent', (t) => {
  const r = resume({ transferor: member, transferee: member, target: member }, false, policy);
  t.is(r.state.phase, 'three_way');
  t.deepEqual(r.actions, []);
  // And its endings then work as in any three-way.
  const after = step(r.state, hangup('transferor'));
  t.deepEqual(after.actions, [outOfConference('transferee', 'target')]);
});

test('resume from a three-way that someone left meanwhile: the two who stay are bridged out of the conference', (t) => {
  const noTransferor = resume({ transferor: gone, transferee: member, target: member }, false, policy);
  t.is(noTransferor.state.phase, 'connecting');
  t.deepEqual(noTransferor.actions, [outOfConference('transferee', 'target')]);
  const noTarget = resume({ transferor: member, transferee: member, target: gone }, false, policy);
  t.deepEqual(noTarget.actions, [outOfConference('transferor', 'transferee')]);
  const noTransferee = resume({ transferor: member, transferee: gone, target: member }, false, policy);
  t.deepEqual(noTransferee.actions, [outOfConference('transferor', 'target')]);
  // The join cut short: the transferee alone in the conference, the transferor still with the target.
  const cut = resume(
    { transferor: { exists: true, answered: true }, transferee: member, target: { exists: true, answered: true } },
    false,
    policy,
  );
  t.deepEqual(cut.actions, [kill('target', 'NORMAL_CLEARING'), outOfConference('transferor', 'transferee')]);
});

test("the switch view: a conference member is in the conference and in no bridge, whatever an earlier bridge's variable says", (t) => {
  const legs = { transferor: 'a', transferee: 'b', target: 'c', recall: '' };
  const seen = seenLegs(
    legs,
    ['transferor', 'transferee', 'target'],
    [
      { exists: true, answered: true, conference: 'conf' },
      { exists: true, answered: true, conference: 'conf' },
      { exists: true, answered: true, bridgeUuid: 'a' },
    ],
  );
  t.deepEqual(seen.transferor, { exists: true, answered: true, bridgedTo: undefined, inConference: true });
  t.deepEqual(seen.target, { exists: true, answered: true, bridgedTo: undefined });
});
