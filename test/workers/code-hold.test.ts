// The ingest's hold of a feature code's key presses (workers/ingest/code-hold.ts): when they leave, in what order, and
// what the last one says. Real timers, with digit timeouts of tens of ms.
import test, { type ExecutionContext } from 'ava';
import type { LegPolicy } from '../../activities/policy.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import type { Metaflows } from '../../contracts/metaflows.ts';
import { CLOCKS_APART_MS, CodeHold } from '../../workers/ingest/code-hold.ts';
import type { Delivery } from '../../workers/ingest/queue.ts';

type CallDelivery = Extract<Delivery, { kind: 'call' }>;

const LEG = 'leg-a';
const PEER = 'leg-b';
const TIMEOUT = 150;

function policy(metaflows: Partial<Metaflows> = {}): LegPolicy {
  const flows: Metaflows = {
    binding_digit: '*',
    digit_timeout: TIMEOUT,
    patterns: { '^2(\\d+)$': { module: 'transfer' } },
    ...metaflows,
  };
  return { sets: [{ owner: 'self', ownerLeg: LEG, metaflows: flows }], defaultDigitTimeoutMs: 800, peer: PEER };
}

let seq = 0;
function event(name: string, extra: Partial<ChannelEvent> = {}): ChannelEvent {
  seq += 1;
  return { name, uuid: LEG, coreUuid: 'core', seq, at: Date.now(), node: 'n1', ...extra } as ChannelEvent;
}
const key = (digit: string, at = Date.now()): CallDelivery => ({
  kind: 'call',
  uuid: LEG,
  event: event('DTMF', { digit, at }),
});
const other = (name: string, extra: Partial<ChannelEvent> = {}): CallDelivery => ({
  kind: 'call',
  uuid: LEG,
  event: event(name, extra),
});

const UNSURE_WAIT = 100;

const UNSURE_TIMEOUT_MAX = 250;

