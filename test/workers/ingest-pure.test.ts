// The ingest's pure parts: which channel is a call, event conversion, deduplication, originate results, batching.
import test from 'ava';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { toChannelEvent, legInfo } from '../../workers/ingest/convert.ts';
import { originateVariables, parseOriginateBody, routeOriginateJob } from '../../workers/ingest/jobs.ts';
import { ChannelMemory } from '../../workers/ingest/memory.ts';
import {
  takeBatch,
  DeliveryQueues,
  HEAVY_DEPTH,
  MIN_PACE,
  PACE_WINDOW_MS,
  PACE_LIFT_MS,
  HELD_AFTER_MS,
  type Batch,
  type Delivery,
} from '../../workers/ingest/queue.ts';
import { parseShowCalls, parseShowChannels, reconcile } from '../../workers/ingest/reconcile.ts';
import { ProjectionWriter } from '../../workers/ingest/projection.ts';
import { routeFromEvent } from '../../workers/ingest/routing.ts';
import { testLogger as logger } from './silent-logger.ts';
import proto from '@temporalio/proto';
import { resourceExhaustedCause } from '../../contracts/grpc.ts';

const names = {
  ACCOUNT_ID_VARIABLE: 'ecallmgr_Account-ID',
  AUTHORIZING_ID_VARIABLE: 'ecallmgr_Authorizing-ID',
  OWNER_ID_VARIABLE: 'ecallmgr_Owner-ID',
};

// Shaped like the captured JSON CHANNEL_BRIDGE (captures 06-json), trimmed.
const bridge = {
  'Event-Name': 'CHANNEL_BRIDGE',
  'Core-UUID': 'a3bf47f6-4b02-496b-8cb3-8cce7ab9b441',
  'Event-Date-Timestamp': '1795664173831541',
  'Event-Sequence': '1918',
  'Bridge-A-Unique-ID': 'aaaa',
  'Bridge-B-Unique-ID': 'bbbb',
  'Channel-Name': 'loopback/2600-a',
  'Unique-ID': 'aaaa',
  'Call-Direction': 'outbound',
  'Answer-State': 'answered',
  'Caller-Caller-ID-Name': 'Outbound Call',
  'Caller-Caller-ID-Number': 'default',
  'Caller-Destination-Number': '2600',
  'Other-Leg-Unique-ID': 'bbbb',
  variable_uuid: 'aaaa',
  'variable_ecallmgr_Account-ID': 'acct1',
  'variable_ecallmgr_Owner-ID': 'user1',
  variable_sip_user_agent: 'not copied',
};

test('which channels are calls: loopback -b halves are not, transfer target legs go to their transfer', (t) => {
  t.deepEqual(routeFromEvent(bridge), { kind: 'call' });
  t.deepEqual(routeFromEvent({ ...bridge, 'Channel-Name': 'loopback/2600-b' }), { kind: 'ignore', why: 'loopback-b' });
  t.deepEqual(routeFromEvent({ ...bridge, variable_handoff_transfer_id: 'transfer:a:b' }), {
    kind: 'transfer',
    workflowId: 'transfer:a:b',
  });
  t.deepEqual(routeFromEvent({ ...bridge, 'Channel-Name': 'sofia/internal/1001@example.com' }), { kind: 'call' });
  // A DTMF event has no variables: it cannot tell by itself (the ingest remembers the route).
  t.is(routeFromEvent({ 'Event-Name': 'DTMF', 'Unique-ID': 'x', 'Channel-Name': 'loopback/2602-a' }), undefined);
  t.deepEqual(routeFromEvent({ 'Event-Name': 'DTMF', 'Unique-ID': 'x', 'Channel-Name': 'loopback/2602-b' }), {
    kind: 'ignore',
    why: 'loopback-b',
  });
});

