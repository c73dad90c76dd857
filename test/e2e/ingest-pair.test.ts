// Two node workers per switch, the production setup (README, Running at scale): each holds its own ESL connections,
// ingest and switch-activity worker on the node's task queue, and both ingests deliver every event (the workflows drop
// the second copy by Core-UUID + Event-Sequence). One of them is killed with SIGKILL between the `*` and the `1` of a
// takeback, or while the target rings: no key press is lost and nobody waits for it. The callers' waits are logged
// (t.log): speed is the benchmark's, not a timed test's.
import anyTest from 'ava';
import type { ChildProcess } from 'node:child_process';
import { transferWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, press, useEngine, waitFor, type Engine } from '../support/engine.ts';
import { answeredFor, bridgedPair, dialTarget, pressedOn } from '../support/events.ts';
import { startNodeProcess } from '../support/processes.ts';
import { consulting } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { nodeWorker: false, scenario: 'ingest-pair' });

/** Both node workers of the pair, killed at the end whatever happens. */
async function withPair(e: Engine, body: (pair: ChildProcess[]) => Promise<void>): Promise<void> {
  const pair = [await startNodeProcess(e), await startNodeProcess(e)];
  try {
    await body(pair);
  } finally {
    for (const p of pair) p.kill('SIGKILL');
  }
}

test.serial(
  'one node worker of the pair dies between the `*` and the `1` of a takeback: the takeback happens',
  async (t) => {
    const e = t.context;
    await withPair(e, async (pair) => {
      const { alice, bob } = await placeCall(e);
      const { target: carol } = await dialTarget(e, alice.uuid, '2600');
      await consulting(t, e, alice, bob, carol);
      const from = e.phones.events.length;
      await press(e, alice.uuid, '*', 0);
      await waitFor(e, pressedOn(e, alice.uuid, from, '*'));
      pair[0]!.kill('SIGKILL'); // with whatever it had received and not yet delivered
      await press(e, alice.uuid, '1', 0);
      const one = await waitFor(e, pressedOn(e, alice.uuid, from, '1'));
      const back = await waitFor(e, bridgedPair(e, alice.uuid, bob.uuid, from), 30_000);
      t.log(`Alice waited ${back.t - one.t} ms from her '1' to Bob (one node worker of two killed after her '*')`);
      const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
      t.is(summary.outcome, 'taken_back');
      t.is(summary.reason, 'takeback');
      await hangUp(e, alice.uuid);
      await hangUp(e, bob.uuid);
    });
  },
);

test.serial('one node worker of the pair dies while the target rings: the answer is heard, nobody waits', async (t) => {
  const e = t.context;
  await withPair(e, async (pair) => {
    const { alice, bob } = await placeCall(e);
    const { start } = await dialTarget(e, alice.uuid, '2604'); // rings 2 s, then answers
    pair[1]!.kill('SIGKILL');
    const answer = await waitFor(e, answeredFor(e, '2604', start), 30_000);
    const carol = answer.headers['Unique-ID']!;
    const consult = await waitFor(e, bridgedPair(e, alice.uuid, carol, start), 30_000);
    t.log(
      `Alice waited ${consult.t - answer.t} ms from Carol's answer to their bridge (one node worker of two killed)`,
    );
    await hangUp(e, alice.uuid);
    await waitFor(e, bridgedPair(e, bob.uuid, carol, start), 30_000);
    const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
    t.is(summary.outcome, 'completed');
    await hangUp(e, bob.uuid);
  });
});
