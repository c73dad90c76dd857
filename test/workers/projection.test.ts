// The live-channel projection (workers/ingest/projection.ts) over a real SQLite store: a hung-up leg leaves the list
// and stays out of it whatever order the events arrive in, its own late events, a peer's events naming it, or a
// reconciliation that listed it just before it hung up.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { ProjectionWriter } from '../../workers/ingest/projection.ts';
import type { ChannelRecord, Store } from '../../store/index.ts';
import { tempStore } from '../store/temp-db.ts';
import { testLogger as logger } from './silent-logger.ts';

const node = 'fs1';
let seq = 0;

function ev(name: ChannelEvent['name'], uuid: string, at: number, extra: Partial<ChannelEvent> = {}): ChannelEvent {
  return { name, uuid, coreUuid: 'core', seq: ++seq, at, node, leg: { accountId: 'acc' }, ...extra };
}

function projection(t: ExecutionContext): { writer: ProjectionWriter; store: Store; errors: () => number } {
  const store = tempStore(t);
  let errors = 0;
  const writer = new ProjectionWriter({ store, node, logger, onError: () => errors++ });
  return { writer, store, errors: () => errors };
}

async function rows(store: Store): Promise<Record<string, string | null>> {
  const list = await store.listNodeChannels(node);
  return Object.fromEntries(list.map((r) => [r.callId, r.bridgedTo]));
}

test('in order: created, answered, bridged, hung up: gone from the list, the peer bridged to nobody', async (t) => {
  const { writer, store } = projection(t);
  writer.apply(ev('CHANNEL_CREATE', 'a', 1000));
  writer.apply(ev('CHANNEL_CREATE', 'b', 1001));
  writer.apply(ev('CHANNEL_BRIDGE', 'a', 1002, { otherLeg: 'b' }));
  await writer.flushed();
  t.deepEqual(await rows(store), { a: 'b', b: 'a' });
  writer.apply(ev('CHANNEL_HANGUP_COMPLETE', 'a', 1003));
  await writer.flushed();
  t.deepEqual(await rows(store), { b: null });
});

test('a hangup before the leg’s own late CREATE and ANSWER: the leg does not come back', async (t) => {
  const { writer, store } = projection(t);
  writer.apply(ev('CHANNEL_HANGUP_COMPLETE', 'a', 1003));
  writer.apply(ev('CHANNEL_CREATE', 'a', 1000));
  writer.apply(ev('CHANNEL_ANSWER', 'a', 1001, { answerState: 'answered' }));
  writer.apply(ev('CHANNEL_PARK', 'a', 1002));
  await writer.flushed();
  t.deepEqual(await rows(store), {});
});

test('a peer’s late BRIDGE naming a leg that has hung up: the peer is not shown bridged to it', async (t) => {
  const { writer, store } = projection(t);
  writer.apply(ev('CHANNEL_CREATE', 'b', 1000));
  writer.apply(ev('CHANNEL_CREATE', 'a', 1001));
  // The switch's dispatch threads delivered a's hangup before b's bridge to it.
  writer.apply(ev('CHANNEL_HANGUP_COMPLETE', 'a', 1003));
  writer.apply(ev('CHANNEL_BRIDGE', 'b', 1002, { otherLeg: 'a', bridgeA: 'b', bridgeB: 'a' }));
  await writer.flushed();
  t.deepEqual(await rows(store), { b: null });
});

test('a reconciliation that listed a leg just before its hangup does not bring it back', async (t) => {
  const { writer, store } = projection(t);
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