test('conversion keeps what the workflows read, in ms, and says whose leg it is', (t) => {
  const e = toChannelEvent(bridge, 'fs1', { ...names, DEFAULT_ACCOUNT_ID: 'fallback' });
  t.deepEqual(e, {
    name: 'CHANNEL_BRIDGE',
    uuid: 'aaaa',
    coreUuid: 'a3bf47f6-4b02-496b-8cb3-8cce7ab9b441',
    seq: 1918,
    at: 1795664173831,
    node: 'fs1',
    otherLeg: 'bbbb',
    bridgeA: 'aaaa',
    bridgeB: 'bbbb',
    answerState: 'answered',
    leg: {
      accountId: 'acct1',
      ownerId: 'user1',
      direction: 'outbound',
      callerIdName: 'Outbound Call',
      callerIdNumber: 'default',
      calleeIdNumber: '2600',
      channelName: 'loopback/2600-a',
    },
  });
  const dtmf = toChannelEvent(
    { 'Event-Name': 'DTMF', 'Unique-ID': 'aaaa', 'Core-UUID': 'c', 'Event-Sequence': '7', 'DTMF-Digit': '#' },
    'fs1',
    names,
  );
  t.is(dtmf?.digit, '#');
  t.is(dtmf?.leg, undefined);
  t.is(toChannelEvent({ ...bridge, 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE' }, 'fs1', names), undefined);
  t.is(toChannelEvent({ ...bridge, 'Event-Name': 'CHANNEL_STATE' }, 'fs1', names), undefined);
  const hangup = toChannelEvent(
    { ...bridge, 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', 'Hangup-Cause': 'USER_BUSY' },
    'fs1',
    names,
  );
  t.is(hangup?.hangupCause, 'USER_BUSY');
  t.is(hangup?.bridgeA, undefined);
  t.is(legInfo({ 'Unique-ID': 'x', variable_uuid: 'x' }, { ...names, DEFAULT_ACCOUNT_ID: 'd' }).accountId, 'd');
});

test('dedup per channel on Core-UUID + Event-Sequence; a new Core-UUID starts again', (t) => {
  const m = new ChannelMemory();
  t.true(m.accept('a', 'core1', 10));
  t.true(m.accept('b', 'core1', 5)); // lower than a's: sequences are per channel, not in delivery order across them
  t.false(m.accept('a', 'core1', 10));
  t.false(m.accept('a', 'core1', 9));
  t.true(m.accept('a', 'core1', 11));
  t.true(m.accept('a', 'core2', 1)); // the switch restarted
  t.false(m.accept('a', 'core2', 1));
});

test('channel memory is bounded: forgotten after hangup + grace, and capped', (t) => {
  const m = new ChannelMemory({ graceMs: 1000, maxChannels: 3 });
  m.accept('a', 'c', 1);
  m.setRoute('a', { kind: 'call' });
  m.ended('a', 10_000);
  t.is(m.sweep(10_500), 0);
  t.false(m.accept('a', 'c', 1)); // a late duplicate within the grace period is still recognised
  t.is(m.sweep(11_000), 1);
  t.is(m.route('a'), undefined);
  for (const id of ['x', 'y', 'z', 'w']) m.accept(id, 'c', 1);
  t.is(m.size, 3);
  t.true(m.accept('x', 'c', 1)); // the least recently active went first
});

test('originate results: transfer ID and origination_uuid from the leading {...}, +OK uuid or -ERR cause', (t) => {
  const arg =
    '{origination_uuid=cccc,handoff_transfer_id=transfer:aaaa:bbbb,ignore_early_media=true}loopback/2600/default &park()';
  t.deepEqual(originateVariables(arg), {
    origination_uuid: 'cccc',
    handoff_transfer_id: 'transfer:aaaa:bbbb',
    ignore_early_media: 'true',
  });
  t.deepEqual(originateVariables('loopback/2600/default &park()'), {});
  // A `<...>` block first (a caller name with unbalanced braces) and a caller name with braces after the IDs.
  t.deepEqual(
    originateVariables(
      '<origination_caller_id_name=a}<b>\\s>{origination_uuid=cccc,handoff_transfer_id=t:a:b,x={y}}loopback/1 &park()',
    ),
    { origination_uuid: 'cccc', handoff_transfer_id: 't:a:b', x: '{y' },
  );
  t.deepEqual(parseOriginateBody('+OK cccc\n'), { uuid: 'cccc' });
  t.deepEqual(parseOriginateBody('-ERR NO_ANSWER\n'), { cause: 'NO_ANSWER' });
  t.deepEqual(parseOriginateBody('-ERR\n'), { cause: 'UNKNOWN' });
  const job = {
    'Event-Name': 'BACKGROUND_JOB',
    'Job-UUID': 'job1',
    'Job-Command': 'originate',
    'Job-Command-Arg': arg,
    'Event-Date-Timestamp': '1795664173831541',
    _body: '-ERR USER_BUSY\n',
  };
  t.deepEqual(routeOriginateJob(job), {
    workflowId: 'transfer:aaaa:bbbb',
    legUuid: 'cccc',
    result: { jobUuid: 'job1', cause: 'USER_BUSY', at: 1795664173831 },
  });
  t.is(routeOriginateJob({ ...job, 'Job-Command': 'uuid_bridge' }), undefined);
  t.is(
    routeOriginateJob({ ...job, 'Job-Command-Arg': '{origination_uuid=cccc}loopback/1/default &park()' }),
    undefined,
  );
});

test('show channels / show calls as json', (t) => {
  t.deepEqual(parseShowChannels('{"row_count": 0}\n'), []);
  const rows = parseShowChannels(
    JSON.stringify({
      row_count: 2,
      rows: [
        {
          uuid: 'a',
          name: 'loopback/2600-a',
          direction: 'outbound',
          cid_num: '1001',
          callstate: 'ACTIVE',
          dest: '2600',
        },
        { uuid: 'b', name: 'loopback/2602-a', direction: 'outbound', cid_num: '', callstate: 'RINGING', dest: '2602' },
      ],
    }),
  );
  t.is(rows.length, 2);
  t.true(rows[0]?.answered);
  t.false(rows[1]?.answered);
  t.is(rows[1]?.callerIdNumber, undefined);
  const peers = parseShowCalls(
    JSON.stringify({
      row_count: 1,
      rows: [
        { uuid: 'a', b_uuid: 'c' },
        { uuid: 'x', b_uuid: '' },
      ],
    }),
  );
  t.is(peers.get('a'), 'c');
  t.is(peers.get('c'), 'a');
  t.false(peers.has('x'));
});

test('reconcile: a workflow still listed as running after its GONE or hangup was passed on gets no second GONE', async (t) => {
  // Visibility lists a closed workflow as running for a moment; the memory knows its end was already passed on.
  const memory = new ChannelMemory({ graceMs: 1000 });
  memory.accept('hung', 'c', 1);
  memory.ended('hung', Date.now());
  const sent: Delivery[] = [];
  const deps = {
    node: 'fs1',
    names,
    api: async () => '-ERR no such channel\n',
    list: async () => '{"row_count": 0}\n',
    listRunningCalls: async () => new Set(['ghost', 'hung']),
    memory,
    projection: new ProjectionWriter({ store: undefined, node: 'fs1', logger, onError: () => {} }),
    enqueue: (_key: string, d: Delivery) => void sent.push(d),
    logger,
  };
  const first = await reconcile(deps);
  t.like(first, { gones: 1, skipped: 1 });
  t.deepEqual(
    sent.map((d) => (d.kind === 'call' ? [d.uuid, d.event?.name] : d.kind)),
    [['ghost', 'GONE']],
  );
  const second = await reconcile(deps);
  t.like(second, { gones: 0, skipped: 2 });
  t.is(sent.length, 1);
  // Once the memory's grace period is over, a workflow still listed as running is sent its GONE again.
  memory.sweep(Date.now() + 1000);
  const third = await reconcile(deps);
  t.like(third, { gones: 2, skipped: 0 });
});

function ev(uuid: string, seq: number, name: ChannelEvent['name'] = 'DTMF'): ChannelEvent {
  return { name, uuid, coreUuid: 'c', seq, at: seq, node: 'fs1' };
}

test('takeBatch takes the head run that fits one signal', (t) => {
  const items: Delivery[] = [
    { kind: 'call', uuid: 'a', event: ev('a', 1) },
    { kind: 'call', uuid: 'a', event: ev('a', 2), allowNewRun: true },
    { kind: 'originate', workflowId: 't', result: { jobUuid: 'j', at: 0 } },
    { kind: 'transfer', workflowId: 't', event: ev('c', 3) },
    { kind: 'transfer', workflowId: 't', event: ev('c', 4) },
  ];
  const first = takeBatch(items, 100).batch;
  t.is(first.kind, 'call');
  t.deepEqual(first.kind === 'call' && [first.events.map((e) => e.seq), first.allowNewRun], [[1, 2], true]);
  t.is(takeBatch(items, 100).batch.kind, 'originate');
  const third = takeBatch(items, 1).batch;
  t.deepEqual(third.kind === 'transfer' && third.events.map((e) => e.seq), [3]);
  t.is(items.length, 1);
});

test('takeBatch: a start on demand heads its batch, one without an event of its own goes alone', (t) => {
  const snapshot = { ...ev('a', 0, 'SNAPSHOT'), otherLeg: 'b' };
  const items: Delivery[] = [
    { kind: 'call', uuid: 'a', event: ev('a', 1) },
    { kind: 'call', uuid: 'a', event: ev('a', 2), initial: [snapshot] },
    { kind: 'call', uuid: 'a', event: ev('a', 3) },
    { kind: 'call', uuid: 'a', initial: [snapshot] },
    { kind: 'call', uuid: 'a', event: ev('a', 4) },
  ];
  const seqs = () => {
    const b = takeBatch(items, 100).batch;
    return b.kind === 'call' ? [b.events.map((e) => e.seq), b.initial?.length ?? 0] : [];
  };
  t.deepEqual(seqs(), [[1], 0]);
  t.deepEqual(seqs(), [[2, 3], 1]);
  t.deepEqual(seqs(), [[], 1]);
  t.deepEqual(seqs(), [[4], 0]);
});

test('queues: one signal in flight per channel, the rest batched behind it, in order, parallel across channels', async (t) => {
  const sent: Batch[] = [];
  const gates = new Map<string, () => void>();
  let failOnce = true;
  const q = new DeliveryQueues({
    logger,
    retry: { initialMs: 10, maxMs: 20 },
    send: async (b) => {
      const key = b.kind === 'call' ? b.uuid : b.workflowId;
      if (key === 'flaky' && failOnce) {
        failOnce = false;
        throw new Error('UNAVAILABLE');
      }
      if (key === 'a' && !gates.has('a-open')) await new Promise<void>((r) => gates.set('a', r));
      sent.push(b);
    },
  });
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 1) });
  await new Promise((r) => setImmediate(r));
  // While a's first signal is in flight, a's next events wait; b is not held up by a.
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 2) });
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 3) });
  q.push('b', { kind: 'call', uuid: 'b', event: ev('b', 1) });
  q.push('flaky', { kind: 'call', uuid: 'flaky', event: ev('flaky', 1) });
  q.push('flaky', { kind: 'call', uuid: 'flaky', event: ev('flaky', 2) });
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(
    sent.map((b) => (b.kind === 'call' ? b.uuid : '')),
    ['b', 'flaky'],
  );
  gates.set('a-open', () => {});
  gates.get('a')?.();
  await q.idle();
  const seqs = (uuid: string): number[][] =>
    sent
      .filter((b) => b.kind === 'call' && b.uuid === uuid)
      .map((b) => (b.kind === 'call' ? b.events.map((e) => e.seq) : []));
  t.deepEqual(seqs('a'), [[1], [2, 3]]);
  t.deepEqual(seqs('flaky'), [[1, 2]]); // retried as one batch, still in order
  t.is(q.depth, 0);
});

