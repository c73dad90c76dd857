// Durability of the switch side with one node worker (ESL connections, ingest, switch activities) in a process of its
// own, killed with SIGKILL and started again: a target that answers while nobody listens to the switch, a takeback
// whose `1` is lost, and a worker down for longer than the transfer's no-answer deadline. The new process reconciles
// on its first connect; the transfer's own deadline reads the target leg on the switch; nothing is left half-typed.
import anyTest from 'ava';
import { transferWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, press, useEngine, waitFor } from '../support/engine.ts';
import { answeredFor, bridgedPair, createdFor, dialTarget, pressedOn } from '../support/events.ts';
import { withNodeProcess } from '../support/processes.ts';
import { consulting, sleep, transferPhase } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { nodeWorker: false, scenario: 'node-worker-death' });

test.serial(
  'the node worker dies while the target rings; a new one reconnects and the transfer completes',
  async (t) => {
    const e = t.context;
    await withNodeProcess(e, async (node) => {
      const { alice, bob } = await placeCall(e);
      const start = e.phones.events.length;
      await press(e, alice.uuid, '*22604'); // rings 2 s, then answers
      await waitFor(e, (ev) => ev.name === 'PLAYBACK_START' && ev.headers['Unique-ID'] === alice.uuid, 30_000);
      // Carol's leg rings: under load Alice's ringback can start before the originate has reached the switch, and a
      // kill then loses the originate itself (the transfer sends it again once the switch shows no such leg: the test
      // of this death is originate-once's).
      await waitFor(e, createdFor(e, '2604', start), 30_000);
      node.kill();
      const killedAt = Date.now();
      // Carol answers while no ingest listens: her answer event and the originate result are lost.
      const answer = await waitFor(e, answeredFor(e, '2604', start), 30_000);
      await node.start();
      t.log(`new node worker ready ${Date.now() - killedAt} ms after the kill`);
      const carol = answer.headers['Unique-ID']!;
      const consult = await waitFor(e, bridgedPair(e, alice.uuid, carol, start), 60_000);
      t.log(`Alice waited ${consult.t - answer.t} ms from Carol's answer to their bridge`);
      await hangUp(e, alice.uuid);
      const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
      t.is(summary.outcome, 'completed');
      t.is(summary.targetLeg, carol);
      t.is(await e.phones.api(`uuid_getvar ${bob.uuid} bridge_uuid`), carol);
    });
  },
);

test.serial('the node worker dies between the `*` and the `1` of a takeback: no half-typed code is left', async (t) => {
  const e = t.context;
  await withNodeProcess(e, async (node) => {
    const { alice, bob } = await placeCall(e);
    const { target: carol } = await dialTarget(e, alice.uuid, '2600');
    await consulting(t, e, alice, bob, carol);
    const from = e.phones.events.length;
    await press(e, alice.uuid, '*');
    await waitFor(e, pressedOn(e, alice.uuid, from, '*'));
    await sleep(1000); // the ingest has passed the `*` on
    node.kill();
    await press(e, alice.uuid, '1'); // nobody listens: this digit is lost (ESL does not replay events)
    await node.start();
    await sleep(2000); // reconciled
    // Alice presses `1` again, seconds after her `*`: on its own it is no takeback.
    await press(e, alice.uuid, '1');
    await sleep(2000);
    t.is(await transferPhase(e, alice, bob), 'consulting');
    // The whole code takes back.
    const takeback = e.phones.events.length;
    await press(e, alice.uuid, '*1');
    await waitFor(e, bridgedPair(e, alice.uuid, bob.uuid, takeback), 30_000);
    const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
    t.is(summary.outcome, 'taken_back');
    await hangUp(e, alice.uuid);
    await hangUp(e, bob.uuid);
  });
});

test.serial(
  'the only node worker stays down past the no-answer deadline: back, the deadline finds the answer',
  async (t) => {
    const e = t.context;
    await withNodeProcess(e, async (node) => {
      const { alice, bob } = await placeCall(e);
      const { start } = await dialTarget(e, alice.uuid, '2604'); // rings 2 s, then answers
      node.kill();
      const carol = (await waitFor(e, answeredFor(e, '2604', start), 30_000)).headers['Unique-ID']!;
      // The transfer's deadline (ring time + 2 s) passes while no node worker runs: its look at the switch waits.
      await sleep((e.config.TARGET_RING_TIMEOUT_S + 4) * 1000);
      await node.start();
      await waitFor(e, bridgedPair(e, alice.uuid, carol, start), 60_000);
      await hangUp(e, alice.uuid);
      await waitFor(e, bridgedPair(e, bob.uuid, carol, start), 30_000);
      const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
      t.is(summary.outcome, 'completed', 'no transfer failed while the node worker was down');
      await hangUp(e, bob.uuid);
    });
  },
);
