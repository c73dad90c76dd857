// A node lost for good: its switch and its node worker gone, its call workflows have no ingest to end them and its
// transfer no worker for its switch commands. The other node's worker, after NODE_GONE_AFTER_S without any ingest
// connected to the lost node, ends its calls (GONE), then terminates its transfer, and drops its live channels; the
// surviving node's calls are left alone. Two simulated switches (a test of the workers: a real FreeSWITCH cannot be
// made to die here).
import anyTest, { type TestFn } from 'ava';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { FreeswitchNode } from '../../config/index.ts';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { startSimulator, type Simulator } from '../../simulator/index.ts';
import { connectNative } from '../../temporal/connection.ts';
import { startNodeWorker, type NodeWorker } from '../../workers/node-worker.ts';
import { EslClient } from '../support/esl-client.ts';
import { placeCall, press, startEngine, testLogger, type Engine, type PhoneLine } from '../support/engine.ts';
import { eventually } from '../support/poll.ts';

interface Context {
  e: Engine;
}

const test = anyTest as TestFn<Context>;
const itest = process.env.TEMPORAL_ADDRESS ? test : test.skip;
const GONE_AFTER_S = 3;

test.before(async (t) => {
  if (!process.env.TEMPORAL_ADDRESS) return;
  t.context.e = await startEngine({ NODE_GONE_AFTER_S: String(GONE_AFTER_S) });
});
test.after.always(async (t) => {
  await t.context.e?.stop();
});

async function status(client: Client, workflowId: string): Promise<string> {
  return (await client.workflow.getHandle(workflowId).describe()).status.name;
}

/** A second node on a switch of its own, with its node worker, and a phone line to it. */
async function secondNode(e: Engine): Promise<{
  sim: Simulator;
  node: FreeswitchNode;
  worker: NodeWorker;
  native: NativeConnection;
  line: PhoneLine & { phones: EslClient };
}> {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const node: FreeswitchNode = { name: `${e.node.name}b`, host: sim.host, port: sim.port, password: sim.password };
  const native = await connectNative(e.config);
  const worker = await startNodeWorker({
    node,
    connection: native,
    client: e.client,
    store: e.store,
    config: e.config,
    logger: testLogger,
  });
  await worker.ingest.ready(20_000);
  const phones = await EslClient.connect(sim, 'plain ALL');
  return { sim, node, worker, native, line: { phones, demo: e.demo, config: e.config } };
}

itest(
  'a lost node’s calls end as GONE, then its transfer; its live channels go; the other node is untouched',
  async (t) => {
    const { e } = t.context;
    const b = await secondNode(e);
    let bUp = true;
    t.teardown(async () => {
      if (bUp) await b.worker.stop();
      await b.line.phones.close().catch(() => undefined);
      await b.native.close();
      await b.sim.close().catch(() => undefined);
    });
    // On the surviving node: a plain call.
    const here = await placeCall(e);
    // On the node about to die: a plain call, and a call whose transferor has dialled a target that rings on.
    const plain = await placeCall(b.line);
    const transferring = await placeCall(b.line);
    await press(b.line, transferring.alice.uuid, '*22602');
    const transferId = transferWorkflowId(transferring.alice.uuid, transferring.bob.uuid);
    await b.line.phones.waitForEvent(
      (ev) => ev.name === 'CHANNEL_CREATE' && ev.headers['variable_handoff_transfer_id'] === transferId,
      15_000,
    );
    const lostCalls = [plain.alice, plain.bob, transferring.alice, transferring.bob].map((p) => callWorkflowId(p.uuid));
    for (const id of [...lostCalls, transferId]) {
      await eventually(`${id} running`, async () => ((await status(e.client, id)) === 'RUNNING' ? true : undefined));
    }
    await eventually('the lost node’s channels listed', async () =>
      (await e.store.listNodeChannels(b.node.name)).length >= 4 ? true : undefined,
    );

    // The node dies: its worker and its switch, for good.
    const diedAt = Date.now();
    await b.worker.stop();
    bUp = false;
    await b.line.phones.close();
    await b.sim.close();

    const endedIn = GONE_AFTER_S * 1000 + 20_000;
    for (const id of lostCalls) {
      t.is(
        await eventually(
          `${id} ended`,
          async () => {
            const s = await status(e.client, id);
            return s === 'RUNNING' ? undefined : s;
          },
          { timeoutMs: endedIn, everyMs: 200 },
        ),
        'COMPLETED',
        id,
      );
    }
    t.is(
      await eventually(
        'the transfer ended',
        async () => {
          const s = await status(e.client, transferId);
          return s === 'RUNNING' ? undefined : s;
        },
        { timeoutMs: endedIn, everyMs: 200 },
      ),
      'TERMINATED',
    );
    t.true(Date.now() - diedAt >= GONE_AFTER_S * 1000, 'not before the grace period');
    t.deepEqual(await e.store.listNodeChannels(b.node.name), []);
    // The surviving node's call runs on, listed.
    for (const p of [here.alice, here.bob]) t.is(await status(e.client, callWorkflowId(p.uuid)), 'RUNNING');
    t.true((await e.store.listNodeChannels(e.node.name)).some((c) => c.callId === here.alice.uuid));
  },
);
