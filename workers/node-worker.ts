// One FreeSWITCH node's worker: its ESL connections, the ingest that turns its events into workflow signals, and the
// Temporal activity worker (task queue `handoff-node-<name>`) whose activities send that node's switch commands.
import { Worker, type NativeConnection } from '@temporalio/worker';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config, FreeswitchNode } from '../config/index.ts';
import { createIngestActivities } from '../activities/ingest.ts';
import { createPolicyActivities, policyStore } from '../activities/policy.ts';
import { createSwitchActivities, type CommandJournal, type SwitchCommands } from '../activities/switch.ts';
import type { Store } from '../store/index.ts';
import { callWorkflowId, nodeTaskQueue } from '../contracts/ids.ts';
import { connectClient, dataConverter } from '../temporal/connection.ts';
import { createLogger, messageLogger, type Logger } from '../observability/log.ts';
import { trackEsl, trackIngest } from '../observability/metrics.ts';
import type { NodeAdmin, OpsServer } from '../observability/server.ts';
import type { LegState } from '../activities/types.ts';
import { snapshotEvent, type ChannelEvent } from '../contracts/messages.ts';
import { CALL_WORKFLOW_TYPE, callStartOptions } from '../workflows/call-start.ts';
import { TRANSFER_WORKFLOW_TYPE, latestRun } from './ingest/transfers.ts';
import { EslNode } from './esl/index.ts';
import { HEARTBEAT_EVERY_MS, heartbeating } from './heartbeat.ts';
import { startIngest, type Ingest, type IngestOptions } from './ingest/index.ts';
import { startLostNodes, type LostNodes } from './lost-nodes.ts';

export interface NodeWorker {
  node: FreeswitchNode;
  esl: EslNode;
  ingest: Ingest;
  worker: Worker;
  /** Its node's liveness in the store, and the ending of nodes lost for good. */
  lostNodes: LostNodes;
  /** Resolves when the activity worker has stopped. */
  running: Promise<void>;
  stop(): Promise<void>;
}

export interface NodeWorkerOptions {
  node: FreeswitchNode;
  connection: NativeConnection;
  client: Client;
  /**
   * The Temporal frontend the ingest's own client connects to, when it is not the configuration's (`npm start` runs a
   * dev server of its own and has no TEMPORAL_ADDRESS).
   */
  address?: string;
  store: Store;
  config: Config;
  journal?: CommandJournal;
  /** The process's logger (default: one made from the configuration). */
  logger?: Logger;
  /** The process's operations port: the node's readiness check and its admin endpoints. */
  ops?: OpsServer;
  /** Tests only: what stands between the switch activities and the node's command connection (to inject faults). */
  commands?: (esl: SwitchCommands) => SwitchCommands;
  /** Faults between the ingest and Temporal (IngestOptions.deliveries). */
  deliveries?: IngestOptions['deliveries'];
}

/**
 * Why the node's ESL connections are not ready, or undefined when its event connection and at least one command
 * connection are up (the node's commands then go on those that are: EslNode).
 */
function eslProblem(esl: EslNode, node: FreeswitchNode): string | undefined {
  const down = [
    ...(esl.eventConnection.connected ? [] : ['events']),
    ...(esl.commandConnectionsUp > 0 ? [] : ['commands']),
  ];
  return down.length ? `ESL ${down.join(' and ')} connection to ${node.host}:${node.port} down` : undefined;
}

/** A leg as the switch shows it (`uuid_dump`), as the SNAPSHOT a call workflow started on demand takes first. */
function legSnapshot(leg: LegState, node: string, accountId: string | undefined): ChannelEvent {
  return snapshotEvent({
    uuid: leg.uuid,
    node,
    at: Date.now(),
    answered: leg.answered,
    bridgedTo: leg.bridgeUuid,
    leg: {
      ...(accountId ? { accountId } : {}),
      ...(leg.direction ? { direction: leg.direction } : {}),
      ...(leg.callerIdName ? { callerIdName: leg.callerIdName } : {}),
      ...(leg.callerIdNumber ? { callerIdNumber: leg.callerIdNumber } : {}),
    },
  });
}

