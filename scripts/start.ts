// `npm start`: the whole system on this machine. The Temporal dev server (unless TEMPORAL_ADDRESS), the FreeSWITCH
// simulator (unless FREESWITCH_NODES), the workflow worker, one node worker per switch, and the REST API.
// Ctrl-C stops all of it.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Config, type FreeswitchNode } from '../config/index.ts';
import { startSimulator } from '../simulator/index.ts';
import { openConfiguredStore, seedDemo } from '../store/index.ts';
import { startApi } from '../api/index.ts';
import { TemporalCallEngine, callWorkflowStarts } from '../api/temporal-engine.ts';
import { dataDirJwtSecret } from '../api/tokens.ts';
import { createWorkflowWorker, workflowWorkerOptions } from '../workers/workflow-worker.ts';
import { startNodeWorker } from '../workers/node-worker.ts';
import { DevServerPortInUseError, startDevServer, waitForTemporal } from './lib/temporal-dev-server.ts';
import { connectClient, connectionOptions, connectNative, temporalProblem } from '../temporal/connection.ts';
import { checkCluster } from '../temporal/cluster.ts';
import { startCodecServer } from '../temporal/codec-server.ts';
import { startProcessOps, type ProcessOps } from '../workers/ops.ts';

type Stop = () => Promise<unknown>;

