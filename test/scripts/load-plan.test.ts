// The load benchmark's pure parts (bench/load-plan.ts): the arrival schedule, the mix, the verdict on a rate step,
// the audit of one leg, the metrics reader and the last line. The benchmark itself gives figures, not a test.
import test from 'ava';
import {
  DEFAULT_MIX,
  arrivals,
  auditLeg,
  reachesCallWorkflow,
  drawKind,
  highestSustained,
  judgeStep,
  loadLine,
  metricSum,
  parseMix,
  parseRates,
  transferShare,
  type CallRecord,
  type StepInput,
} from '../../bench/load-plan.ts';
import { Rng } from '../../simulator/random.ts';

test('arrivals: open loop at the asked rate, ascending, within the window, seeded', (t) => {
  const a = arrivals(4, 600_000, new Rng(7));
  // 2,400 expected; a Poisson count's standard deviation is ~49.
  t.true(a.length > 2250 && a.length < 2550, `${a.length} arrivals`);
  t.true(a.every((x, i) => x >= 0 && x < 600_000 && (i === 0 || x >= a[i - 1]!)));
  t.deepEqual(arrivals(4, 10_000, new Rng(7)), arrivals(4, 10_000, new Rng(7)));
  t.notDeepEqual(arrivals(4, 10_000, new Rng(7)), arrivals(4, 10_000, new Rng(8)));
  // Gaps are exponential: about as many above the mean gap (250 ms) as e^-1 of them.
  const gaps = a.slice(1).map((x, i) => x - a[i]!);
  const above = gaps.filter((g) => g > 250).length / gaps.length;
  t.true(above > 0.32 && above < 0.42, `share of gaps above the mean: ${above}`);
  t.throws(() => arrivals(0, 1000, new Rng(1)), { message: /above 0/ });
});

test('mix: parsed, drawn in proportion, transfer share', (t) => {
  t.deepEqual(parseMix('plain=3, attended=1'), { plain: 3, attended: 1 });
  t.throws(() => parseMix('plain=3,blind=1'), { message: /unknown kind blind/ });
  t.throws(() => parseMix('plain'), { message: /kind=weight/ });
  t.throws(() => parseMix('plain=0'), { message: /every weight is 0/ });
  const rng = new Rng(3);
  const n = 20_000;
  let plain = 0;
  for (let i = 0; i < n; i++) if (drawKind({ plain: 3, attended: 1 }, rng) === 'plain') plain++;
  t.true(Math.abs(plain / n - 0.75) < 0.02, `plain share ${plain / n}`);
  t.is(transferShare({ plain: 3, attended: 1 }), 0.25);
  t.is(transferShare(DEFAULT_MIX), 0.3);
});

test('rates: sorted, positive', (t) => {
  t.deepEqual(parseRates('4,1,2.5'), [1, 2.5, 4]);
  t.throws(() => parseRates('1,0'), { message: /above 0/ });
  t.throws(() => parseRates('1,x'), { message: /above 0/ });
});

const ok = (kind: CallRecord['kind'] = 'plain'): CallRecord => ({
  kind,
  ok: true,
  verdict: 'ok',
  detail: '',
  latencies: {},
  legs: ['a', 'b'],
});
const quiet = { received: 100, delivered: 90, refused: 0, late: 0, queuedAtEnd: 0 };

