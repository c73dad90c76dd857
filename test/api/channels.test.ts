// Channels over HTTP, with a recording TEST DOUBLE of the engine: what the API asks the engine, and how each engine
// answer maps to HTTP. (End-to-end transfers through the real engine are the engine's tests.)
import test from 'ava';
import {
  CallNotFoundError,
  EngineFailedError,
  EngineUnavailableError,
  NoTransferError,
  TransferEndingError,
  RequestConflictError,
  TransferRefusedError,
} from '../../api/engine.ts';
import type { TransferRefusalReason } from '../../api/engine.ts';
import { startHarness } from './support/server.ts';
import type { AccountName, Harness } from './support/server.ts';
import { withoutRequestId, type RecordedCall } from './support/recording-engine-double.ts';

const A = '/v2/accounts/child/channels';

async function withCalls(t: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(t);
  await h.addChannel({
    callId: 'alice',
    accountId: 'child',
    bridgedTo: 'bob',
    direction: 'inbound',
    callerIdNumber: '1000',
    callerIdName: 'Alice',
    calleeIdNumber: '1001',
  });
  await h.addChannel({ callId: 'bob', accountId: 'child', bridgedTo: 'alice', direction: 'outbound' });
  await h.addChannel({ callId: 'gc-call', accountId: 'grandchild' });
  await h.addChannel({ callId: 'sib-call', accountId: 'sibling' });
  await h.addChannel({ callId: 'orphan', accountId: null });
  h.engine.known.set('alice', {
    callId: 'alice',
    node: 'fs1',
    accountId: 'child',
    phase: 'bridged',
    answered: true,
    bridgedTo: 'bob',
  });
  return h;
}

const transfer = (data: Record<string, unknown> = {}) => ({ data: { action: 'transfer', target: '2600', ...data } });

const requestIdOf = (c: RecordedCall | undefined): string =>
  c?.method === 'requestTransfer' ? (c.requestId ?? '') : '';

test('GET channels: the account’s own live calls from the projection, in Kazoo’s list shape', async (t) => {
  const h = await withCalls(t);
  const res = await h.call('GET', A, { token: h.tokens.child });
  t.is(res.status, 200);
  const list = res.body.data as Record<string, unknown>[];
  t.deepEqual(
    list.map((c) => c.uuid),
    ['alice', 'bob'],
  );
  t.like(list[0], {
    uuid: 'alice',
    answered: true,
    direction: 'inbound',
    other_leg: 'bob',
    caller_id_number: '1000',
    caller_id_name: 'Alice',
    destination: '1001',
  });
  t.true((list[0]?.elapsed_s as number) >= 4);
  t.true((list[0]?.timestamp as number) > 63_000_000_000, 'Gregorian seconds');
  // The list is served from the projection: the engine is not asked.
  t.deepEqual(h.engine.calls, []);
  // The parent reads the child's list; the sibling cannot.
  t.is((await h.call('GET', A, { token: h.tokens.root })).status, 200);
  t.is((await h.call('GET', A, { token: h.tokens.sibling })).status, 403);
  t.deepEqual((await h.call('GET', '/v2/accounts/stranger/channels', { token: h.tokens.stranger })).body.data, []);
});

test('GET one channel: the projection, its peer, and the engine’s phase and transfer under data.handoff', async (t) => {
  const h = await withCalls(t);
  h.engine.known.set('alice', {
    callId: 'alice',
    node: 'fs1',
    accountId: 'child',
    phase: 'in_transfer',
    answered: true,
    bridgedTo: 'bob',
    transfer: {
      transferId: 'transfer:alice:bob',
      phase: 'ringing',
      transferor: 'alice',
      transferee: 'bob',
      target: '2600',
      type: 'attended',
      startedAt: Date.UTC(2024, 0, 1),
    },
  });
  const res = await h.call('GET', `${A}/alice`, { token: h.tokens.child });
  t.is(res.status, 200);
  t.like(res.body.data, {
    call_id: 'alice',
    other_leg_call_id: 'bob',
    call_direction: 'inbound',
    caller_id_number: '1000',
    answered: true,
    handoff: {
      node: 'fs1',
      phase: 'in_transfer',
      transfer: { transfer_id: 'transfer:alice:bob', phase: 'ringing', target: '2600', transfer_type: 'attended' },
    },
  });
});

test('GET one channel when the engine is down: the projection still answers, with engine_error', async (t) => {
  const h = await withCalls(t);
  h.engine.onGetCall = () => {
    throw new EngineUnavailableError('the call engine (Temporal) is unreachable');
  };
  const res = await h.call('GET', `${A}/alice`, { token: h.tokens.child });
  t.is(res.status, 200);
  t.like(res.body.data, { call_id: 'alice', handoff: { engine_error: 'the call engine is unavailable; try again' } });
});

