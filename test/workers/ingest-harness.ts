// What the ingest's Temporal tests share: the leg-variable names, a poll-until helper, fresh node names, and a worker
// running the recording stand-ins of the engine's workflows (workflows/recorders.ts).
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import anyTest, { type TestFn } from 'ava';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadConfig, type Config, type FreeswitchNode } from '../../config/index.ts';
import { startSimulator, type Simulator } from '../../simulator/index.ts';
import { connectClient, connectNative, dataConverter } from '../../temporal/connection.ts';

export const names = {
  ACCOUNT_ID_VARIABLE: 'ecallmgr_Account-ID',
  AUTHORIZING_ID_VARIABLE: 'ecallmgr_Authorizing-ID',
  OWNER_ID_VARIABLE: 'ecallmgr_Owner-ID',
};

export { eventually } from '../support/poll.ts';

export function nodeName(): string {
  return `t${randomUUID().slice(0, 8)}`;
}

/** A simulated switch of the test's own, and the node (a fresh name) an ingest connects to it as. */
export async function simulatedNode(): Promise<{ sim: Simulator; node: FreeswitchNode }> {
  const sim = await startSimulator({ heartbeatMs: 0 });
  return { sim, node: { name: nodeName(), host: sim.host, port: sim.port, password: sim.password } };
}

/** What a test opens and must not leave open: a switch, an ingest, a store, a connection. */
export type Closable = { close(): Promise<void> } | { stop(): Promise<void> };

/**
 * Closes `things` when the test ends, passed or failed (ava runs teardowns last registered first: register an ingest
 * after its switch and store). A test that fails half-way would otherwise leave them open, and its process with them.
 */
export function closeWhenDone(t: { teardown(fn: () => Promise<void>): void }, ...things: Closable[]): void {
  for (const thing of things) t.teardown(() => ('stop' in thing ? thing.stop() : thing.close()));
}

/** A worker running the recording workflows on its own task queue, until `stop()`. */
export async function startRecorders(
  opts: { namespace?: string; taskQueue?: string; config?: Config } = {},
): Promise<{ worker: Worker; taskQueue: string; stop(): Promise<void> }> {
  const config = opts.config ?? loadConfig();
  const taskQueue = opts.taskQueue ?? `ingest-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: await connectNative(config),
    namespace: opts.namespace ?? config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(config),
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflows/recorders.ts', import.meta.url)),
  });
  const running = worker.run();
  return {
    worker,
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

export interface IngestTestContext {
  client: Client;
  /** The recorders' task queue: where the ingest under test starts call workflows. */
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * The test function of an ingest test file: a client and the recorders for the whole file, and every test skipped
 * when there is no Temporal server (TEMPORAL_ADDRESS; `npm test` starts one).
 */
export function ingestTests(): TestFn<IngestTestContext> {
  const test = anyTest as TestFn<IngestTestContext>;
  if (!process.env.TEMPORAL_ADDRESS) return test.skip as unknown as TestFn<IngestTestContext>;
  test.before(async (t) => {
    Runtime.install({ logger: new DefaultLogger(process.env.HANDOFF_TEST_LOG ? 'INFO' : 'WARN') });
    const recorders = await startRecorders();
    const { client } = await connectClient(loadConfig());
    t.context = { client, taskQueue: recorders.taskQueue, stop: recorders.stop };
  });
  test.after.always(async (t) => {
    await t.context.stop?.();
    await t.context.client?.connection.close();
  });
  return test;
}