test('a step is sustained only when every call reached its outcome and nothing was lost, stuck or misrouted', (t) => {
  const base: StepInput = { rate: 2, durationS: 60, calls: [ok(), ok('attended')], ingest: quiet, stuck: 0 };
  t.true(judgeStep(base).sustained);
  const failed = judgeStep({
    ...base,
    calls: [ok(), { ...ok('busy'), ok: false, verdict: 'stranded', detail: 'the transferee heard music' }],
  });
  t.false(failed.sustained);
  t.is(failed.failedCalls, 1);
  t.regex(failed.reasons[0]!, /1 of 2 calls .*stranded ×1.*stranded: busy: the transferee heard music/);
  const mixed = judgeStep({
    ...base,
    calls: [
      { ...ok('rest-cancel'), ok: false, verdict: 'press_lost', detail: 'late cancel' },
      { ...ok('rest-cancel'), ok: false, verdict: 'press_lost', detail: 'late cancel again' },
      { ...ok('attended'), ok: false, verdict: 'stranded', detail: 'carol left ringing' },
    ],
  });
  t.regex(mixed.reasons[0]!, /press_lost ×2, stranded ×1/);
  t.regex(mixed.reasons[0]!, /press_lost: rest-cancel: late cancel \| stranded: attended: carol left ringing/);
  t.notRegex(mixed.reasons[0]!, /again/);
  t.false(judgeStep({ ...base, ingest: { ...quiet, refused: 3 } }).sustained);
  t.is(judgeStep({ ...base, ingest: { ...quiet, queuedAtEnd: 2 } }).lost, 2);
  t.false(judgeStep({ ...base, stuck: 1 }).sustained);
  t.false(judgeStep({ ...base, calls: [] }).sustained);
  const audited = judgeStep({
    ...base,
    audit: { legs: 4, events: 40, lost: 1, misrouted: 2, reordered: 0, unreadable: 0, examples: [] },
  });
  t.false(audited.sustained);
  t.is(audited.lost, 1);
  t.is(audited.misrouted, 2);
  // Late drops (events after a call's workflow closed) are not losses.
  t.true(judgeStep({ ...base, ingest: { ...quiet, late: 5 } }).sustained);
});

test('highest sustained: the highest rate that passed, not the last one run', (t) => {
  const v = (sustained: boolean) => ({ sustained, reasons: [], failedCalls: 0, lost: 0, misrouted: 0 });
  const steps = [
    { rate: 1, verdict: v(true) },
    { rate: 2, verdict: v(true) },
    { rate: 3, verdict: v(false) },
  ];
  t.is(highestSustained(steps)?.rate, 2);
  t.is(highestSustained([{ rate: 1, verdict: v(false) }]), undefined);
});

test('audit of a leg: missing events are lost, events about another channel misrouted, copies counted once', (t) => {
  const ev = (name: string, seq: number, uuid = 'leg1') => ({ name, uuid, seq });
  const seen = { CHANNEL_CREATE: 1, CHANNEL_ANSWER: 1, DTMF: 2, CHANNEL_HANGUP_COMPLETE: 1 };
  const all = [ev('CHANNEL_CREATE', 1), ev('CHANNEL_ANSWER', 2), ev('DTMF', 3), ev('DTMF', 4)];
  t.deepEqual(auditLeg('leg1', seen, [...all, ev('CHANNEL_HANGUP_COMPLETE', 5)]), {
    lost: 0,
    misrouted: 0,
    reordered: 0,
    detail: undefined,
  });
  // An HA pair's second copy of DTMF #3 does not make up for the lost #4.
  const a = auditLeg('leg1', seen, [...all.slice(0, 3), ev('DTMF', 3), ev('CHANNEL_HANGUP_COMPLETE', 5)]);
  t.is(a.lost, 1);
  t.regex(a.detail!, /missing DTMF ×1/);
  const b = auditLeg('leg1', seen, [...all, ev('CHANNEL_HANGUP_COMPLETE', 5), ev('DTMF', 9, 'other-leg')]);
  t.is(b.misrouted, 1);
  t.regex(b.detail!, /about other channels: DTMF other-l/);
  // Two key presses delivered the wrong way round: the later one is out of order; a late copy is not.
  const c = auditLeg('leg1', seen, [
    ev('CHANNEL_CREATE', 1),
    ev('CHANNEL_ANSWER', 2),
    ev('DTMF', 4),
    ev('DTMF', 3),
    ev('CHANNEL_ANSWER', 2),
    ev('CHANNEL_HANGUP_COMPLETE', 5),
  ]);
  t.is(c.reordered, 1);
  t.is(c.lost, 0);
  t.regex(c.detail!, /1 out of switch order/);
  t.false(
    judgeStep({
      rate: 1,
      durationS: 60,
      calls: [ok()],
      ingest: quiet,
      stuck: 0,
      audit: { legs: 1, events: 6, lost: 0, misrouted: 0, reordered: 1, unreadable: 0, examples: [] },
    }).sustained,
  );
});