test('a channel of another account, of no account, or unknown: 404 bad identifier, even for an ancestor', async (t) => {
  const h = await withCalls(t);
  const cases: [AccountName, string][] = [
    ['child', 'sib-call'],
    ['child', 'gc-call'], // a descendant's call, addressed under the wrong account
    ['root', 'alice'],
    ['root', 'orphan'],
    ['child', 'orphan'],
    ['child', 'nope'],
    ['stranger', 'alice'],
  ];
  for (const [account, callId] of cases) {
    for (const [method, body] of [
      ['GET', undefined],
      ['POST', transfer()],
      ['POST', { data: { action: 'hangup' } }],
    ] as const) {
      const res = await h.call(method, `/v2/accounts/${account}/channels/${callId}`, {
        token: h.tokens[account],
        body,
      });
      t.is(res.status, 404, `${method} ${account}/${callId}`);
      t.like(res.body, { error: '404', message: 'bad identifier', data: [callId] });
    }
  }
  // The call's own account, through the ancestor's token, works.
  t.is((await h.call('GET', '/v2/accounts/grandchild/channels/gc-call', { token: h.tokens.root })).status, 200);
  t.deepEqual(h.engine.actions(), []);
});

test('a call the projection has not caught up on is found through the engine, if it is the account’s', async (t) => {
  const h = await withCalls(t);
  h.engine.known.set('fresh', {
    callId: 'fresh',
    node: 'fs2',
    accountId: 'child',
    phase: 'bridged',
    answered: true,
    bridgedTo: 'x',
  });
  h.engine.known.set('foreign', {
    callId: 'foreign',
    node: 'fs2',
    accountId: 'sibling',
    phase: 'bridged',
    answered: true,
  });
  t.is((await h.call('POST', `${A}/fresh`, { token: h.tokens.child, body: transfer() })).status, 200);
  t.is((await h.call('POST', `${A}/foreign`, { token: h.tokens.child, body: transfer() })).status, 404);
  const got = await h.call('GET', `${A}/fresh`, { token: h.tokens.child });
  t.like(got.body.data, { call_id: 'fresh', other_leg_call_id: 'x', handoff: { node: 'fs2', phase: 'bridged' } });
});

test('POST transfer: delivered with every field honoured; 200 "transfer initiated", extras in envelope.handoff', async (t) => {
  const h = await withCalls(t);
  await h.store.createMedia({ id: 'root-moh', accountId: 'root', name: 'Hold', streamUrl: 'local_stream://moh' });
  const res = await h.call('POST', `${A}/alice`, {
    token: h.tokens.child,
    body: transfer({
      takeback_dtmf: '*9',
      moh: 'root-moh',
      ringback: '%(2000,4000,440,480)',
      timeout: 30,
      partial_failure: 'recall',
      transfer_type: 'attended',
      captures: ['ignored'],
    }),
  });
  t.is(res.status, 200);
  t.is(res.body.data, 'transfer initiated');
  t.deepEqual(res.body.handoff, {
    transfer_id: 'transfer:alice:peer',
    phase: 'starting',
    transferor: 'alice',
    transferee: 'peer',
    target: '2600',
    transfer_type: 'attended',
  });
  t.regex(requestIdOf(h.engine.actions()[0]), /^transfer-request:auto:/, 'a request ID is always sent');
  t.deepEqual(h.engine.actions().map(withoutRequestId), [
    {
      method: 'requestTransfer',
      callId: 'alice',
      ask: {
        target: '2600',
        takebackDtmf: '*9',
        moh: 'root-moh',
        ringback: '%(2000,4000,440,480)',
        timeoutS: 30,
        partialFailure: 'recall',
        type: 'attended',
      },
    },
  ]);
  const bad = await h.call('POST', `${A}/alice`, {
    token: h.tokens.child,
    body: transfer({ partial_failure: 'callback' }),
  });
  t.is(bad.status, 400);
  t.truthy(JSON.stringify(bad.body.data).includes('partial_failure'), JSON.stringify(bad.body.data));
});