test('queues: each key press says whether the ingest held it (a send failed, or it waited long before its send)', async (t) => {
  const sent: Batch[] = [];
  let release: () => void = () => {};
  let failFlaky = true;
  const q = new DeliveryQueues({
    logger,
    retry: { initialMs: 10, maxMs: 20 },
    send: async (b) => {
      if (b.kind === 'call' && b.uuid === 'flaky' && failFlaky) {
        failFlaky = false;
        throw new Error('UNAVAILABLE');
      }
      if (b.kind === 'call' && b.uuid === 'slow' && b.events[0]!.seq === 1)
        await new Promise<void>((r) => (release = r));
      sent.push(b);
    },
  });
  const held = (uuid: string) =>
    sent
      .filter((b) => b.kind === 'call' && b.uuid === uuid)
      .flatMap((b) => (b.kind === 'call' ? b.events.map((e) => [e.name, e.held]) : []));
  // Sent at once: not held. Other events keep their shape.
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 1, 'CHANNEL_ANSWER') });
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 2) });
  // Its first send failed: held, when the retry delivers it.
  q.push('flaky', { kind: 'call', uuid: 'flaky', event: ev('flaky', 1) });
  // Queued behind a send that takes longer than HELD_AFTER_MS: held.
  q.push('slow', { kind: 'call', uuid: 'slow', event: ev('slow', 1) });
  await new Promise((r) => setImmediate(r));
  q.push('slow', { kind: 'call', uuid: 'slow', event: ev('slow', 2) });
  // One press in the signal in flight, one queued behind it: both pending, as a late digit timer asks.
  t.is(q.keyPressesPending('slow'), 2);
  t.is(q.keyPressesPending('nobody'), 0);
  await new Promise((r) => setTimeout(r, HELD_AFTER_MS + 100));
  release();
  await q.idle();
  t.deepEqual(held('a'), [
    ['CHANNEL_ANSWER', undefined],
    ['DTMF', false],
  ]);
  t.deepEqual(held('flaky'), [['DTMF', true]]);
  t.is(q.keyPressesPending('slow'), 0, 'every press delivered: none pending');
  t.deepEqual(held('slow'), [
    ['DTMF', false],
    ['DTMF', true],
  ]);
});