export async function startNodeWorker(opts: NodeWorkerOptions): Promise<NodeWorker> {
  const { node, config } = opts;
  const log = (opts.logger ?? createLogger(config)).child({ node: node.name });
  const esl = new EslNode(node, {
    logger: messageLogger(log),
    commandConnections: config.ESL_COMMAND_CONNECTIONS,
  }).start();
  const untrack = [
    trackEsl(node.name, () => ({
      connected: eslProblem(esl, node) === undefined,
      commandConnectionsUp: esl.commandConnectionsUp,
      commandConnections: esl.commandConnections.length,
    })),
  ];
  // What is up so far, undone in reverse when a later step fails: a node worker that cannot start leaves nothing behind
  // (its activity worker would keep the process's Temporal connection from closing, its ESL connections the process up).
  const undo: (() => Promise<unknown>)[] = [async () => untrack.forEach((remove) => remove()), () => esl.close()];
  try {
    await esl.waitConnected(30_000);
    const switchActivities = createSwitchActivities(node.name, opts.commands?.(esl) ?? esl, opts.journal, esl);
    const draining = async () => (await opts.store.nodeDrain(node.name)) !== undefined;
    const onDemand = config.CALL_WORKFLOWS === 'on_demand';
    const callWorkflowRuns = async (callId: string): Promise<boolean> => {
      try {
        return (await opts.client.workflow.getHandle(callWorkflowId(callId)).describe()).status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    };
    const ensureCallWorkflow = async (leg: LegState, accountId: string | undefined) => {
      // One workflow per leg: the ingest has nearly always started it. Asking costs no Temporal action; a start that
      // finds it running might.
      if (!onDemand && (await callWorkflowRuns(leg.uuid))) return;
      await opts.client.workflow.start(CALL_WORKFLOW_TYPE, {
        ...callStartOptions({
          callId: leg.uuid,
          node: node.name,
          taskQueue: config.WORKFLOW_TASK_QUEUE,
          initial: [legSnapshot(leg, node.name, accountId)],
        }),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    };
    const transferRun = async (transferId: string) => {
      const run = await latestRun(opts.client, transferId);
      if (typeof run !== 'object') return run;
      return { running: run.status.name === 'RUNNING', startedAt: run.startTime.getTime() };
    };
    // The ingest starts after the worker (its first reconciliation needs the workflows running): until then it has
    // nothing to say of key presses, and says it is not sure.
    const ingestNow: { ingest?: Ingest } = {};
    const policyActivities = createPolicyActivities(switchActivities, policyStore(opts.store), config, {
      draining,
      ensureCallWorkflow,
      transferRun,
    });
    const ingestActivities = createIngestActivities(() => ingestNow.ingest);
    const worker = await Worker.create({
      connection: opts.connection,
      dataConverter: dataConverter(config),
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: nodeTaskQueue(node.name),
      activities: heartbeating({ ...switchActivities, ...policyActivities, ...ingestActivities }),
      // Each heartbeat reaches the server as it is sent (the default throttle, 80% of the 2 s heartbeat timeout, would
      // leave a loaded server 0.4 s to take it).
      maxHeartbeatThrottleInterval: HEARTBEAT_EVERY_MS,
      shutdownGraceTime: config.SHUTDOWN_GRACE_MS,
    });
    const running = worker.run();
    /** Stops the activity worker and waits for it (a start that fails part-way, or stop()). */
    const stopWorker = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    };
    undo.push(stopWorker);
    // The ingest's own client: RESOURCE_EXHAUSTED (Temporal's rate limits) comes back to its queues, which decide what
    // goes first and back off as one (workers/ingest/queue.ts), instead of the client retrying every signal on its own.
    // After an outage it tries to reach Temporal again at least every INGEST_RECONNECT_MS: the key presses it held then
    // reach their calls before a late digit timer stops waiting for them.
    const { client: ingestClient, connection: ingestConnection } = await connectClient(config, {
      ...(opts.address ? { address: opts.address } : {}),
      retryWhenThrottled: false,
      reconnectMs: config.INGEST_RECONNECT_MS,
    });
    undo.push(() => ingestConnection.close());
    const ingest = await startIngest({
      node,
      client: ingestClient,
      store: opts.store,
      config,
      esl,
      taskQueue: config.WORKFLOW_TASK_QUEUE,
      transferSweepMs: config.TRANSFER_SWEEP_MS,
      logger: messageLogger(log),
      reconcileMs: config.RECONCILE_MS,
      reconnectMs: config.INGEST_RECONNECT_MS,
      lingerMs: config.INGEST_LINGER_MS,
      deliveries: opts.deliveries,
      ...(config.CALL_WORKFLOWS === 'on_demand'
        ? {
            onDemand: {
              metaflows: (account, device, user) => opts.store.effectiveMetaflows(account, device, user),
              cacheMs: config.METAFLOW_CACHE_MS,
            },
          }
        : config.INGEST_CODE_HOLD
          ? // A code's presses go as one signal (ingest/code-hold.ts), read with the call workflow's own policy read.
            { readCodes: (leg: string) => policyActivities.loadLegPolicy(leg) }
          : {}),
    });
    ingestNow.ingest = ingest;
    const lostNodes = startLostNodes({
      node: node.name,
      connected: () => esl.eventConnection.connected,
      store: opts.store,
      client: opts.client,
      goneAfterMs: config.NODE_GONE_AFTER_S * 1000,
      logger: messageLogger(log),
    });
    const admin: NodeAdmin = {
      reconcile: async () => ({ node: node.name, ...(await ingest.reconcile({ snapshotRunning: true })) }),
      async drain(on, by) {
        await opts.store.setNodeDrain(node.name, on ? { since: Date.now(), by } : undefined);
        return admin.status();
      },
      async status() {
        const drain = await opts.store.nodeDrain(node.name);
        // Node names are [A-Za-z0-9_-] (config): no escaping needed in the query.
        const query = `WorkflowType = '${TRANSFER_WORKFLOW_TYPE}' AND HandoffNode = '${node.name}' AND ExecutionStatus = 'Running'`;
        const { count } = await opts.client.workflow.count(query);
        return {
          node: node.name,
          esl: eslProblem(esl, node) ?? 'connected',
          commandConnectionsUp: esl.commandConnectionsUp,
          commandConnections: esl.commandConnections.length,
          draining: drain !== undefined,
          ...(drain ? { drainingSince: new Date(drain.since).toISOString(), drainedBy: drain.by } : {}),
          runningTransfers: count,
        };
      },
    };
    untrack.push(trackIngest(node.name, () => ingest.stats()));
    if (opts.ops) {
      untrack.push(
        opts.ops.addCheck(`esl:${node.name}`, async () => eslProblem(esl, node)),
        opts.ops.addCheck('store', () => opts.store.ping().then(() => undefined)),
        opts.ops.addNode(node.name, admin),
      );
    }
    return {
      node,
      esl,
      ingest,
      worker,
      lostNodes,
      running,
      async stop() {
        lostNodes.stop();
        for (const remove of untrack) remove();
        await ingest.stop();
        await ingestConnection.close().catch(() => undefined);
        await stopWorker();
        await esl.close();
      },
    };
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw err;
  }
}