test('POST transfer: no type means no injected type; blind in each of Kazoo’s spellings; disagreeing spellings 400', async (t) => {
  const h = await withCalls(t);
  await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer() });
  await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer({ 'transfer-type': 'blind' }) });
  await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer({ 'Transfer-Type': 'blind' }) });
  await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer({ transfer_type: 'blind' }) });
  t.deepEqual(
    h.engine.actions().map((c) => (c.method === 'requestTransfer' ? c.ask : undefined)),
    [
      { target: '2600' },
      { target: '2600', type: 'blind' },
      { target: '2600', type: 'blind' },
      { target: '2600', type: 'blind' },
    ],
  );
  const clash = await h.call('POST', `${A}/alice`, {
    token: h.tokens.child,
    body: transfer({ transfer_type: 'attended', 'transfer-type': 'blind' }),
  });
  t.is(clash.status, 400);
  t.truthy((clash.body.data as Record<string, unknown>).transfer_type);
});

test('POST: action from data, the query string, or the top level (Kazoo’s order)', async (t) => {
  const h = await withCalls(t);
  t.is((await h.call('POST', `${A}/alice?action=hangup`, { token: h.tokens.child, body: { data: {} } })).status, 200);
  t.is(
    (await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { action: 'break', data: {} } })).status,
    200,
  );
  t.is(
    (await h.call('POST', `${A}/alice?action=hangup`, { token: h.tokens.child, body: { data: { action: 'break' } } }))
      .status,
    200,
  );
  t.deepEqual(
    h.engine.actions().map((c) => c.method),
    ['hangup', 'breakMedia', 'breakMedia'],
  );
});

test('POST: a missing, unknown or Kazoo-only action is 400 "invalid data" naming action', async (t) => {
  const h = await withCalls(t);
  for (const data of [{}, { action: 'explode' }, { action: 'intercept' }, { action: 'callflow' }, { action: 42 }]) {
    const res = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data } });
    t.is(res.status, 400, JSON.stringify(data));
    t.is(res.body.message, 'invalid data');
    t.truthy((res.body.data as Record<string, unknown>).action);
  }
  t.deepEqual(h.engine.actions(), []);
});

test('POST transfer without a target: Kazoo’s 400 {"target":{"required":{"message":"No target destination specified"}}}', async (t) => {
  const h = await withCalls(t);
  const res = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data: { action: 'transfer' } } });
  t.is(res.status, 400);
  t.deepEqual(res.body.data, { target: { required: { message: 'No target destination specified' } } });
});

test('engine refusals map to 400/409 with Kazoo’s shapes where Kazoo has one', async (t) => {
  const h = await withCalls(t);
  const cases: [TransferRefusalReason, string, number, Record<string, unknown>][] = [
    [
      'not_bridged',
      'the call is not bridged',
      400,
      { other_leg_call_id: { required: { message: 'Channel is not bridged' } } },
    ],
    [
      'transfer_in_progress',
      'transfer x is already running',
      409,
      { transfer: { in_progress: { message: 'transfer x is already running' } } },
    ],
    [
      'not_answered',
      'the call is not answered',
      400,
      { answered: { required: { message: 'Channel is not answered' } } },
    ],
    ['call_ended', 'the call has ended', 400, { call_id: { ended: { message: 'The call has ended' } } }],
    [
      'invalid_target',
      'target: "x" is not a dialable number',
      400,
      { target: { invalid: { message: 'target: "x" is not a dialable number' } } },
    ],
    [
      'invalid_takeback_dtmf',
      'takeback_dtmf: "x" is not 1-8 DTMF digits',
      400,
      { takeback_dtmf: { invalid: { message: 'takeback_dtmf: "x" is not 1-8 DTMF digits' } } },
    ],
    [
      'invalid_media',
      'ringback: "x" is neither',
      400,
      { ringback: { invalid: { message: 'ringback: "x" is neither' } } },
    ],
    ['invalid_media', 'no such media', 400, { moh: { invalid: { message: 'no such media' } } }],
  ];
  for (const [reason, message, status, data] of cases) {
    h.engine.onTransfer = () => {
      throw new TransferRefusedError(reason, message);
    };
    const res = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer() });
    t.is(res.status, status, reason);
    t.deepEqual(res.body.data, data, reason);
    t.is(res.body.message, status === 409 ? 'conflict' : 'validation error');
  }
});

