// The ingest's rule for call workflows on demand (workers/ingest/on-demand.ts), event by event, with the metaflows read
// from a real store: which events reach a workflow, which key press starts one (and its peer's), with what state, and
// how long an operator's change to the metaflows takes to count (the cache).
import test, { type ExecutionContext } from 'ava';
import { CALL_WORKFLOW_VARIABLE } from '../../contracts/ids.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import type { Metaflows } from '../../contracts/metaflows.ts';
import { DEMO_METAFLOWS, seedDemo } from '../../store/seed.ts';
import type { Store } from '../../store/index.ts';
import type { EslEvent } from '../../workers/esl/index.ts';
import { toChannelEvent } from '../../workers/ingest/convert.ts';
import { MetaflowCache, OnDemandCalls } from '../../workers/ingest/on-demand.ts';
import type { Delivery } from '../../workers/ingest/queue.ts';
import { tempStore } from '../store/temp-db.ts';
import { testLogger } from './silent-logger.ts';

const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
const NAMES = {
  ACCOUNT_ID_VARIABLE: 'ecallmgr_Account-ID',
  AUTHORIZING_ID_VARIABLE: 'ecallmgr_Authorizing-ID',
  OWNER_ID_VARIABLE: 'ecallmgr_Owner-ID',
};

interface Rig {
  store: Store;
  accountId: string;
  calls: OnDemandCalls;
  pushed: { key: string; delivery: Delivery }[];
  marked: string[];
  /** The switch sends an event: observed, then (as the router does for a call leg) offered to the leg's workflow. */
  send(name: string, uuid: string, headers?: Record<string, string>): Promise<void>;
}

let seq = 0;

async function rig(t: ExecutionContext, cacheMs = 5000): Promise<Rig> {
  const store = tempStore(t);
  const { accountId } = await seedDemo(store);
  const pushed: Rig['pushed'] = [];
  const marked: string[] = [];
  const calls = new OnDemandCalls({
    node: 'fs1',
    metaflows: (account, device, user) => store.effectiveMetaflows(account, device, user),
    cacheMs,
    mark: async (uuid) => void marked.push(uuid),
    push: (key, delivery) => void pushed.push({ key, delivery }),
    logger: testLogger,
  });
  return {
    store,
    accountId,
    calls,
    pushed,
    marked,
    async send(name, uuid, headers = {}) {
      const evt: EslEvent = {
        'Event-Name': name,
        'Unique-ID': uuid,
        'Core-UUID': 'core',
        'Event-Sequence': String(++seq),
        'Event-Date-Timestamp': String(Date.now() * 1000),
        ...headers,
      };
      const event = toChannelEvent(evt, 'fs1', NAMES) as ChannelEvent;
      calls.observe(evt, event);
      calls.deliver({ kind: 'call', uuid, event });
      await calls.settled();
    },
  };
}

/** Alice calls Bob: both legs of the account, answered and bridged. */
async function bridgedCall(r: Rig): Promise<void> {
  for (const [leg, peer] of [
    [ALICE, BOB],
    [BOB, ALICE],
  ] as const) {
    const vars = { [`variable_${NAMES.ACCOUNT_ID_VARIABLE}`]: r.accountId, 'Caller-Caller-ID-Number': '100' };
    await r.send('CHANNEL_CREATE', leg, vars);
    await r.send('CHANNEL_ANSWER', leg, vars);
    await r.send('CHANNEL_BRIDGE', leg, {
      ...vars,
      'Bridge-A-Unique-ID': ALICE,
      'Bridge-B-Unique-ID': BOB,
      'Other-Leg-Unique-ID': peer,
    });
  }
}

const dtmf = (digit: string) => ({ 'DTMF-Digit': digit });
/** The demo account's binding digit. */
const BINDING = '*';
const METAFLOWS: Metaflows = { binding_digit: BINDING, numbers: {}, patterns: {} };

test('a plain call, and key presses that begin no code, reach no workflow', async (t) => {
  const r = await rig(t);
  await bridgedCall(r);
  await r.send('DTMF', ALICE, dtmf('5'));
  await r.send('DTMF', BOB, dtmf('#'));
  await r.send('CHANNEL_HANGUP_COMPLETE', ALICE, { [`variable_${NAMES.ACCOUNT_ID_VARIABLE}`]: r.accountId });
  t.deepEqual(r.pushed, []);
  t.deepEqual(r.marked, []);
});

