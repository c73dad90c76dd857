import test from 'ava';
import { DEDUP_WINDOW, EventDeduplicator, type DedupState } from '../../workflows/dedup.ts';
import type { ChannelEventName } from '../../contracts/messages.ts';

const ev = (uuid: string, coreUuid: string, seq: number, name: ChannelEventName = 'CHANNEL_ANSWER') => ({
  uuid,
  coreUuid,
  seq,
  name,
});

test('dedup: the first event of a channel is new; the same (core, sequence) again is dropped', (t) => {
  const d = new EventDeduplicator();
  t.true(d.isNew(ev('leg-a', 'core-1', 10)));
  t.false(d.isNew(ev('leg-a', 'core-1', 10)));
  t.false(d.isNew(ev('leg-a', 'core-1', 10, 'CHANNEL_HANGUP_COMPLETE')));
});

test('dedup: a lower sequence from the same core is dropped, a higher one is new', (t) => {
  const d = new EventDeduplicator();
  t.true(d.isNew(ev('leg-a', 'core-1', 10)));
  t.false(d.isNew(ev('leg-a', 'core-1', 9)));
  t.false(d.isNew(ev('leg-a', 'core-1', 1)));
  t.true(d.isNew(ev('leg-a', 'core-1', 11)));
  t.true(d.isNew(ev('leg-a', 'core-1', 25)));
  t.false(d.isNew(ev('leg-a', 'core-1', 11)));
  t.false(d.isNew(ev('leg-a', 'core-1', 24)));
});

test('dedup: sequences are per channel (not in order across channels)', (t) => {
  const d = new EventDeduplicator();
  t.true(d.isNew(ev('leg-a', 'core-1', 100)));
  t.true(d.isNew(ev('leg-b', 'core-1', 50)));
  t.true(d.isNew(ev('leg-c', 'core-1', 100)));
  t.true(d.isNew(ev('leg-a', 'core-1', 101)));
  t.false(d.isNew(ev('leg-b', 'core-1', 50)));
  t.true(d.isNew(ev('leg-b', 'core-1', 51)));
});

test('dedup: two ingests interleaving the same stream deliver each event once', (t) => {
  const d = new EventDeduplicator();
  const stream = [ev('a', 'c', 1), ev('b', 'c', 2), ev('a', 'c', 3), ev('b', 'c', 4), ev('a', 'c', 5)];
  // ingest 2 lags one event behind ingest 1
  const order = [0, 1, 0, 2, 1, 3, 2, 4, 3, 4];
  const delivered = order
    .map((i) => stream[i]!)
    .filter((e) => d.isNew(e))
    .map((e) => e.seq);
  t.deepEqual(delivered, [1, 2, 3, 4, 5]);
});

test('dedup: a new Core-UUID (the switch restarted) starts the channel over, even with a lower sequence', (t) => {
  const d = new EventDeduplicator();
  t.true(d.isNew(ev('leg-a', 'core-1', 500)));
  t.true(d.isNew(ev('leg-a', 'core-2', 3)));
  t.false(d.isNew(ev('leg-a', 'core-2', 3)));
  t.false(d.isNew(ev('leg-a', 'core-2', 2)));
  t.true(d.isNew(ev('leg-a', 'core-2', 4)));
  t.deepEqual(d.snapshot(), { last: { 'leg-a': { 'core-1': 500, 'core-2': 4 } } });
});

// Around a switch restart (a recovered channel keeps its UUID), a lagging second ingest may still deliver the old
// core's events: each core's sequence is remembered, so those duplicates are dropped too.
test('dedup: a late duplicate from the previous Core-UUID is still dropped after a restart', (t) => {
  const d = new EventDeduplicator();
  t.true(d.isNew(ev('leg-a', 'core-1', 500)));
  t.true(d.isNew(ev('leg-a', 'core-2', 3)));
  t.false(d.isNew(ev('leg-a', 'core-1', 500)));
  t.false(d.isNew(ev('leg-a', 'core-2', 3)));
});

test('dedup: synthetic SNAPSHOT and GONE are always new and do not move the record', (t) => {
  const d = new EventDeduplicator();
  t.true(d.isNew(ev('leg-a', 'core-1', 10)));
  for (const name of ['SNAPSHOT', 'GONE'] as const) {
    t.true(d.isNew(ev('leg-a', 'core-1', 10, name)));
    t.true(d.isNew(ev('leg-a', 'core-1', 10, name)));
    t.true(d.isNew(ev('leg-a', '', 0, name)));
    t.true(d.isNew(ev('leg-new', '', 0, name)));
  }
  t.deepEqual(d.snapshot(), { last: { 'leg-a': { 'core-1': 10 } } });
  t.false(d.isNew(ev('leg-a', 'core-1', 10)));
  t.true(d.isNew(ev('leg-new', 'core-1', 1)));
});

