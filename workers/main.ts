// One Handoff process of a given role, for running at scale (npm start runs every role in one process instead):
//   tsx workers/main.ts --role workflows   stateless workflow worker; run as many as the call rate needs
//   tsx workers/main.ts --role nodes       ESL ingest + switch activities for every node in FREESWITCH_NODES
//   tsx workers/main.ts --role api         the REST API
// TEMPORAL_ADDRESS is required: at scale the Temporal cluster is not ours to start.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { parseArgs } from 'node:util';
import { ConfigError, dbPath, loadConfig, type Config } from '../config/index.ts';
import { openStore } from '../store/index.ts';
import { startApi } from '../api/index.ts';
import { TemporalCallEngine } from '../api/engine.ts';
import { createWorkflowWorker } from './workflow-worker.ts';
import { startNodeWorker, type NodeWorker } from './node-worker.ts';

type Role = 'workflows' | 'nodes' | 'api';

async function run(role: Role, config: Config, address: string): Promise<() => Promise<void>> {
  const client = () =>
    Connection.connect({ address }).then((c) => new Client({ connection: c, namespace: config.TEMPORAL_NAMESPACE }));
  if (role === 'api') {
    if (!config.HANDOFF_JWT_SECRET) throw new ConfigError('HANDOFF_JWT_SECRET: required for the api role');
    const store = openStore(dbPath(config));
    const c = await client();
    const api = await startApi({
      store,
      engine: new TemporalCallEngine(c, { timeoutMs: config.API_ENGINE_TIMEOUT_MS }),
      config: { ...config, HANDOFF_JWT_SECRET: config.HANDOFF_JWT_SECRET },
    });
    console.log(`api listening on ${api.url}`);
    return async () => {
      await api.close();
      await store.close();
    };
  }
  const connection = await NativeConnection.connect({ address });
  if (role === 'workflows') {
    const worker = await createWorkflowWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.WORKFLOW_TASK_QUEUE,
      stickyScheduleToStartMs: config.STICKY_SCHEDULE_TO_START_MS,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    });
    const running = worker.run();
    console.log(`workflow worker running on task queue ${config.WORKFLOW_TASK_QUEUE}`);
    return async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  }
  if (!config.FREESWITCH_NODES.length) throw new ConfigError('FREESWITCH_NODES: required for the nodes role');
  const store = openStore(dbPath(config));
  const c = await client();
  const workers: NodeWorker[] = [];
  for (const node of config.FREESWITCH_NODES) {
    workers.push(await startNodeWorker({ node, connection, client: c, store, config }));
    console.log(`node worker running for ${node.name} (${node.host}:${node.port})`);
  }
  return async () => {
    for (const w of workers) await w.stop();
    await connection.close();
    await store.close();
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string' } } });
  const role = values.role as Role | undefined;
  if (!role || !['workflows', 'nodes', 'api'].includes(role)) {
    console.error('usage: workers/main.ts --role workflows|nodes|api');
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig();
    if (!config.TEMPORAL_ADDRESS)
      throw new ConfigError('TEMPORAL_ADDRESS: required (host:port of the Temporal frontend)');
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  Runtime.install({
    logger: new DefaultLogger((process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'WARN'),
    shutdownSignals: [],
  });
  const stop = await run(role, config, config.TEMPORAL_ADDRESS);
  const onSignal = () => void stop().then(() => process.exit(0));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
