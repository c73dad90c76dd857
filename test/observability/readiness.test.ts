// A node worker's readiness follows its switch: the simulator stops, /readyz turns 503 naming the node; the simulator
// is back on the same port, the node worker reconnects and /readyz is 200 again. Needs Temporal (npm test).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../../config/index.ts';
import { startOpsServer } from '../../observability/server.ts';
import { startSimulator } from '../../simulator/index.ts';
import { openStore } from '../../store/index.ts';
import { connectClient, connectNative, temporalProblem } from '../../temporal/connection.ts';
import { installRuntime } from '../../temporal/runtime.ts';
import { startNodeWorker } from '../../workers/node-worker.ts';
import { testLogger } from '../support/engine.ts';
import { eventually } from '../support/poll.ts';

interface Readiness {
  status: number;
  body: { not_ready: string[]; checks: Record<string, { ok: boolean; error?: string }> };
}

async function readyz(url: string): Promise<Readiness> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

async function until(url: string, pred: (r: Readiness) => boolean, timeoutMs = 30_000): Promise<Readiness> {
  let last: Readiness | undefined;
  return eventually(
    () => `readyz to turn as expected (it says ${JSON.stringify(last)})`,
    async () => {
      last = await readyz(url);
      return pred(last) ? last : undefined;
    },
    { timeoutMs, everyMs: 200 },
  );
}

/** The handoff_esl_command_connections sample of a node and state; NaN when the scrape has none. */
function commandConnections(metrics: string, node: string, state: 'up' | 'down'): number {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith(`handoff_esl_command_connections{node="${node}",state="${state}"} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('stop the simulator: /readyz is 503 naming the node; back on the same port: 200 after the reconnect', async (t) => {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run with scripts/test.ts');
  const runtime = await installRuntime(testLogger);
  let sim = await startSimulator({ port: 0 });
  const id = crypto.randomBytes(4).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-ready-'));
  const config = loadConfig({ ...process.env, HANDOFF_DATA_DIR: dir, WORKFLOW_TASK_QUEUE: `handoff-ready-${id}` });
  const store = openStore(path.join(dir, 'handoff.sqlite'));
  const { client, connection } = await connectClient(config);
  const native = await connectNative(config);
  const ops = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    logger: testLogger,
    coreMetricsUrl: runtime.coreMetricsUrl,
  });
  ops.addCheck('temporal', () => temporalProblem(connection));
  const node = { name: `ready${id}`, host: sim.host, port: sim.port, password: sim.password };
  const worker = await startNodeWorker({ node, connection: native, client, store, config, logger: testLogger, ops });
  t.teardown(async () => {
    await worker.stop();
    await ops.close();
    await native.close();
    await connection.close();
    await store.close();
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ready = await until(ops.url, (r) => r.status === 200);
  t.true(ready.body.checks[`esl:${node.name}`]?.ok);
  t.true(ready.body.checks['temporal']?.ok);
  t.true(ready.body.checks['store']?.ok);
  let metrics = await (await fetch(`${ops.url}/metrics`)).text();
  t.true(metrics.includes(`handoff_esl_connected{node="${node.name}"} 1`));
  const pool = config.ESL_COMMAND_CONNECTIONS;
  const up = commandConnections(metrics, node.name, 'up');
  t.true(up >= 1, 'ready with at least one command connection up');
  t.is(up + commandConnections(metrics, node.name, 'down'), pool, 'up and down add up to ESL_COMMAND_CONNECTIONS');

  await sim.close();
  const down = await until(ops.url, (r) => r.status === 503);
  t.deepEqual(down.body.not_ready, [`esl:${node.name}`]);
  t.regex(down.body.checks[`esl:${node.name}`]?.error ?? '', new RegExp(`${sim.host}:${sim.port} down`));
  metrics = await (await fetch(`${ops.url}/metrics`)).text();
  t.true(metrics.includes(`handoff_esl_connected{node="${node.name}"} 0`));
  t.is(commandConnections(metrics, node.name, 'up'), 0);
  t.is(commandConnections(metrics, node.name, 'down'), pool);

  sim = await startSimulator({ port: node.port });
  const back = await until(ops.url, (r) => r.status === 200);
  t.deepEqual(back.body.not_ready, []);
});