function harness(
  read: () => Promise<LegPolicy> = async () => policy(),
  readWaitMs?: number,
  listeningSince?: () => number,
) {
  const sent: CallDelivery[] = [];
  let reads = 0;
  const hold = new CodeHold({
    ...(readWaitMs !== undefined ? { readWaitMs } : {}),
    ...(listeningSince ? { listeningSince, unsureWaitMs: UNSURE_WAIT, unsureTimeoutMaxMs: UNSURE_TIMEOUT_MAX } : {}),
    send: (d) => sent.push(d),
    read: () => {
      reads += 1;
      return read();
    },
  });
  const digits = () => sent.map((d) => d.event?.digit ?? d.event?.name).join('');
  return { hold, sent, digits, reads: () => reads };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Presses `digits` `gapMs` apart, as a phone does. */
async function type(hold: CodeHold, digits: string, gapMs = 10, party = false): Promise<void> {
  for (const d of digits) {
    hold.offer(key(d), party);
    await sleep(gapMs);
  }
}

test('the binding digit goes at once; the rest of the code as one delivery after the digit timeout, its last press saying how long the leg was quiet', async (t) => {
  const h = harness();
  await type(h.hold, '*22600');
  t.is(h.digits(), '*', 'the binding digit: the workflow reads the codes at it');
  t.is(h.hold.heldFor(LEG), 5, 'the rest waits while the code may go on');
  const first = h.sent.length;
  await sleep(TIMEOUT + 60);
  t.is(h.digits(), '*22600', 'every press, in order');
  t.is(h.sent.length - first, 5);
  const last = h.sent.at(-1)!.event!;
  t.true(last.quietMs! >= TIMEOUT, `quiet ${last.quietMs} ms covers the timeout`);
  t.true(
    h.sent.slice(0, -1).every((d) => d.event!.quietMs === undefined),
    'only the last press says it',
  );
  t.is(h.hold.held, 0);
  t.is(h.reads(), 1, 'the codes are read once, at the first press');
});

test('a code the collector decides at a press leaves at once: the terminator, a declared length', async (t) => {
  const h = harness();
  await type(h.hold, '*2600#');
  t.is(h.digits(), '*2600#', 'the terminator sends it');
  t.true(h.sent.every((d) => d.event!.quietMs === undefined));
  const d = harness(async () => policy({ patterns: { '^2(\\d+)$': { module: 'transfer', digits: 5 } } }));
  await type(d.hold, '*22600');
  t.is(d.digits(), '*22600', 'the fifth digit of a five-digit pattern sends it');
});

test('presses that make no code pass at once; another event sends what is held first, in order', async (t) => {
  const h = harness();
  await type(h.hold, '5');
  t.is(h.digits(), '5', 'no binding digit: nothing to hold');
  await type(h.hold, '*2');
  t.is(h.digits(), '5*');
  h.hold.offer(other('CHANNEL_HANGUP_COMPLETE'), false);
  t.is(h.digits(), '5*2CHANNEL_HANGUP_COMPLETE');
  t.is(h.hold.heldFor(LEG), 0);
});

test('private codes, a transfer party and a failed read go one press at a time', async (t) => {
  const priv = harness(async () => policy({ private_codes: true }));
  await type(priv.hold, '*22');
  t.is(priv.digits(), '*22', 'the binding digit reaches the workflow at once: it masks the peer');
  const party = harness();
  await type(party.hold, '*1', 10, true);
  t.is(party.digits(), '*1');
  t.is(party.reads(), 0, "a party's presses need no read");
  const failed = harness(async () => {
    throw new Error('switch away');
  });
  await type(failed.hold, '*22');
  t.is(failed.digits(), '*22');
});

test('the first press waits for the read, and what comes meanwhile waits behind it', async (t) => {
  let release: (p: LegPolicy) => void = () => undefined;
  const h = harness(() => new Promise((r) => (release = r)));
  h.hold.offer(key('*'), false);
  h.hold.offer(key('2'), false);
  h.hold.offer(other('CHANNEL_UNBRIDGE'), false);
  t.is(h.sent.length, 0, 'even the binding digit waits for the read');
  t.is(h.hold.heldFor(LEG), 3);
  release(policy());
  await sleep(1);
  t.is(h.digits(), '*2CHANNEL_UNBRIDGE', 'in the order they came; the unbridge sends the code as it stands');
  await type(h.hold, '*2');
  t.is(h.reads(), 2, 'the unbridge changed the codes: read again at the next press');
});

test('a code the workflow has the start of is not held: holding starts at the next code', async (t) => {
  // The leg's codes are read again after a bridge to another peer, in the middle of a code.
  const h = harness();
  await type(h.hold, '*2');
  await sleep(TIMEOUT + 40);
  t.is(h.digits(), '*2');
  h.sent.length = 0;
  await type(h.hold, '*2');
  h.hold.offer(other('CHANNEL_BRIDGE', { otherLeg: 'leg-c' }), false);
  await type(h.hold, '26');
  t.is(h.digits(), '*2CHANNEL_BRIDGE26', "the code's rest goes as it comes: the workflow's timer ends what it has");
  await sleep(TIMEOUT + 20);
  h.sent.length = 0;
  await type(h.hold, '*22');
  t.is(h.digits(), '*', 'the next code, after the timeout, is held again after its binding digit');
  await sleep(TIMEOUT + 40);
  t.is(h.digits(), '*22');
});

test('a read that does not answer holds the first press no longer than its wait; the leg then goes one press at a time', async (t) => {
  let release: (p: LegPolicy) => void = () => undefined;
  const h = harness(() => new Promise((r) => (release = r)), 150);
  h.hold.offer(key('*'), false);
  h.hold.offer(key('2'), false);
  await sleep(20);
  t.is(h.sent.length, 0, 'within the wait the presses wait for the read');
  await sleep(160);
  t.is(h.digits(), '*2', 'past it they go, in order');
  release(policy());
  await type(h.hold, '26');
  t.is(h.digits(), '*226', 'a late answer changes nothing: one press at a time');
  t.is(h.reads(), 1);
});

test.serial(
  'a press already on its way when the wait ends joins the code: the quiet is sent only after it is taken',
  async (t) => {
    const h = harness();
    // The leg's codes are read at its first press; then `*22` pressed 10 ms apart, taken at once (no sleeps between,
    // which a loaded machine could stretch past the timeout).
    h.hold.offer(key('5'), false);
    await sleep(1);
    const at = Date.now();
    for (const [i, d] of [...'*22'].entries()) h.hold.offer(key(d, at + i * 10), false);
    t.is(h.digits(), '5*', 'the binding digit goes at once');
    // The 6, pressed just inside the timeout, is taken by the ingest in the same turn of the event loop as the end of
    // the wait: a busy loop runs the expired timers first, in the order they were due.
    setTimeout(() => h.hold.offer(key('6', at + 20 + TIMEOUT - 5), false), TIMEOUT + 10);
    const until = Date.now() + TIMEOUT + 40;
    while (Date.now() < until) {
      // the event loop is busy past both
    }
    await sleep(1);
    t.is(h.digits(), '5*', 'the 6 restarted the wait: nothing of the code has gone');
    await sleep(TIMEOUT + 40);
    t.is(h.digits(), '5*226');
    t.true(h.sent.at(-1)!.event!.quietMs! >= TIMEOUT, 'the 6, last, says the quiet');
    t.is(h.sent.at(-2)!.event!.quietMs, undefined);
  },
);

/** A harness whose ingest began to listen `agoMs` ago. */
function listening(agoMs: number, read?: () => Promise<LegPolicy>) {
  const since = Date.now() - agoMs;
  return harness(read, undefined, () => since);
}

/**
 * Presses `digits`, which an ingest just (re)connected cannot place: they must still be held past the digit timeout,
 * then go in order, none with a quiet, once the unsure wait is over; `expected` is everything sent by then.
 */
async function heldPastTheTimeout(
  t: ExecutionContext,
  h: ReturnType<typeof harness>,
  digits: string,
  expected: string,
): Promise<void> {
  const before = h.digits();
  await type(h.hold, digits);
  await sleep(TIMEOUT + 30);
  t.is(h.digits(), before, 'still held past the timeout: the other ingest sends its code then');
  await sleep(UNSURE_WAIT + 40);
  t.is(h.digits(), expected, 'every press, in order');
  t.true(
    h.sent.every((d) => d.event!.quietMs === undefined),
    'no quiet: it would end at the workflow a code they may be the tail of',
  );
}

test('just after connecting, presses that arm no code wait for the leg to be quiet the timeout plus the unsure wait, then go as they are', async (t) => {
  // Restarted in the middle of `*22600`, this ingest hears `2600`: the pair's other ingest holds the whole code, and
  // its copy must reach the workflow first (sent at once, `*` + `2600` would be dialled as 600).
  const h = listening(0);
  await heldPastTheTimeout(t, h, '2600', '2600');
  t.is(h.hold.held, 0);
});

test('just after connecting even a binding digit waits (it may be inside a code); a press long after connecting is placed as before', async (t) => {
  await heldPastTheTimeout(t, listening(0), '*22', '*22');
  const settled = listening(TIMEOUT + CLOCKS_APART_MS + 50);
  await type(settled.hold, '5*22');
  t.is(settled.digits(), '5*', 'pressed later than any code begun unheard could go on: placed as before');
});

test('reconnected in the middle of a code: what follows may have a hole, so the code waits the longer wait and goes without a quiet', async (t) => {
  // Held `*2`, the event connection dropped while the caller pressed the second `2`, and came back for `600`.
  let since = Date.now() - 10_000;
  const h = harness(undefined, undefined, () => since);
  await type(h.hold, '*2');
  t.is(h.digits(), '*', 'connected long before: held as usual');
  since = Date.now();
  await heldPastTheTimeout(t, h, '600', '*2600');
});

test('just after connecting, another event sends the presses held first, in order', async (t) => {
  const h = listening(0);
  await type(h.hold, '26');
  t.is(h.sent.length, 0);
  h.hold.offer(other('CHANNEL_HANGUP_COMPLETE'), false);
  t.is(h.digits(), '26CHANNEL_HANGUP_COMPLETE');
  t.is(h.hold.held, 0);
});

test('just after connecting, a pause longer than the timeout ends the unplaced presses: they go as they are, the next is judged anew', async (t) => {
  const h = listening(0);
  await type(h.hold, '5');
  await sleep(TIMEOUT + 30);
  t.is(h.sent.length, 0, 'held into the unsure wait');
  await type(h.hold, '6');
  t.is(h.digits(), '5', 'the 5 is no part of what follows the pause: it goes, without a quiet');
  t.is(h.sent[0]!.event!.quietMs, undefined);
  t.is(h.hold.heldFor(LEG), 1, 'the 6, still within the timeout of connecting, waits in its turn');
  await sleep(TIMEOUT + UNSURE_WAIT + 40);
  t.is(h.digits(), '56');
});

test('just after connecting, a leg with a long digit timeout waits at most the capped timeout plus the unsure wait', async (t) => {
  // A site with a minute's timeout would otherwise have every code pressed in the minute after a restart wait a minute.
  const h = listening(0, async () => policy({ digit_timeout: 60_000 }));
  await type(h.hold, '26');
  t.is(h.sent.length, 0);
  await sleep(UNSURE_TIMEOUT_MAX + UNSURE_WAIT + 60);
  t.is(h.digits(), '26', 'gone after the cap, not after the minute');
  const later = listening(UNSURE_TIMEOUT_MAX + CLOCKS_APART_MS + 50, async () => policy({ digit_timeout: 60_000 }));
  await type(later.hold, '5');
  t.is(later.digits(), '5', 'past the capped window a press is placed as before');
});
