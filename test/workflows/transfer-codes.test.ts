// The codes that act during a transfer (contracts/transfer-codes.ts), matched by the feature-code collector's rules
// (workflows/collector.ts) ahead of the leg's own metaflows.
import test from 'ava';
import type { FeatureCodeSet } from '../../contracts/metaflows.ts';
import {
  DEFAULT_TRANSFER_CODES,
  checkTransferCodes,
  codeActs,
  transferCodeOf,
  transferCodeSets,
  type TransferCodes,
} from '../../contracts/transfer-codes.ts';
import { emptyCollector, pressDigit, timerFired, type CollectorState } from '../../workflows/collector.ts';
import { transferCodes } from '../../activities/policy.ts';

/** The transferor's own metaflows: `*5` hangs up, `*2<number>` transfers, and `*3` is bound to something else. */
const OWN: FeatureCodeSet = {
  owner: 'self',
  ownerLeg: 'alice',
  metaflows: {
    binding_digit: '*',
    numbers: { '5': { module: 'hangup' }, '3': { module: 'hold' } },
    patterns: { '2(\\d+)': { module: 'transfer' } },
  },
};

/**
 * Types `digits` 100 ms apart with the transfer's codes (when `codes`) ahead of OWN, lets every inter-digit timer run
 * out, and names what matched: a transfer code's action, or `metaflow:<module>`.
 */
function typed(digits: string, codes: TransferCodes | undefined, gapMs = 100, timeoutMs = 800): string[] {
  const sets = [...(codes ? transferCodeSets(codes, 'xfer-1', timeoutMs) : []), OWN];
  let state: CollectorState = emptyCollector(sets);
  const found: string[] = [];
  let now = 0;
  const expire = (until: number) => {
    while (state.deadline !== undefined && state.deadline <= until) {
      const r = timerFired(state, sets, state.deadline);
      state = r.state;
      if (r.match) found.push(transferCodeOf(r.match) ?? `metaflow:${r.match.metaflow.module}`);
    }
  };
  for (const digit of digits) {
    expire(now);
    state = pressDigit(state, sets, digit, now, timeoutMs);
    now += gapMs;
  }
  expire(Number.MAX_SAFE_INTEGER);
  return found;
}

test('during a transfer the transfer codes win over the metaflows, and every other code still reaches them', (t) => {
  t.deepEqual(typed('*1', DEFAULT_TRANSFER_CODES), ['takeback']);
  t.deepEqual(typed('*3', DEFAULT_TRANSFER_CODES), ['three_way'], 'not the metaflow `3`');
  t.deepEqual(typed('*4', DEFAULT_TRANSFER_CODES), ['swap']);
  // The old takeback matcher swallowed this `*`: `*5` never reached the metaflows during a transfer.
  t.deepEqual(typed('*5', DEFAULT_TRANSFER_CODES), ['metaflow:hangup']);
  t.deepEqual(typed('*22600', DEFAULT_TRANSFER_CODES), ['metaflow:transfer']);
});

test('outside a transfer the same digits are the metaflows alone', (t) => {
  t.deepEqual(typed('*3', undefined), ['metaflow:hold']);
  t.deepEqual(typed('*1', undefined), []);
});

test("the collector's rules: the whole string, the inter-digit timeout, and stray digits", (t) => {
  t.deepEqual(typed('*13', DEFAULT_TRANSFER_CODES), [], '`*13` is no code: numbers match whole');
  t.deepEqual(typed('5*1', DEFAULT_TRANSFER_CODES), ['takeback'], 'a stray digit before the binding one');
  t.deepEqual(typed('*1', DEFAULT_TRANSFER_CODES, 900), [], 'the `1` came after the timeout: the `*` expired alone');
  t.deepEqual(typed('*1*3', DEFAULT_TRANSFER_CODES, 900), [], 'each digit alone');
  t.deepEqual(typed('*1', DEFAULT_TRANSFER_CODES, 790), ['takeback'], 'just within the timeout');
});

test('codes of other binding digits and lengths: one set per binding digit, a one-digit code too', (t) => {
  const codes: TransferCodes = { takeback: '#9', three_way: '##', swap: '0' };
  t.is(transferCodeSets(codes, 'x', 800).length, 2);
  t.deepEqual(typed('#9', codes), ['takeback']);
  t.deepEqual(typed('##', codes), ['three_way']);
  t.deepEqual(typed('0', codes), ['swap']);
  t.deepEqual(typed('*3', codes), ['metaflow:hold'], 'the `*` codes are the metaflows again');
  t.deepEqual(typed('*4', { takeback: '*1' }), [], 'a code left out is off');
  t.deepEqual(typed('*3', { takeback: '*1' }), ['metaflow:hold']);
});

test('the codes must be DTMF and distinct', (t) => {
  t.is(checkTransferCodes(DEFAULT_TRANSFER_CODES), undefined);
  t.regex(checkTransferCodes({ takeback: '*1', swap: '*1' }) ?? '', /swap and takeback have the same code/);
  t.regex(checkTransferCodes({ takeback: '*1', three_way: '*3a' }) ?? '', /three_way/);
  t.regex(checkTransferCodes({ takeback: '' }) ?? '', /takeback/);
});

test('only the transferor presses them, each in its phases', (t) => {
  t.true(codeActs('takeback', 'transferor', 'ringing'));
  t.true(codeActs('takeback', 'transferor', 'three_way'));
  t.true(codeActs('three_way', 'transferor', 'consulting'));
  t.false(codeActs('three_way', 'transferor', 'ringing'), 'nobody to join yet');
  t.false(codeActs('swap', 'transferor', 'three_way'));
  t.false(codeActs('takeback', 'transferee', 'consulting'));
  t.false(codeActs('three_way', 'target', 'consulting'));
});

test("a metaflow's own module named like a transfer code is not one", (t) => {
  const fake: FeatureCodeSet = { owner: 'self', ownerLeg: 'a', metaflows: { binding_digit: '*' } };
  t.is(transferCodeOf({ set: fake, metaflow: { module: 'transfer_code:takeback' } }), undefined);
});

test("the transfer's codes: the configured three-way and swap, except a code the takeback asked for uses", (t) => {
  const config = { THREE_WAY_DTMF: '*3', SWAP_DTMF: '*4' };
  t.deepEqual(transferCodes('*1', config), DEFAULT_TRANSFER_CODES);
  t.deepEqual(transferCodes('*3', config), { takeback: '*3', swap: '*4' });
  t.deepEqual(transferCodes('*1', { THREE_WAY_DTMF: '', SWAP_DTMF: '*4' }), { takeback: '*1', swap: '*4' });
  t.deepEqual(transferCodes('*1', { THREE_WAY_DTMF: '*3', SWAP_DTMF: '*3' }), { takeback: '*1', three_way: '*3' });
  for (const takeback of ['*1', '*3', '#', '*4']) t.is(checkTransferCodes(transferCodes(takeback, config)), undefined);
});
