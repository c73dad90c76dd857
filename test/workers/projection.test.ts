// The live-channel projection (workers/ingest/projection.ts) over a real store of each engine: a hung-up leg leaves the
// list and stays out of it whatever order the events arrive in, its own late events, a peer's events naming it, a
// reconciliation that listed it just before it hung up, or a second ingest's late write. Writes are batched, held
// while the store fails, and dropped past the buffer's bound (the node is then reconciled).
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { ProjectionWriter } from '../../workers/ingest/projection.ts';
import type { ChannelRecord, ChannelWrites, Store } from '../../store/index.ts';
import { bothEngines, engineStore, rawDatabase, type Engine } from '../store/engines.ts';
import { testLogger as logger } from './silent-logger.ts';

const node = 'fs1';
let seq = 0;

function ev(name: ChannelEvent['name'], uuid: string, at: number, extra: Partial<ChannelEvent> = {}): ChannelEvent {
  return { name, uuid, coreUuid: 'core', seq: ++seq, at, node, leg: { accountId: 'acc' }, ...extra };
}

async function projection(
  t: ExecutionContext,
  engine: Engine,
): Promise<{ writer: ProjectionWriter; store: Store; errors: () => number }> {
  const store = await engineStore(t, engine);
  let errors = 0;
  const writer = new ProjectionWriter({ store, node, logger, onError: () => errors++ });
  return { writer, store, errors: () => errors };
}

async function rows(store: Store): Promise<Record<string, string | null>> {
  const list = await store.listNodeChannels(node);
  return Object.fromEntries(list.map((r) => [r.callId, r.bridgedTo]));
}

bothEngines(
  'in order: created, answered, bridged, hung up: gone from the list, the peer bridged to nobody',
  async (t, engine) => {
    const { writer, store } = await projection(t, engine);
    writer.apply(ev('CHANNEL_CREATE', 'a', 1000));
    writer.apply(ev('CHANNEL_CREATE', 'b', 1001));
    writer.apply(ev('CHANNEL_BRIDGE', 'a', 1002, { otherLeg: 'b' }));
    await writer.flushed();
    t.deepEqual(await rows(store), { a: 'b', b: 'a' });
    writer.apply(ev('CHANNEL_HANGUP_COMPLETE', 'a', 1003));
    await writer.flushed();
    t.deepEqual(await rows(store), { b: null });
  },
);

bothEngines('a hangup before the leg’s own late CREATE and ANSWER: the leg does not come back', async (t, engine) => {
  const { writer, store } = await projection(t, engine);
  writer.apply(ev('CHANNEL_HANGUP_COMPLETE', 'a', 1003));
  writer.apply(ev('CHANNEL_CREATE', 'a', 1000));
  writer.apply(ev('CHANNEL_ANSWER', 'a', 1001, { answerState: 'answered' }));
  writer.apply(ev('CHANNEL_PARK', 'a', 1002));
  await writer.flushed();
  t.deepEqual(await rows(store), {});
});

bothEngines(
  'a peer’s late BRIDGE naming a leg that has hung up: the peer is not shown bridged to it',
  async (t, engine) => {
    const { writer, store } = await projection(t, engine);
    writer.apply(ev('CHANNEL_CREATE', 'b', 1000));
    writer.apply(ev('CHANNEL_CREATE', 'a', 1001));
    // The switch's dispatch threads delivered a's hangup before b's bridge to it.
    writer.apply(ev('CHANNEL_HANGUP_COMPLETE', 'a', 1003));
    writer.apply(ev('CHANNEL_BRIDGE', 'b', 1002, { otherLeg: 'a', bridgeA: 'b', bridgeB: 'a' }));
    await writer.flushed();
    t.deepEqual(await rows(store), { b: null });
  },
);

bothEngines('a reconciliation that listed a leg just before its hangup does not bring it back', async (t, engine) => {
  const { writer, store } = await projection(t, engine);
  writer.apply(ev('CHANNEL_CREATE', 'a', 1000));
  writer.apply(ev('CHANNEL_CREATE', 'b', 1000));
  writer.apply(ev('CHANNEL_BRIDGE', 'a', 1001, { otherLeg: 'b' }));
  await writer.flushed();
  // `show channels` saw a and b bridged; a's hangup is applied before the reconciliation writes what it saw (stamped
  // with the ingest's clock, as reconcile.ts does).
  const now = Date.now();
  const seen: ChannelRecord[] = ['a', 'b'].map((id) => ({
    callId: id,
    node,
    accountId: 'acc',
    answered: true,
    bridgedTo: id === 'a' ? 'b' : 'a',
    createdAt: 1000,
    updatedAt: now,
  }));
  writer.apply(ev('CHANNEL_HANGUP_COMPLETE', 'a', 1003));
  await writer.reconcile(seen);
  await writer.flushed();
  t.deepEqual(await rows(store), { b: null });
});

