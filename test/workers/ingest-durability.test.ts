// The ingest when events go missing or Temporal refuses them: a restarted ingest audits its node on its first
// connect; a call whose hangup was lost while connected is ended by the periodic reconcile; a channel seen hung up
// never gets a SNAPSHOT (which would start a run nothing ends); a refusal no retry fixes by itself holds the events
// until the cluster is put right, instead of dropping them. Real Temporal; the switch is the simulator or, for what a
// faithful switch cannot do on demand (lose a hangup, keep listing a channel), the scripted ESL server.
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { callWorkflowId } from '../../contracts/ids.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { NODE, SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.ts';
import { EslNode } from '../../workers/esl/index.ts';
import { startIngest } from '../../workers/ingest/index.ts';
import { startFakeEsl } from './fake-esl-server.ts';
import { eventually, ingestTests, names, nodeName, simulatedNode, startRecorders } from './ingest-harness.ts';
import { testLogger as logger } from './silent-logger.ts';
import { recordedQuery, finishSignal, type Recorded } from './workflows/recorders.ts';

const { temporal } = proto;

const itest = ingestTests();

async function runningCalls(client: Client, node: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `HandoffNode = '${node}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

/** An ESL event as the scripted server sends it. */
function eslEvent(uuid: string, name: string, seq: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'Event-Name': name,
    'Core-UUID': 'core-d',
    'Event-Sequence': String(seq),
    'Event-Date-Timestamp': String(Date.now() * 1000),
    'Unique-ID': uuid,
    'Channel-Name': 'sofia/internal/1001@example.com',
    variable_uuid: uuid,
    ...extra,
  };
}

/** A scripted switch whose `show channels` lists the channels in `live` (as it is when asked), no bridges. */
async function switchListing(live: Iterable<string>) {
  const fs = await startFakeEsl({
    api: (cmd) =>
      cmd.startsWith('show channels as json')
        ? showChannels(live)
        : cmd.startsWith('show calls')
          ? '{"row_count": 0}\n'
          : '-ERR Command not found!\n',
  });
  return { fs, node: { name: nodeName(), host: '127.0.0.1', port: fs.port, password: 'ClueCon' } };
}

/** `show channels as json` listing these channels (answered), as FreeSWITCH formats it. */
function showChannels(uuids: Iterable<string>): string {
  const rows = [...uuids].map((uuid) => ({
    uuid,
    direction: 'inbound',
    name: 'sofia/internal/1001@example.com',
    callstate: 'ACTIVE',
    cid_num: '1001',
  }));
  return JSON.stringify({ row_count: rows.length, rows }) + '\n';
}

itest(
  'a restarted ingest audits its node on its first connect: running calls get a SNAPSHOT, transfers audit',
  async (t) => {
    const { client, taskQueue } = t.context;
    const { sim, node } = await simulatedNode();
    // What a previous ingest of this node left running: a live call with its workflow, and a transfer.
    const pre = new EslNode(node, { logger }).start();
    await pre.waitConnected();
    const a = randomUUID();
    await pre.bgapi(`originate {origination_uuid=${a}}loopback/2600/default &park()`, randomUUID());
    await eventually('a up', async () => ((await pre.api(`uuid_exists ${a}`)) === 'true' ? true : undefined));
    await pre.close();
    await client.workflow.start('callWorkflow', {
      workflowId: callWorkflowId(a),
      taskQueue,
      args: [{ callId: a, node: node.name }],
      typedSearchAttributes: [{ key: NODE, value: node.name }],
    });
    const transferId = `transfer:${randomUUID()}:${randomUUID()}`;
    const transfer = await client.workflow.start('transferWorkflow', {
      workflowId: transferId,
      taskQueue,
      typedSearchAttributes: [{ key: NODE, value: node.name }],
    });
    await eventually('both visible', async () =>
      (await runningCalls(client, node.name)).length === 2 ? true : undefined,
    );

    // The new process's first connect: its events may have been lost while no ingest ran.
    const ingest = await startIngest({ node, client, config: names, taskQueue, logger });
    try {
      await ingest.ready();
      const rec = await eventually('a SNAPSHOT for the running call', async () => {
        const r = await client.workflow.getHandle(callWorkflowId(a)).query(recordedQuery);
        return r.events.some((e) => e.name === 'SNAPSHOT') ? r : undefined;
      });
      t.is(rec.events.find((e) => e.name === 'SNAPSHOT')?.answerState, 'answered');
      const audited = await eventually('the transfer audited', async () => {
        const r = await transfer.query(recordedQuery);
        return r.audits ? r.audits : undefined;
      });
      t.is(audited, 1);
      t.is(ingest.stats().transfersAudited, 1);
    } finally {
      await transfer.signal(finishSignal);
      await ingest.esl.api(`uuid_kill ${a}`);
      await ingest.stop();
      await sim.close();
    }
  },
);

itest('a call whose hangup was lost while connected ends within one reconcile period', async (t) => {
  const { client, taskQueue } = t.context;
  const live = new Set<string>();
  const { fs, node } = await switchListing(live);
  const periodMs = 1500;
  const ingest = await startIngest({ node, client, config: names, taskQueue, logger, reconcileMs: periodMs });
  try {
    await ingest.ready();
    const u = randomUUID();
    live.add(u);
    fs.sendEvent(eslEvent(u, 'CHANNEL_CREATE', 10));
    fs.sendEvent(eslEvent(u, 'CHANNEL_ANSWER', 11));
    await eventually('the call running', async () =>
      (await runningCalls(client, node.name)).includes(callWorkflowId(u)) ? true : undefined,
    );
    // A task held by a workflow worker that dies is retried after 2 s, not Temporal's default 10 s.
    const config = (await client.workflow.getHandle(callWorkflowId(u)).describe()).raw.executionConfig;
    t.is(Number(config?.defaultWorkflowTaskTimeout?.seconds), 2);
    // The caller hangs up; the switch drops the hangup for a listener that fell behind, and stays connected.
    live.delete(u);
    const endedAt = Date.now();
    const result = (await eventually(
      'the call ended',
      () => client.workflow.getHandle(callWorkflowId(u)).result() as Promise<Recorded>,
      { timeoutMs: periodMs * 4 + 10_000 },
    )) as Recorded;
    const tookMs = Date.now() - endedAt;
    t.is(result.events.at(-1)?.name, 'GONE');
    t.log(`the call workflow ended ${tookMs} ms after its channel (reconcile period ${periodMs} ms)`);
    t.true(ingest.stats().gones >= 1);
  } finally {
    await ingest.stop();
    await fs.close();
  }
});

itest('without a periodic reconcile, a call whose hangup was lost runs on (what the period fixes)', async (t) => {
  const { client, taskQueue } = t.context;
  const live = new Set<string>();
  const { fs, node } = await switchListing(live);
  const ingest = await startIngest({ node, client, config: names, taskQueue, logger, reconcileMs: 0 });
  const u = randomUUID();
  try {
    await ingest.ready();
    live.add(u);
    fs.sendEvent(eslEvent(u, 'CHANNEL_CREATE', 10));
    await eventually('the call running', async () =>
      (await runningCalls(client, node.name)).includes(callWorkflowId(u)) ? true : undefined,
    );
    live.delete(u);
    await new Promise((r) => setTimeout(r, 4000));
    t.is((await client.workflow.getHandle(callWorkflowId(u)).describe()).status.name, 'RUNNING');
    t.is(ingest.stats().gones, 0);
  } finally {
    await client.workflow.getHandle(callWorkflowId(u)).terminate('test over');
    await ingest.stop();
    await fs.close();
  }
});

itest('a channel whose hangup the ingest saw gets no SNAPSHOT while the switch still lists it', async (t) => {
  const { client, taskQueue } = t.context;
  const u = randomUUID();
  // FreeSWITCH lists a channel until it is destroyed, a little after its CHANNEL_HANGUP_COMPLETE.
  const { fs, node } = await switchListing([u]);
  const ingest = await startIngest({ node, client, config: names, taskQueue, logger, reconcileMs: 0 });
  try {
    await ingest.ready();
    fs.sendEvent(eslEvent(u, 'CHANNEL_CREATE', 10));
    fs.sendEvent(eslEvent(u, 'CHANNEL_HANGUP_COMPLETE', 11, { 'Hangup-Cause': 'NORMAL_CLEARING' }));
    const handle = client.workflow.getHandle(callWorkflowId(u));
    await eventually('the call ended', () => handle.result() as Promise<Recorded>);
    const firstRun = (await handle.describe()).runId;
    const report = await ingest.reconcile();
    await ingest.idle();
    t.is(report.hungUp, 1);
    t.is(report.snapshots, 0);
    const after = await handle.describe();
    t.is(after.runId, firstRun, 'no new run for a channel seen hung up');
    t.is(after.status.name, 'COMPLETED');
  } finally {
    await ingest.stop();
    await fs.close();
  }
});

itest(
  'Temporal refusing the signals (search attribute not registered) holds the events, in order, until fixed',
  async (t) => {
    const { client } = t.context;
    // A namespace of its own, without Handoff's search attributes: every signal-with-start is INVALID_ARGUMENT.
    const namespace = `handoff-noattr-${randomUUID().slice(0, 8)}`;
    await client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const nsClient = new Client({ connection: client.connection, namespace });
    await eventually('the namespace served', async () => {
      await nsClient.workflowService.describeNamespace({ namespace });
      return true;
    });
    const { taskQueue, stop } = await startRecorders({ namespace });
    const fs = await startFakeEsl();
    const node = { name: nodeName(), host: '127.0.0.1', port: fs.port, password: 'ClueCon' };
    const ingest = await startIngest({ node, client: nsClient, config: names, taskQueue, logger, reconcileMs: 0 });
    try {
      // Not ingest.ready(): its reconciliation's visibility query is refused too, for the same reason.
      await eventually('subscribed', async () =>
        fs.received.some((r) => r.line.startsWith('event ')) ? true : undefined,
      );
      const u = randomUUID();
      fs.sendEvent(eslEvent(u, 'CHANNEL_CREATE', 10));
      fs.sendEvent(eslEvent(u, 'DTMF', 11, { 'DTMF-Digit': '*' }));
      await eventually('refused', async () => (ingest.stats().signalsRefused >= 2 ? true : undefined), {
        timeoutMs: 30_000,
      });
      fs.sendEvent(eslEvent(u, 'DTMF', 12, { 'DTMF-Digit': '1' }));
      t.true(ingest.stats().queueDepth >= 2, 'held, not dropped');
      // The operator registers the attribute: what was held goes through, in the switch's order.
      await client.connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          Object.keys(SEARCH_ATTRIBUTES).map((k) => [
            k,
            temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          ]),
        ),
      });
      const rec = await eventually(
        'the held events delivered',
        async () => {
          const r = await nsClient.workflow.getHandle(callWorkflowId(u)).query(recordedQuery);
          return r.events.length >= 3 ? r : undefined;
        },
        { timeoutMs: 60_000 },
      );
      t.deepEqual(
        rec.events.map((e: ChannelEvent) => `${e.name}${e.digit ?? ''}`),
        ['CHANNEL_CREATE', 'DTMF*', 'DTMF1'],
      );
      await nsClient.workflow.getHandle(callWorkflowId(u)).terminate('test over');
    } finally {
      await ingest.stop();
      await fs.close();
      await stop();
    }
  },
);
