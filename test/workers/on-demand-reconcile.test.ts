// Reconciliation when call workflows start on demand (CALL_WORKFLOWS=on_demand): simulator → ingest → a real Temporal
// server → recording workflows. A live leg without a workflow stays without one (a SNAPSHOT would start one for every
// call); a running call workflow's leg has its events delivered, also to an ingest that never started it; a call
// workflow whose channel is gone still gets its GONE.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { callWorkflowId } from '../../contracts/ids.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { NODE } from '../../contracts/search-attributes.ts';
import { openStore } from '../../store/index.ts';
import { EslNode } from '../../workers/esl/index.ts';
import { startIngest } from '../../workers/ingest/index.ts';
import { workflowExists } from '../support/history.ts';
import { eventually, ingestTests, names, simulatedNode } from './ingest-harness.ts';
import { testLogger as logger } from './silent-logger.ts';
import { recordedQuery, type Recorded } from './workflows/recorders.ts';

const itest = ingestTests();

async function eventsOf(client: Client, callId: string, name: ChannelEvent['name']): Promise<ChannelEvent[]> {
  return eventually(`${name} of ${callId}`, async () => {
    const r: Recorded = await client.workflow.getHandle(callWorkflowId(callId)).query(recordedQuery);
    return r.events.some((e) => e.name === name) ? r.events : undefined;
  });
}

itest(
  'on demand: no SNAPSHOT starts a workflow; running ones get their legs’ events; a lost channel its GONE',
  async (t) => {
    const { client, taskQueue } = t.context;
    const { sim, node } = await simulatedNode();
    const pre = new EslNode(node, { logger }).start();
    await pre.waitConnected();
    const [plain, started, ghost] = [randomUUID(), randomUUID(), randomUUID()];
    for (const leg of [plain, started]) {
      await pre.bgapi(
        `originate {origination_uuid=${leg},ecallmgr_Account-ID=acct7}loopback/2600/default &park()`,
        randomUUID(),
      );
    }
    await eventually('legs up', async () =>
      (await pre.api(`uuid_exists ${plain}`)) === 'true' && (await pre.api(`uuid_exists ${started}`)) === 'true'
        ? true
        : undefined,
    );
    await pre.close();
    // Started by someone else (the other ingest of the pair, or a REST request): running, and listed by visibility.
    for (const leg of [started, ghost]) {
      await client.workflow.start('callWorkflow', {
        workflowId: callWorkflowId(leg),
        taskQueue,
        args: [{ callId: leg, node: node.name }],
        typedSearchAttributes: [{ key: NODE, value: node.name }],
      });
    }
    await eventually('both visible', async () => {
      let seen = 0;
      for await (const wf of client.workflow.list({ query: `HandoffNode = '${node.name}'` })) {
        if ([started, ghost].map(callWorkflowId).includes(wf.workflowId)) seen++;
      }
      return seen === 2 ? true : undefined;
    });

    const store = openStore(':memory:');
    const ingest = await startIngest({
      node,
      client,
      store,
      config: names,
      taskQueue,
      logger,
      onDemand: { metaflows: (a, d, u) => store.effectiveMetaflows(a, d, u), cacheMs: 5000 },
    });
    try {
      await ingest.ready();
      t.deepEqual(
        ((await client.workflow.getHandle(callWorkflowId(ghost)).result()) as Recorded).events.map((e) => e.name),
        ['GONE'],
      );
      const report = await ingest.reconcile();
      t.like(report, { liveCalls: 2, snapshots: 0, gones: 0 });
      // The running one was snapshotted on connect, as always; the plain one got nothing.
      await eventsOf(client, started, 'SNAPSHOT');
      await ingest.esl.api(`uuid_kill ${started}`);
      await ingest.esl.api(`uuid_kill ${plain}`);
      await eventsOf(client, started, 'CHANNEL_HANGUP_COMPLETE');
      await ingest.idle();
      t.false(await workflowExists(client, callWorkflowId(plain)), 'the plain leg never had a workflow');
      t.true(
        (await store.listNodeChannels(node.name)).every((r) => r.callId !== plain),
        'its hangup reached the projection',
      );
    } finally {
      await ingest.stop();
      await store.close();
      await sim.close();
    }
  },
);
