// The two ingests of a pair do not deliver in step: one, just reconnected, may deliver the last digit of a feature code
// while the other, held back (Temporal restarting, its queue retrying), delivers the code's first digits a second
// later. The call workflow takes the earlier digits it never saw, in the switch's order, and the last digit again
// after them: `*22604` still dials 2604. (Here the two deliveries are sent to the call workflow as the two ingests
// would send them, with a switch run of their own so that the switch's real events of the call do not interleave.)
import crypto from 'node:crypto';
import anyTest from 'ava';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal, type ChannelEvent } from '../../contracts/messages.ts';
import { hangUp, placeCall, useEngine, waitFor } from '../support/engine.ts';
import { answeredFor, bridgedPair, createdFor } from '../support/events.ts';
import { sleep } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'late-digits' });

test('the last digit of a code delivered first, the code a second later by the other ingest: the code works', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  const core = `core-${crypto.randomBytes(4).toString('hex')}`;
  const typedAt = Date.now();
  const code: ChannelEvent[] = [...'*22604'].map((digit, i) => ({
    name: 'DTMF',
    uuid: alice.uuid,
    coreUuid: core,
    seq: 100 + i,
    at: typedAt + i * 120,
    node: e.node.name,
    digit,
  }));
  const call = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  // The ingest that reconnected first heard only the last digit ...
  await call.signal(channelEventsSignal, [code.at(-1)!]);
  await sleep(1000);
  // ... the other delivers what it held: every digit, the last one again.
  await call.signal(channelEventsSignal, code);
  try {
    await waitFor(e, createdFor(e, '2604', from), 20_000);
    const carol = (await waitFor(e, answeredFor(e, '2604', from), 20_000)).headers['Unique-ID']!;
    await waitFor(e, bridgedPair(e, alice.uuid, carol, from), 20_000);
  } finally {
    // Alice's call ends either way (its history is the one recorded for the replay tests).
    await hangUp(e, alice.uuid);
  }
  const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
  t.is(summary.outcome, 'completed');
  t.is(summary.target, '2604');
});
