// One FreeSWITCH node's worker: its ESL connections, the ingest that turns its events into workflow signals, and the
// Temporal activity worker (task queue `handoff-node-<name>`) whose activities send that node's switch commands.
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Config, FreeswitchNode } from '../config/index.ts';
import { createPolicyActivities, policyStore } from '../activities/policy.ts';
import { createSwitchActivities, type CommandJournal } from '../activities/switch.ts';
import type { Store } from '../store/index.ts';
import { nodeTaskQueue } from '../contracts/ids.ts';
import { dataConverter } from '../temporal/connection.ts';
import { EslNode } from './esl/index.ts';
import { startIngest, type Ingest } from './ingest/index.ts';

export interface NodeWorker {
  node: FreeswitchNode;
  esl: EslNode;
  ingest: Ingest;
  worker: Worker;
  /** Resolves when the activity worker has stopped. */
  running: Promise<void>;
  stop(): Promise<void>;
}

export interface NodeWorkerOptions {
  node: FreeswitchNode;
  connection: NativeConnection;
  client: Client;
  store: Store;
  config: Config;
  journal?: CommandJournal;
}

export async function startNodeWorker(opts: NodeWorkerOptions): Promise<NodeWorker> {
  const { node, config } = opts;
  const esl = new EslNode(node).start();
  await esl.waitConnected(30_000);
  const switchActivities = createSwitchActivities(node.name, esl, opts.journal);
  const policyActivities = createPolicyActivities(switchActivities, policyStore(opts.store), config);
  const worker = await Worker.create({
    connection: opts.connection,
    dataConverter: dataConverter(config),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: nodeTaskQueue(node.name),
    activities: { ...switchActivities, ...policyActivities },
    shutdownGraceTime: config.SHUTDOWN_GRACE_MS,
  });
  const running = worker.run();
  const ingest = await startIngest({
    node,
    client: opts.client,
    store: opts.store,
    config,
    esl,
    taskQueue: config.WORKFLOW_TASK_QUEUE,
    transferSweepMs: config.TRANSFER_SWEEP_MS,
  });
  return {
    node,
    esl,
    ingest,
    worker,
    running,
    async stop() {
      await ingest.stop();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await esl.close();
    },
  };
}
