// A Handoff cluster of real OS processes, configured by environment only, as at scale (README, "Running at scale"):
// a Temporal dev server on a database file (so it can be SIGKILLed and started again on it), one FreeSWITCH simulator
// process per node, and N processes of each role (`bin/handoff.ts --role workflows|nodes|api`), node workers per
// node (two on one node: two ingests watching one switch). The chaos tool and the cluster test build on it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { loadConfig, repoRoot } from '../../config/index.ts';
import { isTemporalConnectionVariable } from '../../config/temporal.ts';
import { connectClient } from '../../temporal/connection.ts';
import { openConfiguredStore, seedDemo, type DemoSeed } from '../../store/index.ts';
import {
  devServerArgs,
  devServerEnv,
  FAST_TIMER_SHIFT_MS,
  findTemporalCli,
  waitForTemporal,
  type DevServerOptions,
} from '../../scripts/lib/temporal-dev-server.ts';
import { startPostgresServer, type PostgresServer } from '../../scripts/lib/postgres-server.ts';
import { writeWorkflowBundle } from '../../workers/workflow-worker.ts';
import type { EslAddress } from '../support/esl-client.ts';
import { rolePort } from './ports.ts';
import { Supervisor, type ManagedProcess, type ProcessEvent, type Role } from './processes.ts';

export interface ClusterSpec {
  /** The run's directory: logs (logs/<process>.log), the store, Temporal's database. Created if missing. */
  dir: string;
  /** The switches, and how many node-worker processes watch each (2: the HA pair). */
  nodes: { name: string; workers: number }[];
  workflowWorkers: number;
  apiProcesses: number;
  /** Configuration every role gets (TARGET_RING_TIMEOUT_S, DIGIT_TIMEOUT_MS, a DATABASE_URL ...). */
  env?: Record<string, string>;
  /**
   * The store every role shares: a SQLite file in the run's directory (the default), or a PostgreSQL server the
   * cluster starts for itself (unless `env` names one with DATABASE_URL), as at scale.
   */
  store?: 'sqlite' | 'postgres';
  /** Use this Temporal frontend; otherwise the cluster runs a dev server of its own. */
  temporalAddress?: string;
  /** The own dev server's settings: the benchmark's precise timers, extra dynamic configuration. */
  devServer?: Pick<DevServerOptions, 'fastTimers' | 'dynamicConfig'>;
  /** The simulators' seed (each node gets seed + its index). */
  seed?: number;
  /**
   * The workflow bundle the workflow workers load (WORKFLOW_BUNDLE): built once by the caller for several clusters, or
   * else here, once for this cluster, so that a restarted workflow worker polls within seconds instead of re-running
   * webpack. `false`: every workflow worker bundles at its start.
   */
  workflowBundle?: string | false;
  /** The workflows' task queue; a fresh one by default, so visibility queries see only this cluster. */
  taskQueue?: string;
  onProcessEvent?: (e: ProcessEvent) => void;
}

export interface ClusterNode {
  name: string;
  esl: EslAddress;
  simulator: ManagedProcess;
  workers: ManagedProcess[];
}

export interface Cluster {
  spec: ClusterSpec;
  temporalAddress: string;
  temporal?: ManagedProcess;
  taskQueue: string;
  nodes: ClusterNode[];
  workflowWorkers: ManagedProcess[];
  apis: { process: ManagedProcess; url: string }[];
  supervisor: Supervisor;
  /** The seeded store's account and API key. */
  demo: DemoSeed;
  /** The environment every role process runs with (before its own additions). */
  env: NodeJS.ProcessEnv;
  /** A Temporal client of this process (visibility only: the verdicts come from the switch). */
  client(): Promise<Client>;
  stop(): Promise<void>;
}

/** The role processes that may be killed: everything but the switches. */
export const KILLABLE_ROLES: readonly Role[] = ['workflows', 'nodes', 'api', 'temporal'];

const tsxProcess = (role: 'workflows' | 'nodes' | 'api') => ({
  command: process.execPath,
  args: ['--import', 'tsx', path.join(repoRoot, 'bin', 'handoff.ts'), '--role', role],
});

const READY: Record<'workflows' | 'nodes' | 'api', RegExp> = {
  workflows: /workflow worker running/,
  nodes: /node worker running/,
  api: /api listening on/,
};

