// The transferor hangs up while the target rings, and its hangup does not reach the engine (an ingest that cannot
// deliver it: Temporal away from it, say) while the target's answer does. The transfer, believing the transferor there,
// bridges transferor ↔ target and the switch refuses (`-ERR Invalid uuid`: the transferor's leg is gone). That refusal
// is not a failed attempt: the transfer reads the legs, learns the transferor has gone, and does what that hangup calls
// for: the transferee gets the target (a partial transfer), rather than everyone being released after three refused
// bridges. The fault sits in the engine, between its ingest and Temporal (only the transferor's events are held); what
// happened is read from the switch's events.
import anyTest from 'ava';
import type { BatchSender } from '../../workers/ingest/queue.ts';
import { placeCall, press, startEngine, useShared, waitFor, type Engine } from '../support/engine.ts';
import { bridgedPair, createdFor } from '../support/events.ts';
import { sleep } from '../support/scenario.ts';

interface Context {
  e: Engine;
  /** Holds every batch of `leg`'s events until the returned release is called. */
  hold(leg: string): () => void;
}

const test = useShared<Context>(
  anyTest,
  async () => {
    const held = new Map<string, Promise<void>>();
    const holding = (send: BatchSender): BatchSender =>
      async function deliver(batch) {
        const legs = batch.kind === 'originate' ? [] : batch.events.map((ev) => ev.uuid);
        const gate = legs.map((leg) => held.get(leg)).find((g) => g !== undefined);
        if (gate) await gate;
        return send(batch);
      };
    const hold = (leg: string) => {
      let release = () => undefined as void;
      held.set(
        leg,
        new Promise<void>((resolve) => {
          release = () => {
            held.delete(leg);
            resolve();
          };
        }),
      );
      return () => release();
    };
    return { e: await startEngine({}, { scenario: 'bridge-refused', deliveries: holding }), hold };
  },
  ({ e }) => e.stop(),
);

test.serial('the transferor left unheard while the target answered: transferee ↔ target', async (t) => {
  const { e, hold } = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  await press(e, alice.uuid, '*22604'); // rings 2 s, then answers
  const created = await waitFor(e, createdFor(e, '2604', from));
  const carol = created.headers['Unique-ID']!;
  const release = hold(alice.uuid);
  try {
    await e.phones.api(`uuid_kill ${alice.uuid}`);
    // Bob and Carol are bridged (a CHANNEL_BRIDGE after the transfer began), while Alice's hangup is still held.
    await waitFor(e, bridgedPair(e, bob.uuid, carol, from), 20_000);
    // And they stay: nobody releases them a moment later.
    await sleep(1500);
    const released = e.phones.events
      .slice(from)
      .filter(
        (ev) =>
          ev.name === 'CHANNEL_HANGUP_COMPLETE' &&
          [bob.uuid, carol].includes(ev.headers['Unique-ID']!) &&
          ev.headers['Hangup-Cause'] === 'NORMAL_TEMPORARY_FAILURE',
      );
    t.deepEqual(released, [], 'neither transferee nor target released');
  } finally {
    release();
  }
  await e.phones.api(`uuid_kill ${bob.uuid}`);
});