/** A signing secret that survives restarts, so tokens stay valid across `npm start`s. */
function jwtSecret(config: Config): string {
  return config.HANDOFF_JWT_SECRET ?? dataDirJwtSecret(config.HANDOFF_DATA_DIR);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  // The data directory holds the store, the token secret and the dev server's histories: its owner's only.
  fs.mkdirSync(config.HANDOFF_DATA_DIR, { recursive: true, mode: 0o700 });
  fs.chmodSync(config.HANDOFF_DATA_DIR, 0o700);
  // The logger, the Temporal SDK's Runtime and the operations port (metrics, health, admin) of this one process.
  let processOps: ProcessOps;
  try {
    processOps = await startProcessOps(config, { role: 'all' });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const { logger, ops } = processOps;
  // Our own signal handler stops things in order (API, node workers, workflow worker, connections, server).
  const stops: Stop[] = [() => ops.close()];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping ...');
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(String(err)));
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    // A configured cluster (TEMPORAL_ADDRESS or a profile) is used as it is; otherwise the dev server, plain.
    let address = config.TEMPORAL_ADDRESS;
    let uiUrl: string | undefined;
    /** The CLI reads the cluster from the environment, as every role does; this dev server is in none of it. */
    let ctlEnv = '';
    let codecLine = '';
    let uiCodecEndpoint: string | undefined;
    if (config.PAYLOAD_CODEC_KEYS.length) {
      // The dev server's Web UI (on whatever port it runs) may call it too.
      const uiOrigins = address
        ? []
        : [`http://127.0.0.1:${config.TEMPORAL_UI_PORT}`, `http://localhost:${config.TEMPORAL_UI_PORT}`];
      const codec = await startCodecServer({
        ...config,
        CODEC_CORS_ORIGINS: [...new Set([...config.CODEC_CORS_ORIGINS, ...uiOrigins])],
      });
      stops.push(() => codec.close());
      codecLine = `Codec server:    ${codec.url}   (the Web UI's remote codec endpoint)`;
      if (!address) uiCodecEndpoint = codec.url;
    }
    if (!address) {
      const server = await startDevServer({
        cli: config.TEMPORAL_CLI,
        port: config.TEMPORAL_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile: path.join(config.HANDOFF_DATA_DIR, 'temporal.sqlite'),
        logFile: path.join(config.HANDOFF_DATA_DIR, 'temporal.log'),
        codecEndpoint: uiCodecEndpoint,
        namespace: config.TEMPORAL_NAMESPACE,
      });
      stops.push(() => server.stop());
      address = server.address;
      uiUrl = server.uiUrl;
      ctlEnv = `TEMPORAL_ADDRESS=${address} `;
    }
    await waitForTemporal(connectionOptions(config.temporal, address), config.TEMPORAL_NAMESPACE);

    let nodes: FreeswitchNode[] = config.FREESWITCH_NODES;
    let simulatorLine = '';
    if (!nodes.length) {
      const sim = await startSimulator({ port: config.SIMULATOR_PORT, password: config.SIMULATOR_PASSWORD });
      stops.push(() => sim.close());
      nodes = [{ name: 'sim1', host: sim.host, port: sim.port, password: sim.password }];
      simulatorLine = `FreeSWITCH simulator (ESL): ${sim.host}:${sim.port}, password ${sim.password}`;
    }

    const store = await openConfiguredStore(config);
    stops.push(async () => store.close());
    const demo = await seedDemo(store);

    const { client, connection: clientConnection } = await connectClient(config, { address });
    stops.push(() => clientConnection.close());
    await checkCluster(clientConnection, config.TEMPORAL_NAMESPACE);
    ops.addCheck('temporal', () => temporalProblem(clientConnection));
    ops.addCheck('store', () => store.ping().then(() => undefined));
    const nativeConnection = await connectNative(config, { address });
    stops.push(() => nativeConnection.close());

    const workflowWorker = await createWorkflowWorker(workflowWorkerOptions(config, nativeConnection));
    const workflowsRunning = workflowWorker.run();
    ops.addCheck('worker', async () =>
      workflowWorker.getState() === 'RUNNING' ? undefined : `worker ${workflowWorker.getState()}`,
    );
    stops.push(async () => {
      workflowWorker.shutdown();
      await workflowsRunning;
    });
    for (const node of nodes) {
      const nodeWorker = await startNodeWorker({
        node,
        connection: nativeConnection,
        client,
        address,
        store,
        config,
        logger,
        ops,
      });
      stops.push(() => nodeWorker.stop());
    }

    const api = await startApi({
      store,
      engine: new TemporalCallEngine(client, {
        timeoutMs: config.API_ENGINE_TIMEOUT_MS,
        ...callWorkflowStarts(config, store),
      }),
      config: { ...config, HANDOFF_JWT_SECRET: jwtSecret(config) },
      logger,
    });
    stops.push(() => api.close());

    console.log(
      [
        '',
        'Handoff is running.',
        `  Temporal:        ${uiUrl ? `${address}   Web UI: ${uiUrl}` : config.temporal.summary}`,
        ...(codecLine ? [`  ${codecLine}`] : []),
        `  REST API:        ${api.url}   (OpenAPI: ${api.url}/openapi.json, docs: ${api.url}/docs)`,
        `  Metrics:         ${ops.url}/metrics   (health: ${ops.url}/readyz)`,
        `  On-call CLI:     ${ctlEnv}npm run ctl -- help`,
        ...(simulatorLine ? [`  ${simulatorLine}`] : []),
        `  Nodes:           ${nodes.map((n) => `${n.name}=${n.host}:${n.port}`).join(', ')}`,
        `  Demo account:    ${demo.accountId}`,
        `  Demo API key:    ${demo.apiKey}`,
        '  Place a demo call: npm run demo   (Ctrl-C here stops everything)',
        '',
      ].join('\n'),
    );
    await workflowsRunning;
  } catch (err) {
    if (err instanceof DevServerPortInUseError) {
      const elsewhere =
        err.port === config.TEMPORAL_PORT
          ? `, or use that server: TEMPORAL_ADDRESS=127.0.0.1:${err.port} (it needs Handoff's search attributes: npm run admin -- temporal-setup)`
          : '';
      console.error(
        `${err.message}: stop it, or give this dev server other ports (TEMPORAL_PORT, TEMPORAL_UI_PORT)${elsewhere}`,
      );
    } else console.error(err);
    await shutdown(1);
  }
}

void main();