test('queues: deliveries a sender re-routes go back at the head, ahead of what queued behind', async (t) => {
  const sent: string[] = [];
  let release: () => void = () => {};
  const q = new DeliveryQueues({
    logger,
    send: async (b) => {
      if (b.kind === 'transfer') {
        await new Promise<void>((r) => (release = r));
        // The transfer has ended: the same events, as the call's.
        return b.events.map((event) => ({ kind: 'call', uuid: event.uuid, event }) as Delivery);
      }
      if (b.kind === 'call') sent.push(...b.events.map((e) => `${b.signalOnly ? 'signal' : 'start'}:${e.seq}`));
    },
  });
  q.push('c', { kind: 'transfer', workflowId: 't', event: ev('c', 1) });
  await new Promise((r) => setImmediate(r));
  q.push('c', { kind: 'call', uuid: 'c', event: ev('c', 2) });
  q.push('c', { kind: 'call', uuid: 'c', event: ev('c', 3, 'CHANNEL_HANGUP_COMPLETE'), signalOnly: true });
  release();
  await q.idle();
  // One batch of three: not signal-only, since it needs a workflow for the digits before the hangup.
  t.deepEqual(sent, ['start:1', 'start:2', 'start:3']);

  q.push('d', { kind: 'call', uuid: 'd', event: ev('d', 9, 'CHANNEL_HANGUP_COMPLETE'), signalOnly: true });
  await q.idle();
  t.deepEqual(sent.slice(3), ['signal:9']);
});

