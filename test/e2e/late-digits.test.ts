// The two ingests of a pair do not deliver in step: one, just reconnected, may deliver the last digit of a feature code
// while the other, held back (Temporal restarting, its queue retrying), delivers the code's first digits a second
// later. The call workflow takes the earlier digits it never saw, in the switch's order, and the last digit again
// after them: `*22604` still dials 2604. (Here the two deliveries are sent to the call workflow as the two ingests
// would send them, with a switch run of their own so that the switch's real events of the call do not interleave. The
// tests run side by side on one switch: each dials a target of its own.)
import anyTest from 'ava';
import { callWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal, type ChannelEvent, type TransferSummary } from '../../contracts/messages.ts';
import { placeCall, useEngine, type Engine } from '../support/engine.ts';
import { consultThenHangUp, keyPresses } from '../support/events.ts';
import { sleep } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'late-digits' });

/**
 * Alice, talking to Bob, types `digits`: the call workflow gets them as `deliveries` makes them of the presses (one
 * signal each, `pauseMs` apart), as the pair's ingests sent them. Then her transfer must consult `ext`; its summary.
 */
async function codeDelivered(
  e: Engine,
  digits: string,
  deliveries: (presses: ChannelEvent[]) => ChannelEvent[][],
  pauseMs: number,
  ext: string,
): Promise<TransferSummary> {
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  const call = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  for (const [i, delivery] of deliveries(keyPresses(e, alice.uuid, digits)).entries()) {
    if (i > 0) await sleep(pauseMs);
    await call.signal(channelEventsSignal, delivery);
  }
  return consultThenHangUp(e, { alice: alice.uuid, bob: bob.uuid }, ext, from);
}

test('the last digit of a code delivered first, the code a second later by the other ingest: the code works', async (t) => {
  // The ingest that reconnected first heard only the last digit; the other delivers what it held: every digit, the
  // last one again.
  const summary = await codeDelivered(t.context, '*22604', (code) => [[code.at(-1)!], code], 1000, '2604');
  t.is(summary.outcome, 'completed');
  t.is(summary.target, '2604');
});

test('the binding digit sent at once, the last press by the other ingest, the rest held by the first: the code works', async (t) => {
  // One ingest holds a code's presses after its binding digit, which it sends at once; the other, just restarted,
  // heard only the last press and holds nothing: it sends it at once; then the first sends what it held, the last
  // press saying how long the leg was quiet after it.
  const summary = await codeDelivered(
    t.context,
    '*22600',
    (code) => [
      [code[0]!],
      [code.at(-1)!],
      code.slice(1).map((press, i, held) => (i === held.length - 1 ? { ...press, quietMs: 800 } : press)),
    ],
    200,
    '2600',
  );
  t.is(summary.outcome, 'completed');
  t.is(summary.target, '2600');
});