test('the binding digit on a bridged leg starts its workflow and its peer’s, each with its state; then every event goes', async (t) => {
  const r = await rig(t);
  await bridgedCall(r);
  await r.send('DTMF', ALICE, dtmf(BINDING));
  t.is(r.pushed.length, 2);
  const [mine, theirs] = r.pushed.map((p) => p.delivery as Extract<Delivery, { kind: 'call' }>);
  t.like(mine, { uuid: ALICE, event: { name: 'DTMF', digit: BINDING } });
  t.like(mine!.initial?.[0], {
    name: 'SNAPSHOT',
    uuid: ALICE,
    otherLeg: BOB,
    answerState: 'answered',
    leg: { accountId: r.accountId },
  });
  t.is(theirs!.uuid, BOB);
  t.is(theirs!.event, undefined, "the peer's start carries its state only");
  t.like(theirs!.initial?.[0], { name: 'SNAPSHOT', uuid: BOB, otherLeg: ALICE, answerState: 'answered' });
  t.deepEqual(r.marked, [ALICE, BOB]);
  await r.send('DTMF', ALICE, dtmf('2'));
  await r.send('CHANNEL_UNBRIDGE', BOB);
  t.deepEqual(
    r.pushed.slice(2).map((p) => [p.key, (p.delivery as { event?: ChannelEvent }).event?.name]),
    [
      [ALICE, 'DTMF'],
      [BOB, 'CHANNEL_UNBRIDGE'],
    ],
  );
});

test('a key press on a leg that is not bridged starts nothing', async (t) => {
  const r = await rig(t);
  await r.send('CHANNEL_ANSWER', ALICE, { [`variable_${NAMES.ACCOUNT_ID_VARIABLE}`]: r.accountId });
  await r.send('DTMF', ALICE, dtmf(BINDING));
  t.deepEqual(r.pushed, []);
});

test('a leg marked by the variable (another ingest or a REST request started it) has its events delivered', async (t) => {
  const r = await rig(t);
  await bridgedCall(r);
  await r.send('CHANNEL_UNBRIDGE', ALICE, { [`variable_${CALL_WORKFLOW_VARIABLE}`]: 'true' });
  await r.send('DTMF', ALICE, dtmf('7'));
  t.deepEqual(
    r.pushed.map((p) => (p.delivery as { event?: ChannelEvent }).event?.name),
    ['CHANNEL_UNBRIDGE', 'DTMF'],
  );
  // A reconciliation's list of running call workflows counts the same.
  r.calls.running([BOB]);
  await r.send('DTMF', BOB, dtmf('7'));
  t.is(r.pushed.at(-1)?.key, BOB);
});

test('an operator’s new binding digit counts once the cache has expired', async (t) => {
  const r = await rig(t, 200);
  await bridgedCall(r);
  await r.send('DTMF', ALICE, dtmf('#'));
  t.deepEqual(r.pushed, [], '# binds nothing yet');
  await r.store.setMetaflows({ accountId: r.accountId, level: 'account' }, { ...DEMO_METAFLOWS, binding_digit: '#' });
  await new Promise((resolve) => setTimeout(resolve, 250));
  await r.send('DTMF', ALICE, dtmf('#'));
  t.is(r.pushed[0]?.key, ALICE, 'the new binding digit starts the workflow');
});

test('the metaflow cache: a read serves its TTL, a failed read is not kept, the oldest goes first past the bound', async (t) => {
  let reads = 0;
  let fail = false;
  const cache = new MetaflowCache(
    async () => {
      reads++;
      if (fail) throw new Error('store away');
      return METAFLOWS;
    },
    100,
    2,
  );
  await cache.get('a');
  await cache.get('a');
  t.is(reads, 1, 'kept');
  await new Promise((resolve) => setTimeout(resolve, 120));
  await cache.get('a');
  t.is(reads, 2, 'read again after the TTL');
  fail = true;
  await t.throwsAsync(cache.get('b'));
  fail = false;
  await cache.get('b');
  t.is(reads, 4, 'a failed read is not kept');
  await cache.get('c');
  t.is(cache.size, 2);
  await cache.get('a');
  t.is(reads, 6, 'the oldest entry went first');
});
