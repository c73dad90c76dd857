// `npm test`'s suite runner: a real Temporal dev server (unless TEMPORAL_ADDRESS names one) and a real PostgreSQL
// server for the store tests (unless HANDOFF_TEST_DATABASE_URL names one), then ava. Every test file
// starts its own FreeSWITCH simulator and its own workers on its own task queues; against a real FreeSWITCH
// (HANDOFF_TEST_FREESWITCH) the files share that switch, so they run one at a time (scripts/lib/ava-args.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, repoRoot } from '../config/index.ts';
import { isTemporalConnectionVariable } from '../config/temporal.ts';
import { connectionOptions } from '../temporal/connection.ts';
import { avaArguments } from './lib/ava-args.ts';
import { startPostgresServer, type PostgresServer } from './lib/postgres-server.ts';
import { startDevServer, waitForTemporal, type DevServer } from './lib/temporal-dev-server.ts';

/** The store tests' PostgreSQL (one for the whole suite; each test makes a schema of its own on it). */
async function startTestPostgres(logDir: string): Promise<PostgresServer> {
  const logFile = path.join(logDir, 'test-postgres.log');
  fs.writeFileSync(logFile, '');
  const server = await startPostgresServer({ fast: true, logFile });
  console.log(`postgresql for the tests: 127.0.0.1:${server.port} (log: data/test-postgres.log)`);
  return server;
}

async function main(): Promise<number> {
  const address = process.env.TEMPORAL_ADDRESS;
  const env = { ...process.env };
  const logDir = path.join(repoRoot, 'data');
  fs.mkdirSync(logDir, { recursive: true });
  // Started while Temporal starts: initdb takes a few seconds.
  const postgresStarting = env.HANDOFF_TEST_DATABASE_URL ? undefined : startTestPostgres(logDir);
  postgresStarting?.catch(() => undefined); // its failure is reported where it is awaited
  try {
    return await runSuite(env, address, postgresStarting);
  } finally {
    await (await postgresStarting?.catch(() => undefined))?.destroy();
  }
}

async function runSuite(
  env: NodeJS.ProcessEnv,
  address: string | undefined,
  postgresStarting: Promise<PostgresServer> | undefined,
): Promise<number> {
  let server: DevServer | undefined;
  const logDir = path.join(repoRoot, 'data');
  if (!address) {
    // The suite runs against its own dev server: a profile, TLS, API key or namespace from the developer's shell is
    // for another cluster and must not reach the tests.
    const ignored = Object.keys(env).filter(isTemporalConnectionVariable);
    for (const name of ignored) delete env[name];
    if (ignored.length) console.log(`ignoring ${ignored.join(', ')}: the tests run on their own dev server`);
    server = await startDevServer({ cli: process.env.TEMPORAL_CLI, logFile: path.join(logDir, 'test-temporal.log') });
    address = server.address;
    console.log(`temporal dev server for the tests: ${address} (log: data/test-temporal.log)`);
  }
  try {
    const postgres = await postgresStarting;
    if (postgres) env.HANDOFF_TEST_DATABASE_URL = postgres.url;
    // Against a given cluster, with its TLS, API key and namespace (the same settings as every role).
    const given = server ? undefined : loadConfig(env);
    await waitForTemporal(
      given ? connectionOptions(given.temporal, address) : address,
      given?.TEMPORAL_NAMESPACE ?? 'default',
    );
    const ava = path.join(repoRoot, 'node_modules', '.bin', 'ava');
    if (process.env.HANDOFF_TEST_FREESWITCH) console.log('real FreeSWITCH: one test file at a time, tests serially');
    const child = spawn(ava, avaArguments(process.argv.slice(2), process.env), {
      stdio: 'inherit',
      // Processes a test starts take a free operations port each (the default, 9464, is for one process a host).
      env: { METRICS_PORT: '0', ...env, TEMPORAL_ADDRESS: address },
    });
    return await new Promise<number>((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
    );
  } finally {
    await server?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