test('engine outages and failures: 503 unreachable, 500 failure, 404 unknown call; never a bare stack', async (t) => {
  const h = await withCalls(t);
  h.engine.onTransfer = () => {
    throw new EngineUnavailableError('the call engine (Temporal) is unreachable');
  };
  const down = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer() });
  t.is(down.status, 503);
  t.like(down.body, { status: 'error', error: '503', data: { message: 'the call engine is unavailable; try again' } });

  h.engine.onTransfer = () => {
    throw new EngineFailedError('workflow task failed');
  };
  const failed = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer() });
  t.is(failed.status, 500);
  t.like(failed.body, { status: 'error', error: '500', data: { message: 'the call engine failed' } });

  h.engine.onTransfer = () => {
    throw new Error('boom');
  };
  const bug = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer() });
  t.is(bug.status, 500);
  t.false(bug.text.includes('boom'));

  // In the projection but gone from the engine (ended between the two reads).
  h.engine.known.delete('alice');
  h.engine.onBreak = (callId) => {
    throw new CallNotFoundError(callId);
  };
  const gone = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data: { action: 'break' } } });
  t.is(gone.status, 404);
  t.like(gone.body, { message: 'bad identifier', data: ['alice'] });
});

test('cancel_transfer: the running transfer’s summary in envelope.handoff; none running is 409', async (t) => {
  const h = await withCalls(t);
  const res = await h.call('POST', `${A}/alice`, {
    token: h.tokens.child,
    body: { data: { action: 'cancel_transfer' } },
  });
  t.is(res.status, 200);
  t.is(res.body.data, 'cancel_transfer initiated');
  t.like(res.body.handoff, { transfer_id: 'transfer:alice:peer', phase: 'connecting', transferor: 'alice' });
  h.engine.onCancel = () => {
    throw new NoTransferError();
  };
  const none = await h.call('POST', `${A}/alice`, {
    token: h.tokens.child,
    body: { data: { action: 'cancel_transfer' } },
  });
  t.is(none.status, 409);
  t.deepEqual(none.body.data, { transfer: { not_running: { message: 'no transfer is running on this call' } } });
  // The outcome was decided before the cancel came (the target was busy): nothing was cancelled, and the answer says so.
  h.engine.onCancel = () => {
    throw new TransferEndingError({
      transferId: 'transfer:alice:peer',
      phase: 'connecting',
      outcome: 'target_failed',
      reason: 'USER_BUSY',
      transferor: 'alice',
      transferee: 'peer',
      target: '2603',
      type: 'attended',
      startedAt: 0,
    });
  };
  const ending = await h.call('POST', `${A}/alice`, {
    token: h.tokens.child,
    body: { data: { action: 'cancel_transfer' } },
  });
  t.is(ending.status, 409);
  t.deepEqual(ending.body.data, {
    transfer: {
      ended: {
        message: 'the transfer had already ended or was ending: target_failed (USER_BUSY)',
        transfer_id: 'transfer:alice:peer',
        outcome: 'target_failed',
        reason: 'USER_BUSY',
      },
    },
  });
});

test('three_way and swap: delivered to the call as the transferor’s request; not a transferor is 409', async (t) => {
  const h = await withCalls(t);
  for (const action of ['three_way', 'swap'] as const) {
    const res = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data: { action } } });
    t.is(res.status, 200);
    t.is(res.body.data, `${action} initiated`);
    t.like(res.body.handoff, { transfer_id: 'transfer:alice:peer', transferor: 'alice' });
  }
  t.deepEqual(
    h.engine.actions().filter((c) => c.method === 'transferCode'),
    [
      { method: 'transferCode', callId: 'alice', action: 'three_way' },
      { method: 'transferCode', callId: 'alice', action: 'swap' },
    ],
  );
  h.engine.onCancel = () => {
    throw new NoTransferError('this call is not the transferor of a running transfer');
  };
  const none = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data: { action: 'three_way' } } });
  t.is(none.status, 409);
});

test('hold and unhold: delivered to the call, its phase in envelope.handoff', async (t) => {
  const h = await withCalls(t);
  const held = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data: { action: 'hold' } } });
  t.is(held.status, 200);
  t.is(held.body.data, 'hold initiated');
  t.like(held.body.handoff, { call_phase: 'held' });
  const back = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data: { action: 'unhold' } } });
  t.like(back.body.handoff, { call_phase: 'bridged' });
  t.deepEqual(
    h.engine.actions().filter((c) => c.method === 'hold'),
    [
      { method: 'hold', callId: 'alice', action: 'hold' },
      { method: 'hold', callId: 'alice', action: 'unhold' },
    ],
  );
});

test('hangup (with an optional cause) and break: delivered, Kazoo’s response strings', async (t) => {
  const h = await withCalls(t);
  const hangup = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data: { action: 'hangup' } } });
  t.is(hangup.body.data, 'hangup initiated');
  const cause = await h.call('POST', `${A}/alice`, {
    token: h.tokens.child,
    body: { data: { action: 'hangup', cause: 'USER_BUSY' } },
  });
  t.is(cause.status, 200);
  const brk = await h.call('POST', `${A}/alice`, { token: h.tokens.child, body: { data: { action: 'break' } } });
  t.is(brk.body.data, 'break initiated');
  t.deepEqual(h.engine.actions(), [
    { method: 'hangup', callId: 'alice' },
    { method: 'hangup', callId: 'alice', cause: 'USER_BUSY' },
    { method: 'breakMedia', callId: 'alice' },
  ]);
});

