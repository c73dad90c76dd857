// What a completed feature code asks for (workflows/feature-codes.ts), read from its metaflow as Kazoo writes it.
import test from 'ava';
import { featureCodeAction } from '../../workflows/feature-codes.ts';
import type { FeatureCodeMatch } from '../../workflows/collector.ts';
import type { Metaflow } from '../../contracts/metaflows.ts';

const match = (metaflow: Metaflow, collected: string, captures: string[] = [], owner: 'self' | 'peer' = 'self') =>
  ({
    set: { owner, ownerLeg: 'leg-owner', metaflows: { binding_digit: '*' } },
    collected,
    metaflow,
    captures,
    key: 'k',
  }) satisfies FeatureCodeMatch;

test('a transfer pattern: the captured target, the code typed before it, the defaults left to the policy', (t) => {
  const action = featureCodeAction(match({ module: 'transfer', data: {} }, '22600', ['2600']));
  t.deepEqual(action, {
    do: 'transfer',
    featureCode: '*2',
    ask: {
      target: '2600',
      takebackDtmf: undefined,
      moh: undefined,
      ringback: undefined,
      timeoutS: undefined,
      type: undefined,
    },
  });
});

test("a transfer number: the metaflow's own target and options, and the peer's leg when the code is the peer's", (t) => {
  const data = {
    target: '2600',
    transfer_type: 'blind',
    takeback_dtmf: '*9',
    moh: 'tone_stream://%(250,0,440)',
    timeout: 15,
    partial_failure: 'recall',
  };
  const action = featureCodeAction(match({ module: 'transfer', data }, '3', [], 'peer'));
  t.like(action, {
    do: 'transfer',
    featureCode: '*3',
    ask: { target: '2600', type: 'blind', takebackDtmf: '*9', timeoutS: 15, partialFailure: 'recall' },
  });
  if (action.do === 'transfer') t.is(action.ask.metaflowOwnerLeg, 'leg-owner');
});

test('Kazoo spells the type both ways; an unknown type, a bad timeout or partial_failure are left out', (t) => {
  const ask = (data: Record<string, unknown>) => {
    const a = featureCodeAction(match({ module: 'transfer', data: { target: '1', ...data } }, '1'));
    return a.do === 'transfer' ? a.ask : undefined;
  };
  t.is(ask({ 'transfer-type': 'attended' })?.type, 'attended');
  t.is(ask({ transfer_type: 'sideways' })?.type, undefined);
  t.is(ask({ timeout: -5 })?.timeoutS, undefined);
  t.is(ask({ timeout: '20' })?.timeoutS, undefined);
  t.false('partialFailure' in (ask({ partial_failure: 'explode' }) ?? {}));
});

test('a transfer code without a target does nothing; resume takes back; hangup hangs up; others do nothing', (t) => {
  t.deepEqual(featureCodeAction(match({ module: 'transfer', data: { target: '' } }, '2')), {
    do: 'nothing',
    why: 'no_target',
  });
  t.deepEqual(featureCodeAction(match({ module: 'resume' }, '1')), { do: 'takeback' });
  t.deepEqual(featureCodeAction(match({ module: 'hangup' }, '9')), { do: 'hangup' });
  t.deepEqual(featureCodeAction(match({ module: 'park' }, '5')), { do: 'nothing', why: 'unknown_module' });
});

test("hold and hold_control: the peer's music is Kazoo's moh_bleg, else moh_aleg, else none (the account's plays)", (t) => {
  const flow = 'tone_stream://%(250,0,440)';
  t.deepEqual(featureCodeAction(match({ module: 'hold' }, '5')), { do: 'hold', action: 'toggle' });
  t.deepEqual(featureCodeAction(match({ module: 'hold', data: { moh_aleg: flow } }, '5')), {
    do: 'hold',
    action: 'toggle',
    moh: flow,
  });
  t.deepEqual(
    featureCodeAction(match({ module: 'hold_control', data: { action: 'hold', moh_aleg: 'a', moh_bleg: 'b' } }, '6')),
    { do: 'hold', action: 'hold', moh: 'b' },
  );
});