export async function startCluster(spec: ClusterSpec): Promise<Cluster> {
  const logs = path.join(spec.dir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const supervisor = new Supervisor(spec.onProcessEvent);
  const taskQueue = spec.taskQueue ?? `handoff-cluster-${crypto.randomBytes(3).toString('hex')}`;

  let temporal: ManagedProcess | undefined;
  let temporalAddress = spec.temporalAddress;
  if (!temporalAddress) {
    const port = await rolePort();
    temporalAddress = `127.0.0.1:${port}`;
    const address = temporalAddress;
    temporal = supervisor.add({
      name: 'temporal',
      role: 'temporal',
      command: findTemporalCli(process.env.TEMPORAL_CLI),
      args: devServerArgs({ ...spec.devServer, port, dbFile: path.join(spec.dir, 'temporal.sqlite') }),
      env: devServerEnv(),
      logFile: path.join(logs, 'temporal.log'),
      readyCheck: () => waitForTemporal(address, 'default', 60_000),
    });
  }

  let workflowBundle = spec.workflowBundle;
  if (workflowBundle === undefined && spec.workflowWorkers > 0) {
    workflowBundle = path.join(spec.dir, 'workflows-bundle.js');
    await writeWorkflowBundle(workflowBundle);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    WORKFLOW_TASK_QUEUE: taskQueue,
    HANDOFF_DATA_DIR: spec.dir,
    HANDOFF_DB: path.join(spec.dir, 'handoff.sqlite'),
    HANDOFF_JWT_SECRET: crypto.randomBytes(24).toString('hex'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
    ...(workflowBundle ? { WORKFLOW_BUNDLE: workflowBundle } : {}),
    // Every process serves /metrics and /readyz: many on one host, each on a free port.
    METRICS_PORT: '0',
    // The engine knows how precisely its own dev server fires short timers.
    ...(spec.devServer?.fastTimers ? { TEMPORAL_TIMER_SHIFT_MS: String(FAST_TIMER_SHIFT_MS) } : {}),
    ...spec.env,
  };
  // A switch of the caller's environment must not leak into the cluster: its nodes are its own simulators. Nor, when
  // the cluster runs its own dev server, a Temporal profile, TLS or API key meant for another cluster.
  delete env.HANDOFF_TEST_FREESWITCH;
  if (!spec.temporalAddress) {
    for (const name of Object.keys(env)) {
      if (isTemporalConnectionVariable(name) && name !== 'TEMPORAL_ADDRESS') delete env[name];
    }
  }
  // The store every role opens, seeded here: the run's SQLite file, or one PostgreSQL for every process (the spec's
  // DATABASE_URL, or a server of the cluster's own); never a database of the caller's shell.
  if (!spec.env?.DATABASE_URL) delete env.DATABASE_URL;
  let postgres: PostgresServer | undefined;
  if (spec.store === 'postgres' && !env.DATABASE_URL) {
    postgres = await startPostgresServer({ fast: true, logFile: path.join(logs, 'postgres.log') });
    env.DATABASE_URL = postgres.url;
  }
  const demo = await seedStore(env).catch(async (err: unknown) => {
    await postgres?.destroy();
    throw err;
  });

  const nodes: ClusterNode[] = [];
  for (const [i, n] of spec.nodes.entries()) {
    const port = await rolePort();
    const esl: EslAddress = { host: '127.0.0.1', port, password: 'ClueCon' };
    const simulator = supervisor.add({
      name: `simulator-${n.name}`,
      role: 'simulator',
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        path.join(repoRoot, 'simulator', 'main.ts'),
        '--port',
        String(port),
        '--password',
        esl.password,
        ...(spec.seed !== undefined ? ['--seed', String(spec.seed + i)] : []),
      ],
      env: { ...process.env },
      logFile: path.join(logs, `simulator-${n.name}.log`),
      readyLine: /ESL address/,
    });
    const workers = Array.from({ length: n.workers }, (_, k) =>
      supervisor.add({
        name: `nodes-${n.name}-${k + 1}`,
        role: 'nodes',
        ...tsxProcess('nodes'),
        env: { ...env, FREESWITCH_NODES: `${n.name}=esl://:${esl.password}@${esl.host}:${esl.port}` },
        logFile: path.join(logs, `nodes-${n.name}-${k + 1}.log`),
        readyLine: READY.nodes,
      }),
    );
    nodes.push({ name: n.name, esl, simulator, workers });
  }
  const workflowWorkers = Array.from({ length: spec.workflowWorkers }, (_, k) =>
    supervisor.add({
      name: `workflows-${k + 1}`,
      role: 'workflows',
      ...tsxProcess('workflows'),
      env,
      logFile: path.join(logs, `workflows-${k + 1}.log`),
      readyLine: READY.workflows,
    }),
  );
  const apis: Cluster['apis'] = [];
  for (let k = 0; k < spec.apiProcesses; k++) {
    const port = await rolePort();
    apis.push({
      url: `http://127.0.0.1:${port}`,
      process: supervisor.add({
        name: `api-${k + 1}`,
        role: 'api',
        ...tsxProcess('api'),
        env: { ...env, API_HOST: '127.0.0.1', API_PORT: String(port), API_NODE_NAME: `api-${k + 1}` },
        logFile: path.join(logs, `api-${k + 1}.log`),
        readyLine: READY.api,
      }),
    });
  }

  let connection: Connection | undefined;
  let client: Client | undefined;
  const cluster: Cluster = {
    spec,
    temporalAddress,
    temporal,
    taskQueue,
    nodes,
    workflowWorkers,
    apis,
    supervisor,
    demo,
    env,
    async client() {
      if (!client) ({ client, connection } = await connectClient(loadConfig(env)));
      return client;
    },
    async stop() {
      await connection?.close().catch(() => undefined);
      await supervisor.stopAll();
      await postgres?.destroy();
    },
  };
  try {
    // Temporal and the switches first (the roles need them), then every role at once.
    await Promise.all([temporal?.start(), ...nodes.map((n) => n.simulator.start())]);
    await Promise.all(
      supervisor.processes.filter((p) => p.role !== 'temporal' && p.role !== 'simulator').map((p) => p.start()),
    );
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Migrates and seeds the store the roles are configured with; the demo account and its API key. */
async function seedStore(env: NodeJS.ProcessEnv): Promise<DemoSeed> {
  const store = await openConfiguredStore(loadConfig(env));
  try {
    return await seedDemo(store);
  } finally {
    await store.close();
  }
}
