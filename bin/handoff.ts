// The Handoff process, one role per process, for running at scale (npm start runs every role in one process instead):
//   npm run handoff -- --role workflows   stateless workflow worker; run as many as the call rate needs
//   npm run handoff -- --role nodes       ESL ingest + switch activities for every node in FREESWITCH_NODES
//   npm run handoff -- --role api         the REST API
//   npm run handoff -- --role codec       the payload codec server for the Temporal UI and CLI (no Temporal needed)
// A Temporal address is required (TEMPORAL_ADDRESS or a profile): at scale the Temporal cluster is not ours to start.
// Each role checks the cluster first (namespace, search attributes) and stops with the fix if something is missing.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/index.ts';
import { openConfiguredStore, storeSummary, StoreUnavailableError, type Store } from '../store/index.ts';
import { startApi } from '../api/index.ts';
import { TemporalCallEngine, callWorkflowStarts } from '../api/temporal-engine.ts';
import { createWorkflowWorker, workflowWorkerOptions } from '../workers/workflow-worker.ts';
import { startNodeWorker, type NodeWorker } from '../workers/node-worker.ts';
import { connectClient, connectNative, TemporalConnectError, temporalProblem } from '../temporal/connection.ts';
import { checkCluster, ClusterSetupError } from '../temporal/cluster.ts';
import { startCodecServer } from '../temporal/codec-server.ts';
import { announce, startProcessOps, type ProcessOps } from '../workers/ops.ts';
import type { Logger } from '../observability/log.ts';

const ROLES = ['workflows', 'nodes', 'api', 'codec'] as const;
type Role = (typeof ROLES)[number];

async function run(role: Role, config: Config, { logger, ops }: ProcessOps): Promise<() => Promise<void>> {
  if (role === 'codec') {
    const codec = await startCodecServer(config);
    announce(logger, `codec server listening on ${codec.url}`);
    return () => codec.close();
  }
  if (role === 'api' && !config.HANDOFF_JWT_SECRET)
    throw new ConfigError('HANDOFF_JWT_SECRET: required for the api role');
  // One client per process, also used for the start-up check of the cluster.
  const { client: c, connection: clientConnection } = await connectClient(config);
  await checkCluster(clientConnection, config.TEMPORAL_NAMESPACE);
  ops.addCheck('temporal', () => temporalProblem(clientConnection));
  announce(logger, `temporal: ${config.temporal.summary}`);
  if (role === 'api' && config.HANDOFF_JWT_SECRET) {
    const store = await openStoreLogged(config, logger);
    ops.addCheck('store', () => store.ping().then(() => undefined));
    const api = await startApi({
      store,
      engine: new TemporalCallEngine(c, {
        timeoutMs: config.API_ENGINE_TIMEOUT_MS,
        ...callWorkflowStarts(config, store),
      }),
      config: { ...config, HANDOFF_JWT_SECRET: config.HANDOFF_JWT_SECRET },
      logger,
    });
    announce(logger, `api listening on ${api.url}`);
    return async () => {
      await api.close();
      await store.close();
      await clientConnection.close();
    };
  }
  const connection = await connectNative(config);
  if (role === 'workflows') {
    const worker = await createWorkflowWorker(workflowWorkerOptions(config, connection));
    const running = worker.run();
    ops.addCheck('worker', async () => (worker.getState() === 'RUNNING' ? undefined : `worker ${worker.getState()}`));
    announce(logger, `workflow worker running on task queue ${config.WORKFLOW_TASK_QUEUE}`);
    return async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
    };
  }
  if (!config.FREESWITCH_NODES.length) throw new ConfigError('FREESWITCH_NODES: required for the nodes role');
  const store = await openStoreLogged(config, logger);
  const workers: NodeWorker[] = [];
  for (const node of config.FREESWITCH_NODES) {
    workers.push(await startNodeWorker({ node, connection, client: c, store, config, logger, ops }));
    announce(logger, `node worker running for ${node.name} (${node.host}:${node.port})`, { node: node.name });
  }
  return async () => {
    for (const w of workers) await w.stop();
    await connection.close();
    await clientConnection.close();
    await store.close();
  };
}

/** The configured store; a PostgreSQL connection lost while idle (a server restart) is a log line, not a crash. */
async function openStoreLogged(config: Config, logger: Logger): Promise<Store> {
  const store = await openConfiguredStore(config, {
    onConnectionError: (err) => logger.error(`store: connection lost (${err.message}); reconnecting on demand`),
  });
  announce(logger, `store: ${storeSummary(config)}`);
  return store;
}

async function main(): Promise<void> {
  const usage = `usage: npm run handoff -- --role ${ROLES.join('|')}   (bin/handoff.ts)`;
  let values: { role?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { role: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    // An unknown option or a stray argument: what was wrong and the usage, not a stack trace.
    console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) {
    console.error(usage);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig();
    if (role !== 'codec' && !config.TEMPORAL_ADDRESS)
      throw new ConfigError('TEMPORAL_ADDRESS: required (host:port of the Temporal frontend), or TEMPORAL_PROFILE');
    if (role === 'codec' && !config.PAYLOAD_CODEC_KEYS.length)
      throw new ConfigError('PAYLOAD_CODEC_KEYS: required for the codec role');
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  let processOps: ProcessOps;
  try {
    processOps = await startProcessOps(config, { role, temporal: role !== 'codec' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const { logger, ops } = processOps;
  announce(logger, `metrics on ${ops.url}/metrics (health: ${ops.url}/readyz)`);
  // Handlers first: a signal that comes while the roles start stops them as soon as they have started.
  let stop: (() => Promise<void>) | undefined;
  let signalled = false;
  const onSignal = () => {
    if (signalled) return;
    signalled = true;
    if (stop)
      void stop()
        .then(() => ops.close())
        .then(() => process.exit(0));
  };
  // Every signal is handled (a second one while stopping must not kill the process mid-shutdown).
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    stop = await run(role, config, processOps);
  } catch (err) {
    // A refused connection or a cluster that lacks what Handoff needs: say what and how to fix it, no stack trace.
    if (
      err instanceof TemporalConnectError ||
      err instanceof ClusterSetupError ||
      err instanceof StoreUnavailableError
    ) {
      console.error(err.message);
      process.exit(3);
    }
    throw err;
  }
  if (signalled)
    void stop()
      .then(() => ops.close())
      .then(() => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