test('queues: a channel with a hangup or a key press queued goes before the others, in a slot kept for it', async (t) => {
  const sent: string[] = [];
  const open: Array<() => void> = [];
  const q = new DeliveryQueues({
    logger,
    maxInFlight: 4,
    urgentReserve: 1,
    send: async (b) => {
      await new Promise<void>((r) => open.push(r));
      if (b.kind === 'call') sent.push(`${b.uuid}:${b.events.map((e) => e.seq).join(',')}`);
    },
  });
  const tick = () => new Promise((r) => setImmediate(r));
  for (let i = 0; i < 8; i++) q.push(`n${i}`, { kind: 'call', uuid: `n${i}`, event: ev(`n${i}`, 1, 'CHANNEL_CREATE') });
  q.push('p', { kind: 'call', uuid: 'p', event: ev('p', 1, 'CHANNEL_CREATE') });
  await tick();
  t.is(open.length, 3, 'the others take all slots but the one kept');
  // p's key press makes p urgent: it leaves in the kept slot with its earlier event, in order, ahead of n3..n7.
  q.push('p', { kind: 'call', uuid: 'p', event: ev('p', 2, 'DTMF') });
  q.push('h', { kind: 'call', uuid: 'h', event: ev('h', 1, 'CHANNEL_HANGUP_COMPLETE') });
  await tick();
  t.is(open.length, 4);
  open.splice(0).forEach((release) => release());
  await tick();
  await tick();
  t.deepEqual(sent.slice(0, 4).sort(), ['n0:1', 'n1:1', 'n2:1', 'p:1,2']);
  // h (urgent) takes the first free slot, before n3..n7 that waited longer.
  open.splice(0).forEach((release) => release());
  await tick();
  await tick();
  t.is(sent[4], 'h:1');
  while (sent.length < 10) {
    open.splice(0).forEach((release) => release());
    await tick();
  }
  await q.idle();
  t.is(q.depth, 0);
});