test('metrics: summed over the series whose labels match', (t) => {
  const text = [
    '# HELP handoff_ingest_events_dropped_total x',
    '# TYPE handoff_ingest_events_dropped_total counter',
    'handoff_ingest_events_dropped_total{node="fs1",reason="duplicate"} 7',
    'handoff_ingest_events_dropped_total{node="fs1",reason="refused"} 2',
    'handoff_ingest_events_dropped_total{node="fs2",reason="refused"} 3',
    'handoff_ingest_events_total{node="fs1"} 1200',
    'handoff_ingest_delivery_seconds_count{node="fs1"} 1100',
    'handoff_ingest_delivery_seconds_bucket{node="fs1",le="0.1"} 900',
  ].join('\n');
  t.is(metricSum(text, 'handoff_ingest_events_dropped_total', { reason: 'refused' }), 5);
  t.is(metricSum(text, 'handoff_ingest_events_total'), 1200);
  t.is(metricSum(text, 'handoff_ingest_delivery_seconds_count'), 1100);
  t.is(metricSum(text, 'handoff_ingest_queue_depth'), 0);
});

test('the last line', (t) => {
  t.is(
    loadLine({ rate: 4, transferShare: 0.3, lost: 0, consultP99: 181.4, floorP50: 22.6 }),
    'load: sustained 4 calls/s (1.2 transfers/s), 0 lost, p99 answer→bridge 181 ms (8.0× floor)',
  );
  t.is(loadLine({ rate: 0.5, transferShare: 0.25, consultP99: Number.NaN, floorP50: 20 }).includes('0.13'), true);
  t.is(loadLine({ transferShare: 0.3 }), 'load: no rate sustained (see the report)');
});

/** A switch's bridge or unbridge of `leg` between `a` and `b`, with a transfer's mark (a channel variable) if given. */
const bridging =
  (name: 'CHANNEL_BRIDGE' | 'CHANNEL_UNBRIDGE', markVariable: string) =>
  (leg: string, a: string, b: string, mark?: string) => ({
    name,
    headers: {
      'Unique-ID': leg,
      'Bridge-A-Unique-ID': a,
      'Bridge-B-Unique-ID': b,
      ...(mark ? { [markVariable]: mark } : {}),
    },
  });

test('audit: a transferee’s bridge to its transfer’s target is not expected in its call workflow; to the transferor it is', (t) => {
  const transferId = 'transfer:alice:bob';
  const bridge = bridging('CHANNEL_BRIDGE', 'variable_handoff_transferee_of');
  t.false(reachesCallWorkflow(bridge('bob', 'bob', 'carol', transferId)), 'the end of the transfer says it');
  t.false(reachesCallWorkflow(bridge('bob', 'carol', 'bob', transferId)));
  t.true(reachesCallWorkflow(bridge('bob', 'bob', 'alice', transferId)), 'a takeback’s bridge goes');
  t.true(reachesCallWorkflow(bridge('alice', 'alice', 'carol')), 'the transferor’s consultation goes');
  t.true(reachesCallWorkflow(bridge('bob', 'bob', 'carol')), 'no transfer holds bob');
  t.true(
    reachesCallWorkflow({ name: 'DTMF', headers: { 'Unique-ID': 'bob', variable_handoff_transferee_of: transferId } }),
  );
});

test('audit: the hold’s unbridge of a transfer’s two parties is not expected in their call workflows; another unbridge is', (t) => {
  const transferId = 'transfer:alice:bob';
  const unbridge = bridging('CHANNEL_UNBRIDGE', 'variable_handoff_active_transfer');
  t.false(reachesCallWorkflow(unbridge('alice', 'alice', 'bob', transferId)), 'the hold, on the transferor');
  t.false(reachesCallWorkflow(unbridge('bob', 'alice', 'bob', transferId)), 'the hold, on the transferee');
  t.true(reachesCallWorkflow(unbridge('alice', 'alice', 'carol', transferId)), 'a takeback unbridges the target');
  t.true(reachesCallWorkflow(unbridge('alice', 'alice', 'bob')), 'no transfer: a plain unbridge goes');
  t.true(reachesCallWorkflow(unbridge('alice', 'alice', 'bob', 'transfer:alice:dave')), 'another transfer’s parties');
  t.true(
    reachesCallWorkflow({ name: 'CHANNEL_UNBRIDGE', headers: { 'Unique-ID': 'bob', 'Other-Leg-Unique-ID': 'alice' } }),
  );
});