bothEngines(
  'two ingests on one node: a late write of one after the other removed the channel does not bring it back',
  async (t, engine) => {
    const raw = await rawDatabase(t, engine);
    await raw.migrate((await import('../../store/migrations.ts')).MIGRATIONS);
    const [storeA, storeB] = [await raw.open(), await raw.open()];
    const a = new ProjectionWriter({ store: storeA, node, logger, onError: () => t.fail('write failed') });
    const b = new ProjectionWriter({ store: storeB, node, logger, onError: () => t.fail('write failed') });
    a.apply(ev('CHANNEL_CREATE', 'x', 1000));
    await a.flushed();
    a.apply(ev('CHANNEL_HANGUP_COMPLETE', 'x', 1003));
    await a.flushed();
    // The second ingest heard x's answer late: its writer knows nothing of the hangup.
    b.apply(ev('CHANNEL_ANSWER', 'x', 1002, { answerState: 'answered' }));
    b.apply(ev('CHANNEL_ANSWER', 'x', 5000, { answerState: 'answered' }));
    await b.flushed();
    t.deepEqual(await rows(storeA), {});
    t.is(await storeB.getChannel('x'), undefined);
  },
);

/** A real store whose batches are counted, and that fails while `down` is set (as a database restarting does). */
function flakyStore(store: Store): { store: Store; batches: ChannelWrites[]; setDown(down: boolean): void } {
  const batches: ChannelWrites[] = [];
  let down = false;
  const wrapped: Store = Object.create(store) as Store;
  wrapped.writeChannels = async (writes) => {
    if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    batches.push(writes);
    return store.writeChannels(writes);
  };
  return { store: wrapped, batches, setDown: (d) => void (down = d) };
}

bothEngines('a burst of events is written in a few batches, one row per channel each', async (t, engine) => {
  const flaky = flakyStore(await engineStore(t, engine));
  const writer = new ProjectionWriter({ store: flaky.store, node, logger, onError: () => t.fail('write failed') });
  for (let i = 0; i < 300; i++) {
    writer.apply(ev('CHANNEL_CREATE', `c${i}`, 1000 + i));
    writer.apply(ev('CHANNEL_ANSWER', `c${i}`, 1000 + i, { answerState: 'answered' }));
  }
  for (let i = 0; i < 300; i += 2) writer.apply(ev('CHANNEL_BRIDGE', `c${i}`, 2000 + i, { otherLeg: `c${i + 1}` }));
  for (let i = 0; i <= 100; i++) writer.apply(ev('CHANNEL_HANGUP_COMPLETE', `c${i}`, 3000 + i));
  await writer.flushed();
  t.true(flaky.batches.length <= 2, `${flaky.batches.length} batches for 851 events`);
  const list = await flaky.store.listNodeChannels(node);
  t.is(list.length, 199);
  t.true(list.every((r) => r.answered));
  t.is((await flaky.store.getChannel('c150'))?.bridgedTo, 'c151');
  t.is((await flaky.store.getChannel('c101'))?.bridgedTo, null);
});

bothEngines(
  'while the store fails, writes are held and tried again; then written, latest state only',
  async (t, engine) => {
    const flaky = flakyStore(await engineStore(t, engine));
    let errors = 0;
    const writer = new ProjectionWriter({ store: flaky.store, node, logger, onError: () => errors++ });
    flaky.setDown(true);
    writer.apply(ev('CHANNEL_CREATE', 'a', 1000));
    writer.apply(ev('CHANNEL_CREATE', 'b', 1000));
    writer.apply(ev('CHANNEL_BRIDGE', 'a', 1001, { otherLeg: 'b' }));
    writer.apply(ev('CHANNEL_CREATE', 'gone', 1001));
    await new Promise((resolve) => setTimeout(resolve, 400));
    writer.apply(ev('CHANNEL_HANGUP_COMPLETE', 'gone', 1002));
    t.true(errors >= 2);
    t.is(writer.buffered, 3);
    t.deepEqual(await rows(flaky.store), {});
    flaky.setDown(false);
    await writer.flushed();
    t.deepEqual(await rows(flaky.store), { a: 'b', b: 'a' });
    t.is(writer.buffered, 0);
  },
);

test('past the buffer bound the held writes are dropped and the node asks for a reconciliation', async (t) => {
  const flaky = flakyStore(await engineStore(t, 'sqlite'));
  let overflows = 0;
  const writer = new ProjectionWriter({
    store: flaky.store,
    node,
    logger,
    onError: () => undefined,
    onOverflow: () => overflows++,
    maxBuffered: 50,
  });
  flaky.setDown(true);
  for (let i = 0; i < 40; i++) writer.apply(ev('CHANNEL_CREATE', `c${i}`, 1000));
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.is(overflows, 0);
  for (let i = 40; i < 60; i++) writer.apply(ev('CHANNEL_CREATE', `c${i}`, 1000));
  await new Promise((resolve) => setTimeout(resolve, 700));
  t.is(overflows, 1);
  t.is(writer.dropped, 60);
  t.is(writer.buffered, 0);
  flaky.setDown(false);
  // What follows is written as usual; the reconciliation the ingest runs rewrites the rest from the switch.
  writer.apply(ev('CHANNEL_ANSWER', 'c59', 2000, { answerState: 'answered' }));
  await writer.flushed();
  t.deepEqual(Object.keys(await rows(flaky.store)), ['c59']);
});
