// A transfer's hold (contracts/hold-plan.ts), as the resolve activity and the transfer's prologue both build it.
import test from 'ava';
import { holdPlan } from '../../contracts/hold-plan.ts';

const transfer = {
  transferId: 'transfer:alice:bob',
  transferor: 'alice',
  transferee: 'bob',
  moh: 'local_stream://moh',
  ringback: 'tone_stream://%(2000,4000,440,480)',
  startedBy: 'dtmf' as const,
  requestedAt: 1_700_000_000_000,
  // What else a transfer's plan carries stays out of the hold.
  target: '2600',
  dialString: 'loopback/2600/default',
  targetLeg: 'carol',
};

test('a hold carries the parties, their media and what the metrics say; nothing else of the transfer', (t) => {
  t.deepEqual(holdPlan({ ...transfer, type: 'attended' }), {
    transferId: 'transfer:alice:bob',
    transferor: 'alice',
    transferee: 'bob',
    moh: 'local_stream://moh',
    ringback: 'tone_stream://%(2000,4000,440,480)',
    releaseTransferor: false,
    type: 'attended',
    startedBy: 'dtmf',
    requestedAt: 1_700_000_000_000,
  });
});

test('a blind transfer hangs its transferor up instead of ringback; the others keep it on the line', (t) => {
  t.true(holdPlan({ ...transfer, type: 'blind' }).releaseTransferor);
  t.false(holdPlan({ ...transfer, type: 'attended' }).releaseTransferor);
});

test('a hold without the metrics fields (a resolve with no request time) leaves them out of its JSON', (t) => {
  const { startedBy: _, requestedAt: __, ...bare } = transfer;
  t.deepEqual(Object.keys(JSON.parse(JSON.stringify(holdPlan({ ...bare, type: 'attended' })))), [
    'transferId',
    'transferor',
    'transferee',
    'moh',
    'ringback',
    'releaseTransferor',
    'type',
  ]);
});
