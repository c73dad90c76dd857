// The call's state as pure reducers (workflows/call-state.ts): what each leg event and a transfer's end do to a call.
import test from 'ava';
import { applyEvent, forwardsToTransfer, newCall, transferEnded, transferJoined } from '../../workflows/call-state.ts';
import type { CallSummary, ChannelEvent, TransferSummary } from '../../contracts/messages.ts';

const SELF = 'leg-a';
let seq = 0;
const event = (name: ChannelEvent['name'], more: Partial<ChannelEvent> = {}): ChannelEvent => ({
  name,
  uuid: SELF,
  coreUuid: 'core',
  seq: ++seq,
  at: 1000 + seq,
  node: 'fs1',
  ...more,
});

function play(events: ChannelEvent[], inTransfer = false, from: CallSummary = newCall(SELF, 'fs1')): CallSummary {
  return events.reduce((call, e) => applyEvent(call, e, SELF, inTransfer), from);
}

test('a leg rings, is answered, bridged, unbridged, and hangs up', (t) => {
  const phases: string[] = [];
  let call = newCall(SELF, 'fs1');
  for (const e of [
    event('CHANNEL_ANSWER'),
    event('CHANNEL_BRIDGE', { bridgeA: SELF, bridgeB: 'leg-b' }),
    event('CHANNEL_UNBRIDGE'),
    event('CHANNEL_HANGUP_COMPLETE', { hangupCause: 'USER_BUSY' }),
  ]) {
    call = applyEvent(call, e, SELF, false);
    phases.push(call.phase);
  }
  t.deepEqual(phases, ['answered', 'bridged', 'answered', 'ended']);
  t.is(call.hangupCause, 'USER_BUSY');
  t.is(call.bridgedTo, undefined);
});

test('the peer of a bridge is the other side, whichever side the leg is', (t) => {
  t.is(play([event('CHANNEL_BRIDGE', { bridgeA: SELF, bridgeB: 'leg-b' })]).bridgedTo, 'leg-b');
  t.is(play([event('CHANNEL_BRIDGE', { bridgeA: 'leg-b', bridgeB: SELF })]).bridgedTo, 'leg-b');
  t.is(play([event('CHANNEL_BRIDGE', { otherLeg: 'leg-c' })]).bridgedTo, 'leg-c');
});

test('in a transfer the phase stays in_transfer; only a hangup or GONE ends it', (t) => {
  const held: CallSummary = { ...newCall(SELF, 'fs1'), phase: 'in_transfer', answered: true };
  const after = play(
    [event('CHANNEL_UNBRIDGE'), event('CHANNEL_BRIDGE', { bridgeA: SELF, bridgeB: 'leg-t' }), event('SNAPSHOT')],
    true,
    held,
  );
  t.is(after.phase, 'in_transfer');
  const gone = play([event('GONE')], true, held);
  t.is(gone.phase, 'ended');
  t.is(gone.hangupCause, 'NORMAL_CLEARING', 'a hangup without a cause reads as a normal clearing');
});

test("a transfer joined: the leg in_transfer and bridged to no one (the hold's unbridge is no event of its call)", (t) => {
  const talking = play([event('CHANNEL_ANSWER'), event('CHANNEL_BRIDGE', { bridgeA: SELF, bridgeB: 'leg-b' })]);
  t.like(talking, { phase: 'bridged', bridgedTo: 'leg-b' });
  const joined = transferJoined(talking);
  t.like(joined, { phase: 'in_transfer', bridgedTo: undefined, answered: true });
  t.is(talking.bridgedTo, 'leg-b', 'the call it was given is unchanged');
});

test('a snapshot sets the leg as the switch lists it', (t) => {
  t.is(play([event('SNAPSHOT', { answerState: 'answered', otherLeg: 'leg-b' })]).phase, 'bridged');
  t.is(play([event('SNAPSHOT', { answerState: 'answered' })]).phase, 'answered');
  t.is(play([event('SNAPSHOT', { answerState: 'ringing' })]).phase, 'ringing');
});

test("the leg's first event says who it is; the account follows the latest event that names one", (t) => {
  const call = play([
    event('CHANNEL_ANSWER', { leg: { accountId: 'acc1', callerIdNumber: '1001', direction: 'inbound' } }),
    event('CHANNEL_BRIDGE', { leg: { accountId: 'acc2', callerIdNumber: '2600' }, bridgeA: SELF, bridgeB: 'x' }),
    event('DTMF', { digit: '5' }),
  ]);
  t.is(call.callerIdNumber, '1001', 'FreeSWITCH flips the caller ID on answer: the first one stays');
  t.is(call.direction, 'inbound');
  t.is(call.accountId, 'acc2');
});

test('the reducer never changes the call it is given', (t) => {
  const call = newCall(SELF, 'fs1');
  const copy = structuredClone(call);
  applyEvent(call, event('CHANNEL_HANGUP_COMPLETE'), SELF, false);
  t.deepEqual(call, copy);
});

const ended = (outcome: TransferSummary['outcome'], transferee = SELF): TransferSummary => ({
  transferId: 'transfer:a:b',
  phase: 'ended',
  transferor: 'leg-x',
  transferee,
  target: '2600',
  targetLeg: 'leg-t',
  recallLeg: 'leg-r',
  type: 'attended',
  startedAt: 0,
  outcome,
});

test("a transfer's end: a transferee talks to the target, or to the recalled transferor; others are answered", (t) => {
  const held: CallSummary = { ...newCall(SELF, 'fs1'), phase: 'in_transfer', answered: true };
  t.like(transferEnded(held, ended('completed'), SELF), { phase: 'bridged', bridgedTo: 'leg-t' });
  t.like(transferEnded(held, ended('completed_partial'), SELF), { phase: 'bridged', bridgedTo: 'leg-t' });
  t.like(transferEnded(held, ended('recalled'), SELF), { phase: 'bridged', bridgedTo: 'leg-r' });
  t.like(transferEnded(held, ended('target_failed'), SELF), { phase: 'answered' });
  t.like(transferEnded(held, ended('completed', 'someone-else'), SELF), { phase: 'answered' });
  t.is(transferEnded(held, ended('completed'), SELF).transfer?.outcome, 'completed');
  t.is(transferEnded({ ...held, phase: 'ended' }, ended('completed'), SELF).phase, 'ended', 'a hung-up leg stays so');
});

test('only what the ingest did not send the transfer itself is forwarded, and only the events it needs', (t) => {
  t.true(forwardsToTransfer(event('GONE'), 'tr'));
  t.true(forwardsToTransfer(event('CHANNEL_HANGUP_COMPLETE'), 'tr'));
  t.false(forwardsToTransfer(event('CHANNEL_HANGUP_COMPLETE', { alsoTo: 'tr' }), 'tr'));
  t.false(forwardsToTransfer(event('DTMF', { digit: '1' }), 'tr'));
  t.false(forwardsToTransfer(event('CHANNEL_ANSWER'), 'tr'));
  // The machine takes no input from an unbridge (the hold's, the transferor's before its hangup): no signal for it.
  t.false(forwardsToTransfer(event('CHANNEL_UNBRIDGE'), 'tr'));
  // Nor from a bridge: the transfer's bridge activities wait for their CHANNEL_BRIDGE (or read the switch) themselves.
  t.false(forwardsToTransfer(event('CHANNEL_BRIDGE'), 'tr'));
});