test('queues: while Temporal is unreachable one held channel tries for all, and its first success sends them all', async (t) => {
  t.timeout(20_000);
  const unreachable = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
  let down = true;
  let triedWhileDown = 0;
  const sent: string[] = [];
  const q = new DeliveryQueues({
    logger,
    // A channel's own retries would come a minute later: only Temporal's return may send what waits for it.
    retry: { initialMs: 60_000, maxMs: 60_000 },
    reconnectMs: 20,
    send: async (b) => {
      if (down) {
        triedWhileDown++;
        throw unreachable;
      }
      if (b.kind === 'call') sent.push(b.uuid);
    },
  });
  const channels = Array.from({ length: 20 }, (_, i) => `c${i}`);
  for (const c of channels) q.push(c, { kind: 'call', uuid: c, event: ev(c, 1) });
  const outageMs = 300;
  await new Promise((r) => setTimeout(r, outageMs));
  // Each channel's own send, then one attempt per reconnectMs for all of them (fewer when timers run late).
  t.true(triedWhileDown >= channels.length, `${triedWhileDown} sends while unreachable`);
  t.true(triedWhileDown <= channels.length + outageMs / 20 + 1, `${triedWhileDown} sends while unreachable`);
  down = false;
  await q.idle();
  t.deepEqual([...sent].sort(), [...channels].sort());
  t.is(q.depth, 0);
});

test('queues: a leg pressing keys faster than its signals go waits behind another leg’s few presses', async (t) => {
  const sent: string[] = [];
  let release: () => void = () => {};
  const q = new DeliveryQueues({
    logger,
    maxInFlight: 1,
    send: async (b) => {
      if (b.kind === 'call' && b.uuid === 'x') await new Promise<void>((r) => (release = r));
      if (b.kind === 'call') sent.push(`${b.uuid}:${b.events.length}`);
    },
  });
  q.push('x', { kind: 'call', uuid: 'x', event: ev('x', 1) });
  await new Promise((r) => setImmediate(r));
  // While the only slot is taken, a flood queues on one leg (it waits first), then a caller presses a key.
  for (let i = 1; i <= HEAVY_DEPTH * 2; i++) q.push('flood', { kind: 'call', uuid: 'flood', event: ev('flood', i) });
  q.push('quiet', { kind: 'call', uuid: 'quiet', event: ev('quiet', 1) });
  release();
  await q.idle();
  t.deepEqual(sent, ['x:1', 'quiet:1', `flood:${HEAVY_DEPTH * 2}`]);
});

test('queues: after a RESOURCE_EXHAUSTED every signal is paced, at a quarter of what Temporal took', async (t) => {
  t.timeout(20_000);
  const exhausted = Object.assign(new Error('8 RESOURCE_EXHAUSTED: namespace rate limit exceeded'), { code: 8 });
  let accepted = 0;
  let refusedAt = 0;
  const after: number[] = [];
  /** Each accepted key press's `paced` stamp, before the refusal and after it. */
  const stamps = { before: [] as (boolean | undefined)[], after: [] as (boolean | undefined)[] };
  const q = new DeliveryQueues({
    logger,
    maxInFlight: 4,
    urgentReserve: 1,
    retry: { initialMs: 10, maxMs: 10 },
    send: async (b) => {
      await new Promise((r) => setTimeout(r, 5));
      if (++accepted === 9) {
        refusedAt = performance.now();
        throw exhausted;
      }
      if (refusedAt) after.push(performance.now() - refusedAt);
      const paced = b.kind === 'call' ? b.events.map((e) => e.paced) : [];
      (refusedAt ? stamps.after : stamps.before).push(...paced);
    },
  });
  // Urgent and light (a key press each): before, only the other channels backed off.
  const channels = Array.from({ length: 16 }, (_, i) => `c${i}`);
  for (const c of channels) q.push(c, { kind: 'call', uuid: c, event: ev(c, 1) });
  await q.idle();
  const pace = q.signalsPerSecond;
  // 8 accepted in the last second and at most 4 in flight (the refused one among them): at most 12 / 4.
  t.true(pace >= 2 && pace <= 12 / 4, `paced at ${pace}/s`);
  // What was still waiting at the refusal left at the pace, not at once.
  const late = after.filter((ms) => ms > 50);
  t.true(late.length > 0, `sends after the refusal: ${after.map((ms) => ms.toFixed(0)).join(' ')}`);
  const spread = Math.max(...after) - Math.min(...late);
  t.true(spread >= ((late.length - 1) * 1000) / pace - 50, `${late.length} sends in ${spread.toFixed(0)} ms`);
  // The key presses say so: those sent before the refusal were not paced; those sent at the pace were.
  t.true(stamps.before.length > 0 && stamps.before.every((p) => p === undefined), `before: ${stamps.before}`);
  t.true(stamps.after.length >= late.length, `after: ${stamps.after}`);
  t.true(
    stamps.after.slice(-late.length).every((p) => p === true),
    `after: ${stamps.after}`,
  );
});

