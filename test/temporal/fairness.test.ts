// The order Temporal hands out Handoff's tasks when they back up (contracts/priority.ts), on a real dev server with
// fairness on: workflows are started with the options the ingest, the API and the call workflow use
// (callStartOptions, transferStartOptions) while no worker polls, then one workflow worker with Handoff's task slots
// takes them, and the order their first tasks ran in is read back from Temporal.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { CALL_WORKFLOW_TYPE, callStartOptions } from '../../workflows/call-start.ts';
import { transferStartOptions } from '../../workflows/transfer-start.ts';
import { TRANSFER_WORKFLOW_TYPE } from '../../workers/ingest/transfers.ts';
import { taskPriority, TRANSFER_PRIORITY_KEY } from '../../contracts/priority.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { DEFAULT_WORKFLOW_TASK_SLOTS } from '../../contracts/ids.ts';
import { findTemporalCli, startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server.ts';

function cliAvailable(): boolean {
  try {
    findTemporalCli(process.env.TEMPORAL_CLI);
    return true;
  } catch {
    return false;
  }
}
const live = cliAvailable() ? test.serial : test.serial.skip;

const NODE = 'fs1';
const BUSY = 'aa000000000000000000000000000001';
const QUIET = 'bb000000000000000000000000000002';

let server: DevServer | undefined;
let connection: Connection | undefined;
let native: NativeConnection | undefined;
let client: Client;

test.before(async () => {
  if (!cliAvailable()) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  server = await startDevServer({
    cli: process.env.TEMPORAL_CLI,
    // One partition: fairness is kept per partition, and the order read back is then the queue's one order.
    dynamicConfig: {
      'matching.enableFairness': 'true',
      'matching.numTaskqueueReadPartitions': 1,
      'matching.numTaskqueueWritePartitions': 1,
    },
  });
  connection = await Connection.connect({ address: server.address });
  native = await NativeConnection.connect({ address: server.address });
  client = new Client({ connection });
});

test.after.always(async () => {
  await native?.close();
  await connection?.close();
  await server?.stop();
});

/** Starts a call workflow of `accountId`'s leg on `taskQueue`, as the ingest does at the leg's first event. */
async function startCall(taskQueue: string, accountId: string, i: number): Promise<string> {
  const callId = `${accountId.slice(0, 2)}-${i}-${randomBytes(4).toString('hex')}`;
  const created: ChannelEvent = {
    name: 'CHANNEL_CREATE',
    uuid: callId,
    coreUuid: 'core',
    seq: i + 1,
    at: Date.now(),
    node: NODE,
    leg: { accountId },
  };
  const options = callStartOptions({ callId, node: NODE, taskQueue, initial: [created] });
  await client.workflow.start(CALL_WORKFLOW_TYPE, options);
  return options.workflowId;
}

/** Starts a transfer workflow of `accountId`'s legs on `taskQueue`, as a call workflow does. */
async function startTransfer(taskQueue: string, accountId: string, i: number): Promise<string> {
  const transferId = `transfer:${i}-${randomBytes(4).toString('hex')}`;
  const options = transferStartOptions({ transferId, node: NODE, accountId });
  await client.workflow.start(TRANSFER_WORKFLOW_TYPE, { ...options, taskQueue, args: [] });
  return options.workflowId;
}

/** Runs a worker on `taskQueue` until every workflow of `ids` has closed; their IDs in the order they closed. */
async function firstTaskOrder(taskQueue: string, ids: readonly string[]): Promise<string[]> {
  const worker = await Worker.create({
    connection: native!,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./support/first-task-workflow.ts', import.meta.url)),
    // Handoff's default (one of them kept for the sticky queue): first tasks are taken about one at a time.
    maxConcurrentWorkflowTaskExecutions: DEFAULT_WORKFLOW_TASK_SLOTS,
  });
  await worker.runUntil(async () => {
    for (const id of ids) await client.workflow.getHandle(id).result();
  });
  const closed = await Promise.all(
    ids.map(async (id) => [id, (await client.workflow.getHandle(id).describe()).closeTime?.getTime()] as const),
  );
  return closed.sort((a, b) => (a[1] ?? Infinity) - (b[1] ?? Infinity)).map(([id]) => id);
}

const queue = () => `fairness-${randomBytes(4).toString('hex')}`;

test('a call and a transfer carry their account as fairness key; a transfer goes first', (t) => {
  t.deepEqual(taskPriority('call', BUSY), { fairnessKey: BUSY });
  t.deepEqual(taskPriority('transfer', BUSY), { priorityKey: TRANSFER_PRIORITY_KEY, fairnessKey: BUSY });
  t.true(TRANSFER_PRIORITY_KEY < 3, "before Temporal's default key");
  t.is(callStartOptions({ callId: 'c', node: NODE, taskQueue: 'q' }).priority.fairnessKey, undefined);
  // What cannot be a key leaves the call in the shared bucket rather than failing its start.
  t.deepEqual(taskPriority('call', 'x'.repeat(65)), {});
  t.deepEqual(taskPriority('call', 'ünïcode'), {});
  t.deepEqual(taskPriority('call', undefined), {});
});

live("one account's burst of new calls does not hold back another account's", async (t) => {
  const taskQueue = queue();
  const burst: string[] = [];
  for (let i = 0; i < 150; i++) burst.push(await startCall(taskQueue, BUSY, i));
  const few: string[] = [];
  for (let i = 0; i < 4; i++) few.push(await startCall(taskQueue, QUIET, i));
  const order = await firstTaskOrder(taskQueue, [...burst, ...few]);
  const ranks = few.map((id) => order.indexOf(id) + 1);
  t.log(`the quiet account's calls ran ${ranks.join(', ')} of ${order.length}`);
  // In arrival order they would run last (151st to 154th); shared between the two accounts, among the first few dozen.
  t.true(Math.max(...ranks) <= 40, `ranks ${ranks.join(', ')}`);
});

live("a transfer's task goes before the calls' queued ahead of it", async (t) => {
  const taskQueue = queue();
  const calls: string[] = [];
  for (let i = 0; i < 100; i++) calls.push(await startCall(taskQueue, BUSY, i));
  const transfers: string[] = [];
  for (let i = 0; i < 3; i++) transfers.push(await startTransfer(taskQueue, BUSY, i));
  const order = await firstTaskOrder(taskQueue, [...calls, ...transfers]);
  const ranks = transfers.map((id) => order.indexOf(id) + 1);
  t.log(`the transfers ran ${ranks.join(', ')} of ${order.length}`);
  // In arrival order they would run last (101st to 103rd).
  t.true(Math.max(...ranks) <= 10, `ranks ${ranks.join(', ')}`);
});