test('a stranger’s token never reaches a call: 403 on the account before anything about the call', async (t) => {
  const h = await withCalls(t);
  for (const who of ['sibling', 'stranger', 'grandchild'] as const) {
    t.is((await h.call('GET', `${A}/alice`, { token: h.tokens[who] })).status, 403);
    t.is((await h.call('POST', `${A}/alice`, { token: h.tokens[who], body: transfer() })).status, 403);
  }
  t.is((await h.call('POST', `${A}/alice`, { body: transfer() })).status, 401);
  t.deepEqual(h.engine.calls, []);
});

test('POST transfer: the request ID is the Idempotency-Key with the body, or the body alone; a bad key is a 400', async (t) => {
  const h = await withCalls(t);
  const post = (body: unknown, key?: string) =>
    h.call('POST', `${A}/alice`, {
      token: h.tokens.child,
      body,
      ...(key === undefined ? {} : { headers: { 'Idempotency-Key': key } }),
    });
  const keyed = await post(transfer({ timeout: 30 }), 'k-123');
  t.is(keyed.status, 200);
  t.is(keyed.headers.get('Idempotency-Key'), 'k-123', 'echoed');
  await post({ data: { timeout: 30, target: '2600', action: 'transfer' } }, 'k-123'); // same fields, another order
  await post(transfer({ timeout: 31 }), 'k-123'); // same key, another request
  await post(transfer({ timeout: 30 })); // no key
  await post(transfer({ timeout: 30 })); // the same again
  // Windows are numbered: two requests a few ms apart may straddle a boundary (then they are two windows, rightly).
  // The next pair, sent at once, cannot straddle the same boundary.
  const windowOf = (id: string | undefined) => id?.split(':').at(-1);
  const pair = h.engine.actions().map(requestIdOf).slice(-2);
  if (windowOf(pair[0]) !== windowOf(pair[1])) {
    await post(transfer({ timeout: 30 }));
    await post(transfer({ timeout: 30 }));
  }
  const ids = h.engine.actions().map(requestIdOf);
  const retried = ids.length - 5;
  t.regex(ids[0]!, /^transfer-request:key:[0-9a-f]{32}:[0-9a-f]{32}$/);
  t.is(ids[1], ids[0], 'the same key and request: the same Update ID');
  t.not(ids[2], ids[0], 'the same key, another request: another Update ID (the workflow refuses it)');
  t.is(ids[2]!.split(':')[2], ids[0]!.split(':')[2], '... under the same key');
  t.regex(ids[3 + retried]!, /^transfer-request:auto:[0-9a-f]{32}:\d+$/);
  t.is(ids[4 + retried], ids[3 + retried], 'no key: the same request in the same window is the same Update ID');
  const bad = await post(transfer(), 'has space');
  t.is(bad.status, 400);
  t.truthy((bad.body.data as Record<string, unknown>)['Idempotency-Key']);
  t.is(h.engine.actions().length, 5 + retried, 'a bad key reaches no workflow');
});

test('POST transfer: a key reused for another request is a 409; a slow answer is a 202; not accepted in time, 503 with the key', async (t) => {
  const h = await withCalls(t);
  const post = () =>
    h.call('POST', `${A}/alice`, { token: h.tokens.child, body: transfer(), headers: { 'Idempotency-Key': 'k' } });
  h.engine.onTransfer = () => {
    throw new RequestConflictError('this Idempotency-Key was used for a different request on this call');
  };
  const reused = await post();
  t.is(reused.status, 409);
  t.truthy((reused.body.data as Record<string, { reused?: unknown }>)['Idempotency-Key']?.reused);
  h.engine.onTransfer = () => ({ pending: true });
  const slow = await post();
  t.is(slow.status, 202);
  t.is(slow.body.data, 'transfer accepted');
  const handoff = slow.body.handoff as { status: string; message: string };
  t.is(handoff.status, 'pending');
  t.regex(handoff.message, /same request again/);
  h.engine.onTransfer = () => {
    throw new EngineUnavailableError('the call engine did not answer in time');
  };
  const unavailable = await post();
  t.is(unavailable.status, 503);
  t.is(unavailable.headers.get('Idempotency-Key'), 'k', 'the key to try again with');
});