test('queues: a burst Temporal let through does not set the pace: what it took a second over PACE_WINDOW_MS does', async (t) => {
  // Temporal's buckets allow a burst of twice their rate: a flood's first second is taken, then refused. Paced at a
  // quarter of that second, the ingest went on signalling at most of the namespace's limit, and the workers' polls and
  // completions (which its signals are charged to) got next to nothing: no workflow task ran for seconds at a time.
  t.timeout(20_000);
  const exhausted = Object.assign(new Error('8 RESOURCE_EXHAUSTED: namespace rate limit exceeded'), { code: 8 });
  let accepted = 0;
  const q = new DeliveryQueues({
    logger,
    maxInFlight: 8,
    urgentReserve: 1,
    retry: { initialMs: 10, maxMs: 10 },
    send: async () => {
      await new Promise((r) => setTimeout(r, 5));
      if (++accepted === 41) throw exhausted;
    },
  });
  const channels = Array.from({ length: 48 }, (_, i) => `c${i}`);
  for (const c of channels) q.push(c, { kind: 'call', uuid: c, event: ev(c, 1) });
  await q.idle();
  const pace = q.signalsPerSecond;
  // 40 accepted in well under a second, at most 8 in flight: a quarter of 48 over 5 s is 2.4 a second (not 12).
  t.true(pace >= MIN_PACE && pace <= ((40 + 8) * 1000) / PACE_WINDOW_MS / 4, `paced at ${pace}/s`);
});

/** A RESOURCE_EXHAUSTED as the client raises it: a ServiceError whose gRPC cause carries the status details. */
function refusal(cause: keyof typeof proto.temporal.api.enums.v1.ResourceExhaustedCause): Error {
  const failure = proto.temporal.api.errordetails.v1.ResourceExhaustedFailure.encode({
    cause: proto.temporal.api.enums.v1.ResourceExhaustedCause[cause],
  }).finish();
  const status = proto.google.rpc.Status.encode({
    code: 8,
    message: cause,
    details: [
      { type_url: 'type.googleapis.com/temporal.api.errordetails.v1.ResourceExhaustedFailure', value: failure },
    ],
  }).finish();
  const grpc = Object.assign(new Error(`8 RESOURCE_EXHAUSTED: ${cause}`), {
    code: 8,
    metadata: { get: (key: string) => (key === 'grpc-status-details-bin' ? [Buffer.from(status)] : []) },
  });
  return new Error('Failed to signal workflow', { cause: grpc });
}

test('resourceExhaustedCause reads the cause from the status details, none from an error without them', (t) => {
  t.is(resourceExhaustedCause(refusal('RESOURCE_EXHAUSTED_CAUSE_BUSY_WORKFLOW')), 'BUSY_WORKFLOW');
  t.is(resourceExhaustedCause(refusal('RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT')), 'RPS_LIMIT');
  t.is(resourceExhaustedCause(Object.assign(new Error('8 RESOURCE_EXHAUSTED'), { code: 8 })), undefined);
});

test('queues: a busy workflow (RESOURCE_EXHAUSTED, BUSY_WORKFLOW) retries its own channel and paces nothing', async (t) => {
  let calls = 0;
  const sent: string[] = [];
  const warnings: { msg: string; meta?: Record<string, unknown> }[] = [];
  const q = new DeliveryQueues({
    logger: { ...logger, warn: (msg, meta) => void warnings.push({ msg, meta }) },
    retry: { initialMs: 10, maxMs: 10 },
    send: async (batch) => {
      if (batch.kind === 'call' && batch.uuid === 'busy' && ++calls === 1)
        throw refusal('RESOURCE_EXHAUSTED_CAUSE_BUSY_WORKFLOW');
      if (batch.kind === 'call') sent.push(batch.uuid);
    },
  });
  for (const c of ['busy', 'a', 'b']) q.push(c, { kind: 'call', uuid: c, event: ev(c, 1) });
  await q.idle();
  t.is(q.signalsPerSecond, Infinity);
  t.deepEqual([...sent].sort(), ['a', 'b', 'busy']);
  t.is(calls, 2);
  // The log says what the server answered, not only which call failed.
  t.deepEqual(
    warnings.map((w) => [w.msg, w.meta?.['cause'], w.meta?.['grpcCode'], w.meta?.['error']]),
    [
      [
        'ingest: signal failed, retrying in 10 ms',
        'BUSY_WORKFLOW',
        8,
        'Failed to signal workflow ← 8 RESOURCE_EXHAUSTED: RESOURCE_EXHAUSTED_CAUSE_BUSY_WORKFLOW',
      ],
    ],
  );
});