test('dedup: snapshot is a copy — later events do not change it', (t) => {
  const d = new EventDeduplicator();
  d.isNew(ev('leg-a', 'core-1', 1));
  const snap = d.snapshot();
  d.isNew(ev('leg-a', 'core-1', 2));
  d.isNew(ev('leg-b', 'core-1', 7));
  t.deepEqual(snap, { last: { 'leg-a': { 'core-1': 1 } } });
  t.deepEqual(d.snapshot(), {
    last: { 'leg-a': { 'core-1': 2 }, 'leg-b': { 'core-1': 7 } },
  });
});

test('dedup: a deduplicator restored from a snapshot drops what was seen and keeps going', (t) => {
  const d = new EventDeduplicator();
  d.isNew(ev('leg-a', 'core-1', 5));
  d.isNew(ev('leg-b', 'core-1', 9));
  const restored = new EventDeduplicator(structuredClone(d.snapshot()) as DedupState);
  t.false(restored.isNew(ev('leg-a', 'core-1', 5)));
  t.false(restored.isNew(ev('leg-b', 'core-1', 8)));
  t.true(restored.isNew(ev('leg-a', 'core-1', 6)));
  t.true(restored.isNew(ev('leg-b', 'core-2', 1)));
  t.true(restored.isNew(ev('leg-c', 'core-1', 1)));
  // the original is independent of the restored one
  t.true(d.isNew(ev('leg-a', 'core-1', 6)));
});

test('dedup: the snapshot survives JSON (as workflow state would)', (t) => {
  const d = new EventDeduplicator();
  d.isNew(ev('leg-a', 'core-1', 5));
  const restored = new EventDeduplicator(JSON.parse(JSON.stringify(d.snapshot())) as DedupState);
  t.false(restored.isNew(ev('leg-a', 'core-1', 5)));
  t.true(restored.isNew(ev('leg-a', 'core-1', 6)));
});

test('dedup: a fresh deduplicator has an empty snapshot', (t) => {
  t.deepEqual(new EventDeduplicator().snapshot(), { last: {} });
});

test('dedup window: an earlier event never seen is late, a copy of one seen is dropped', (t) => {
  const d = new EventDeduplicator();
  t.is(d.classify(ev('leg-a', 'core-1', 50, 'DTMF')), 'new');
  // The other ingest's held events: the channel's creation and the first digits, all before the 50.
  t.is(d.classify(ev('leg-a', 'core-1', 10, 'CHANNEL_CREATE')), 'late');
  t.is(d.classify(ev('leg-a', 'core-1', 41, 'DTMF')), 'late');
  t.is(d.classify(ev('leg-a', 'core-1', 41, 'DTMF')), 'seen');
  t.is(d.classify(ev('leg-a', 'core-1', 50, 'DTMF')), 'seen');
  t.is(d.classify(ev('leg-a', 'core-1', 51, 'DTMF')), 'new');
});

test('dedup window: a late state change older than one taken is stale; a late key press never is', (t) => {
  const d = new EventDeduplicator();
  t.is(d.classify(ev('leg-a', 'core-1', 20, 'CHANNEL_UNBRIDGE')), 'new');
  t.is(d.classify(ev('leg-a', 'core-1', 10, 'CHANNEL_BRIDGE')), 'stale');
  t.is(d.classify(ev('leg-a', 'core-1', 12, 'DTMF')), 'late');
  t.is(d.classify(ev('leg-a', 'core-1', 30, 'DTMF')), 'new');
  t.is(d.classify(ev('leg-a', 'core-1', 25, 'CHANNEL_BRIDGE')), 'late', 'after the last state change taken');
});

test('dedup window: bounded; older than the window counts as seen; carried across continue-as-new', (t) => {
  const d = new EventDeduplicator();
  const top = 1000 + DEDUP_WINDOW * 4;
  for (let seq = 1000; seq < top; seq += 2) t.is(d.classify(ev('leg-a', 'c', seq, 'DTMF')), 'new');
  const state = d.snapshot();
  t.is(state.seen?.['leg-a']?.['c']?.length, DEDUP_WINDOW);
  const next = new EventDeduplicator(JSON.parse(JSON.stringify(state)) as DedupState);
  t.is(next.classify(ev('leg-a', 'c', 1001, 'DTMF')), 'seen', 'below the window');
  t.is(next.classify(ev('leg-a', 'c', top - 3, 'DTMF')), 'late', 'a gap within the window');
  t.is(next.classify(ev('leg-a', 'c', top - 2, 'DTMF')), 'seen');
});

test('dedup window: a state kept before windows existed keeps the highest-sequence rule', (t) => {
  const d = new EventDeduplicator({ last: { 'leg-a': { c: 50 } } });
  t.is(d.classify(ev('leg-a', 'c', 40, 'DTMF')), 'seen');
  t.is(d.classify(ev('leg-a', 'c', 51, 'DTMF')), 'new');
  t.is(d.classify(ev('leg-b', 'c', 5, 'DTMF')), 'new', 'a channel first met gets its window');
  t.is(d.classify(ev('leg-b', 'c', 4, 'DTMF')), 'late');
});
