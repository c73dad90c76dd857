// The two ingests of a pair do not deliver in step: one, just reconnected, may deliver the last digit of a feature code
// while the other, held back (Temporal restarting, its queue retrying), delivers the code's first digits a second
// later. The call workflow takes the earlier digits it never saw, in the switch's order, and the last digit again
// after them: `*22604` still dials 2604. (Here the two deliveries are sent to the call workflow as the two ingests
// would send them, with a switch run of their own so that the switch's real events of the call do not interleave. The
// tests run side by side on one switch: each dials a target of its own.)
import anyTest from 'ava';
import { callWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal } from '../../contracts/messages.ts';
import { placeCall, useEngine } from '../support/engine.ts';
import { consultThenHangUp, keyPresses } from '../support/events.ts';
import { sleep } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'late-digits' });

test('the last digit of a code delivered first, the code a second later by the other ingest: the code works', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  const code = keyPresses(e, alice.uuid, '*22604');
  const call = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  // The ingest that reconnected first heard only the last digit ...
  await call.signal(channelEventsSignal, [code.at(-1)!]);
  await sleep(1000);
  // ... the other delivers what it held: every digit, the last one again.
  await call.signal(channelEventsSignal, code);
  const summary = await consultThenHangUp(e, { alice: alice.uuid, bob: bob.uuid }, '2604', from);
  t.is(summary.outcome, 'completed');
  t.is(summary.target, '2604');
});

test('the binding digit sent at once, the last press by the other ingest, the rest held by the first: the code works', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  const code = keyPresses(e, alice.uuid, '*22600');
  const call = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  // One ingest holds a code's presses after its binding digit, which it sends at once ...
  await call.signal(channelEventsSignal, [code[0]!]);
  await sleep(200);
  // ... the other, just restarted, heard only the last press, and holds nothing: it sends it at once ...
  await call.signal(channelEventsSignal, [code.at(-1)!]);
  await sleep(200);
  // ... and the first sends what it held, the last press saying how long the leg was quiet after it.
  await call.signal(
    channelEventsSignal,
    code.slice(1).map((press, i, held) => (i === held.length - 1 ? { ...press, quietMs: 800 } : press)),
  );
  const summary = await consultThenHangUp(e, { alice: alice.uuid, bob: bob.uuid }, '2600', from);
  t.is(summary.outcome, 'completed');
  t.is(summary.target, '2600');
});