test('queues: a pace ends once Temporal has refused nothing for paceQuietMs, though every send waits for it', async (t) => {
  // One refusal paced a node whose traffic stayed above the pace: every send waited, so "none waited for PACE_LIFT_MS"
  // never came, and the node's signals went at 2.5 a second for good.
  t.timeout(20_000);
  let refused = false;
  const q = new DeliveryQueues({
    logger,
    retry: { initialMs: 10, maxMs: 10 },
    paceQuietMs: 1_500,
    send: async () => {
      if (!refused) {
        refused = true;
        throw refusal('RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT');
      }
    },
  });
  let n = 0;
  const push = () => {
    const c = `c${n++}`;
    q.push(c, { kind: 'call', uuid: c, event: ev(c, 1) });
  };
  push();
  await q.idle();
  t.true(q.signalsPerSecond < Infinity, 'paced after the refusal');
  // Sends keep waiting for the pace (more than it allows), well short of PACE_LIFT_MS without a wait.
  const until = performance.now() + 2_500;
  while (performance.now() < until) {
    for (let i = 0; i < 5; i++) push();
    await new Promise((r) => setTimeout(r, 100));
  }
  t.true(2_500 < PACE_LIFT_MS);
  t.is(q.signalsPerSecond, Infinity);
});

test('queues: a call workflow’s events no caller waits on linger for the channel’s next ones; a key press or a transfer’s event goes at once', async (t) => {
  const sent: Array<{ key: string; seqs: number[]; at: number }> = [];
  const q = new DeliveryQueues({
    logger,
    lingerMs: 40,
    send: async (b) => {
      const key = b.kind === 'call' ? b.uuid : b.kind === 'transfer' ? b.workflowId : 'originate';
      sent.push({ key, seqs: b.kind === 'originate' ? [] : b.events.map((e) => e.seq), at: performance.now() });
    },
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const t0 = performance.now();
  // A leg's answer and, a few ms later, its bridge: one signal, after the linger.
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 1, 'CHANNEL_ANSWER') });
  await sleep(5);
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 2, 'CHANNEL_BRIDGE') });
  // Another leg's bridge, then its key press while it lingers: both go at once, in order.
  q.push('b', { kind: 'call', uuid: 'b', event: ev('b', 1, 'CHANNEL_BRIDGE') });
  q.push('b', { kind: 'call', uuid: 'b', event: ev('b', 2, 'DTMF') });
  // A transfer's leg answers: its transfer waits on it, no linger.
  q.push('c', { kind: 'transfer', workflowId: 'transfer:x', event: ev('c', 1, 'CHANNEL_ANSWER') });
  await sleep(15);
  t.deepEqual(
    sent.map((s) => [s.key, s.seqs]),
    [
      ['b', [1, 2]],
      ['transfer:x', [1]],
    ],
    'the key press and the transfer’s event did not wait; a did',
  );
  await q.idle();
  const a = sent.find((s) => s.key === 'a');
  t.deepEqual(a?.seqs, [1, 2], 'the answer and the bridge left in one signal');
  t.true(a!.at - t0 >= 39, `a waited its linger (${Math.round(a!.at - t0)} ms)`);
  t.is(q.depth, 0);
  q.stop();
});

test('queues: without a linger every event leaves on the next turn', async (t) => {
  const sent: number[][] = [];
  const q = new DeliveryQueues({
    logger,
    send: async (b) => void sent.push(b.kind === 'call' ? b.events.map((e) => e.seq) : []),
  });
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 1, 'CHANNEL_ANSWER') });
  await new Promise((r) => setTimeout(r, 5));
  q.push('a', { kind: 'call', uuid: 'a', event: ev('a', 2, 'CHANNEL_BRIDGE') });
  await q.idle();
  t.deepEqual(sent, [[1], [2]]);
});
