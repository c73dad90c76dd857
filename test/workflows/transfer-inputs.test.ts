// How the transfer workflow's world reaches the machine (workflows/transfer-machine.ts): leg events and originate
// results as inputs, the switch's legs as `Seen`, the no-answer deadline as a look at the ringing leg, and the
// deadlines themselves (workflows/deadlines.ts).
import test from 'ava';
import { Deadlines } from '../../workflows/deadlines.ts';
import {
  initialState,
  originateInput,
  partyOf,
  seenLegs,
  step,
  toInput,
  type Legs,
  type MachineState,
} from '../../workflows/transfer-machine.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';

const legs: Legs = { transferor: 'A', transferee: 'B', target: 'T', recall: '' };
const event = (name: ChannelEvent['name'], uuid: string, more: Partial<ChannelEvent> = {}): ChannelEvent => ({
  name,
  uuid,
  coreUuid: 'core',
  seq: 1,
  at: 1,
  node: 'fs1',
  ...more,
});

test('leg events become inputs by party; strangers and unknown events are nothing', (t) => {
  t.deepEqual(toInput(event('CHANNEL_ANSWER', 'T'), legs), { type: 'target_answered' });
  t.is(toInput(event('CHANNEL_ANSWER', 'A'), legs), undefined);
  t.deepEqual(toInput(event('SNAPSHOT', 'T', { answerState: 'answered' }), legs), { type: 'target_answered' });
  t.is(toInput(event('SNAPSHOT', 'T', { answerState: 'ringing' }), legs), undefined);
  t.deepEqual(toInput(event('CHANNEL_HANGUP_COMPLETE', 'A', { hangupCause: 'USER_BUSY' }), legs), {
    type: 'hangup',
    party: 'transferor',
    cause: 'USER_BUSY',
  });
  t.deepEqual(toInput(event('CHANNEL_BRIDGE', 'B', { bridgeA: 'B', bridgeB: 'T' }), legs), {
    type: 'bridged',
    a: 'transferee',
    b: 'target',
  });
  t.is(toInput(event('CHANNEL_BRIDGE', 'B', { bridgeA: 'B', bridgeB: 'X' }), legs), undefined);
  t.is(toInput(event('CHANNEL_ANSWER', 'X'), legs), undefined);
  t.is(toInput(event('DTMF', 'A', { digit: '1' }), legs), undefined);
  t.is(partyOf(legs, ''), 'recall', 'an empty UUID names the recall leg not dialled yet');
  t.is(toInput(event('CHANNEL_ANSWER', 'R'), { ...legs, recall: 'R' })?.type, 'recall_answered');
});

test("a target's hangup before its answer is the machine's target_failed, whatever toInput called it", (t) => {
  const ringing = initialState('ringing', false);
  const hangup = toInput(event('CHANNEL_HANGUP_COMPLETE', 'T', { hangupCause: 'USER_BUSY' }), legs)!;
  t.deepEqual(step(ringing, hangup), step(ringing, { type: 'target_failed', cause: 'USER_BUSY' }));
  t.like(step(ringing, hangup).state, { outcome: undefined, phase: 'connecting', connecting: { goal: 'reconnect' } });
});

test('originate results: the target job, the current recall job, nothing else', (t) => {
  const jobs = { target: 'job-t', recall: 'job-r' };
  t.deepEqual(originateInput({ jobUuid: 'job-t', uuid: 'T' }, jobs), { type: 'target_answered' });
  t.deepEqual(originateInput({ jobUuid: 'job-t', cause: 'USER_BUSY' }, jobs), {
    type: 'target_failed',
    cause: 'USER_BUSY',
  });
  t.deepEqual(originateInput({ jobUuid: 'job-t' }, jobs), { type: 'target_failed', cause: 'UNKNOWN' });
  t.deepEqual(originateInput({ jobUuid: 'job-r', uuid: 'R' }, jobs), { type: 'recall_answered' });
  t.deepEqual(originateInput({ jobUuid: 'job-r' }, jobs), { type: 'recall_failed', cause: 'UNKNOWN' });
  t.is(originateInput({ jobUuid: 'job-old' }, jobs), undefined);
  t.is(originateInput({ jobUuid: '' }, { target: 'job-t', recall: '' }), undefined, 'no recall job yet');
});

test('the switch seen: a bridge counts only when both legs name each other; a stranger is "other"', (t) => {
  const seen = seenLegs(
    legs,
    ['transferor', 'transferee', 'target'],
    [
      { exists: true, answered: true, bridgeUuid: 'T' },
      { exists: true, answered: true, bridgeUuid: 'Z' },
      { exists: true, answered: true, bridgeUuid: 'A' },
    ],
  );
  t.deepEqual(seen, {
    transferor: { exists: true, answered: true, bridgedTo: 'target' },
    transferee: { exists: true, answered: true, bridgedTo: 'other' },
    target: { exists: true, answered: true, bridgedTo: 'transferor' },
  });
  const oneSided = seenLegs(legs, ['transferor', 'target'], [{ exists: true, bridgeUuid: 'T' }, { exists: false }]);
  t.is(oneSided.transferor?.bridgedTo, undefined);
  t.false(oneSided.target!.answered);
});

test('the no-answer deadline asks for a look at the ringing leg, in every phase, and changes nothing else', (t) => {
  const phases: MachineState[] = [
    initialState('ringing', false),
    initialState('partial', true),
    {
      ...initialState('partial', false),
      phase: 'recalling',
      recall: { attempt: 1, answered: false, targetCause: 'X' },
    },
    { ...initialState('ringing', false), phase: 'consulting', targetAnswered: true },
  ];
  for (const s of phases) {
    const { state, actions } = step(s, { type: 'no_answer_deadline' });
    t.deepEqual(state, s);
    t.deepEqual(actions, [{ do: 'check_answered', party: s.phase === 'recalling' ? 'recall' : 'target' }]);
  }
});

test('deadlines: the earliest first; when several have passed, bridge, recall, then no-answer; each once', (t) => {
  const d = new Deadlines();
  t.is(d.next(), undefined);
  d.set('noAnswer', 300);
  d.set('bridge', 200);
  t.deepEqual(d.next(), { at: 200, name: 'bridge' });
  d.set('recall', 200);
  t.deepEqual(d.next(), { at: 200, name: 'bridge' }, 'two at once: the bridge names the timer');
  t.deepEqual(d.due(150), []);
  t.deepEqual(
    d.due(300).map((i) => i.type),
    ['bridge_deadline', 'recall_due', 'no_answer_deadline'],
  );
  t.deepEqual(d.due(1000), [], 'a passed deadline fires once');
  d.set('noAnswer', 500);
  d.clear('noAnswer');
  t.is(d.next(), undefined);
});
