// The whole engine for an end-to-end test, in this test process: a switch (the simulator, or a real FreeSWITCH when
// HANDOFF_TEST_FREESWITCH is set), the workflow worker and the node worker (ingest + switch activities) on task queues
// of their own, a seeded SQLite store, and a raw ESL client that plays the phones.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { TestFn } from 'ava';

const { temporal } = proto;
import type { Worker } from '@temporalio/worker';
import { loadConfig, type Config, type FreeswitchNode } from '../../config/index.ts';
import { originateVariableBlocks } from '../../activities/originate-vars.ts';
import { createPolicyActivities, policyStore } from '../../activities/policy.ts';
import { createSwitchActivities, type CommandJournal, type SwitchCommands } from '../../activities/switch.ts';
import { openStore, seedDemo, type DemoSeed, type Store } from '../../store/index.ts';
import { createWorkflowWorker, workflowWorkerOptions } from '../../workers/workflow-worker.ts';
import { startNodeWorker, type NodeWorker, type NodeWorkerOptions } from '../../workers/node-worker.ts';
import { startIngest, type Ingest, type IngestOptions } from '../../workers/ingest/index.ts';
import { connectClient, connectNative, temporalProblem } from '../../temporal/connection.ts';
import { installRuntime } from '../../temporal/runtime.ts';
import { createLogger, type Logger } from '../../observability/log.ts';
import { startOpsServer, type OpsServer } from '../../observability/server.ts';
import { EslClient, type EslEvent } from './esl-client.ts';
import { hangUpLegs, liveChannels, switchUnderTest, type SwitchUnderTest } from './switch.ts';

export class MemoryJournal implements CommandJournal {
  readonly entries: { at: number; node: string; command: string; reply: string }[] = [];
  record(entry: { at: number; node: string; command: string; reply: string }): void {
    this.entries.push(entry);
  }
  commands(): string[] {
    return this.entries.map((e) => e.command);
  }
}

export interface Engine {
  config: Config;
  client: Client;
  store: Store;
  demo: DemoSeed;
  sw: SwitchUnderTest;
  node: FreeswitchNode;
  journal: MemoryJournal;
  /** The phones: a raw ESL client subscribed to every event. */
  phones: EslClient;
  /** Undefined when the test runs workflow workers of its own (other processes). */
  workflowWorker?: Worker;
  nodeWorker?: NodeWorker;
  /** The SQLite file the engine's store uses (for worker processes a test starts itself). */
  dbFile: string;
  /** The operations port (metrics, health, admin), when the test asked for it. */
  ops?: OpsServer;
  logger: Logger;
  stop(): Promise<void>;
}

/** The tests' logger: warnings and errors, unless HANDOFF_TEST_LOG asks for more (e.g. INFO). */
export const testLogger = createLogger({
  LOG_LEVEL: (process.env.HANDOFF_TEST_LOG?.toLowerCase() ?? 'warn') as 'warn',
  LOG_REDACT_NUMBERS: false,
});

export interface EngineOptions {
  workflowWorker?: boolean;
  /** false: the test runs the node worker (ESL, ingest, switch activities) in a process of its own. */
  nodeWorker?: boolean;
  /** Names recorded histories. */
  scenario?: string;
  /** Serve /metrics, /healthz, /readyz and the admin endpoints on a free port, as every Handoff process does. */
  ops?: boolean;
  /** Faults between the switch activities and the switch (NodeWorkerOptions.commands). */
  commands?: (esl: SwitchCommands) => SwitchCommands;
  /** Faults between the ingest and Temporal (NodeWorkerOptions.deliveries). */
  deliveries?: NodeWorkerOptions['deliveries'];
}

/** A context every test of a file shares: started before the first test, stopped after the last. */
export function useShared<T>(test: TestFn, start: () => Promise<T>, stop: (context: T) => Promise<void>): TestFn<T> {
  const typed = test as TestFn<T>;
  typed.before(async (t) => {
    t.context = await start();
  });
  typed.after.always(async (t) => {
    if (t.context) await stop(t.context);
  });
  return typed;
}

/**
 * The e2e fixture: a file's tests share one engine (switch, workers, store, phones).
 * `const test = useEngine(anyTest, { TARGET_RING_TIMEOUT_S: '2' }, { scenario: 'x' });`
 */
export function useEngine(test: TestFn, env: Record<string, string> = {}, opts: EngineOptions = {}): TestFn<Engine> {
  return useShared(
    test,
    () => startEngine(env, opts),
    (e) => e.stop(),
  );
}

export async function startEngine(env: Record<string, string> = {}, opts: EngineOptions = {}): Promise<Engine> {
  const sw = await switchUnderTest();
  const roles = await startEngineRoles(sw, env, opts).catch(async (err: unknown) => {
    await sw.close();
    throw err;
  });
  const phones = await EslClient.connect(sw, 'plain ALL');
  return {
    ...roles,
    phones,
    async stop() {
      if (process.env.HANDOFF_RECORD_HISTORIES)
        await recordHistories(roles.client, roles.config, process.env.HANDOFF_RECORD_HISTORIES, opts.scenario ?? 'e2e');
      // While the workers still run, so that the engine sees the hangups as a switch would show them.
      const left = await hangUpLegs(phones).then(
        async () => (sw.simulated ? liveChannels(phones) : []),
        (err: unknown) => [`clean-up failed: ${String(err)}`],
      );
      await phones.close();
      await roles.stop();
      await sw.close();
      // Checked on the simulator, which this file has to itself: nothing may stay up after a test file.
      if (left.length) throw new Error(`legs still up on the switch after the test file: ${left.join(', ')}`);
    },
  };
}

/** The engine without the phones: its roles, their store and Temporal connections. stop() leaves the switch up. */
export type EngineRoles = Omit<Engine, 'phones'>;

/**
 * A second ingest of the engine's node, as the other node worker of an HA pair runs one, started now (so it hears only
 * what comes next). `readsCodes`: it holds a feature code's presses as a node worker's does (INGEST_CODE_HOLD), reading a
 * leg's codes through its own ESL connections; `onDemand`: call workflows start on demand instead.
 */
export async function startPairIngest(
  e: EngineRoles,
  opts: { readsCodes?: boolean; onDemand?: IngestOptions['onDemand']; logger?: Logger } = {},
): Promise<Ingest> {
  const own: { ingest?: Ingest; policy?: ReturnType<typeof createPolicyActivities> } = {};
  const readCodes = (leg: string) => {
    own.policy ??= createPolicyActivities(
      createSwitchActivities(e.node.name, own.ingest!.esl),
      policyStore(e.store),
      e.config,
      {},
    );
    return own.policy.loadLegPolicy(leg);
  };
  const ingest = await startIngest({
    node: e.node,
    client: e.client,
    store: e.store,
    config: e.config,
    taskQueue: e.config.WORKFLOW_TASK_QUEUE,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.onDemand ? { onDemand: opts.onDemand } : opts.readsCodes ? { readCodes } : {}),
  });
  own.ingest = ingest;
  await ingest.ready(20_000).catch(async (err: unknown) => {
    await ingest.stop();
    throw err;
  });
  return ingest;
}

/**
 * The engine's roles on a switch the caller started: startEngine's, and the benchmark's, whose switch and phones run
 * in a process of their own (bench/switch-process.ts) so that they take none of the engine's CPU or event loop.
 */
export async function startEngineRoles(
  sw: SwitchUnderTest,
  env: Record<string, string> = {},
  opts: EngineOptions = {},
): Promise<EngineRoles> {
  // Workflow and worker logs only when asked for (HANDOFF_TEST_LOG=INFO): the suite's output stays readable.
  const runtime = await installRuntime(testLogger);
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the suite with `npm test`');
  const id = crypto.randomBytes(4).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-e2e-'));
  const node: FreeswitchNode = { name: `t${id}`, host: sw.host, port: sw.port, password: sw.password };
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: address,
    HANDOFF_DATA_DIR: dir,
    WORKFLOW_TASK_QUEUE: `handoff-test-${id}`,
    // Gaps are measured on the switch's clock, here the simulator's, in this process: starved (pinned to one CPU with
    // two busy loops), it stamped digits typed 60 ms apart up to 0.46 s apart (once 0.97 s), which split a code as a
    // slow typist's would at 300 ms. A second makes that rare (it is no bound); a code its timer ends waits 0.7 s more.
    DIGIT_TIMEOUT_MS: '1000',
    TARGET_RING_TIMEOUT_S: '4',
    BRIDGE_CONFIRM_TIMEOUT_MS: '2000',
    STICKY_SCHEDULE_TO_START_MS: '1000',
    SHUTDOWN_GRACE_MS: '2000',
    ...env,
  });
  const dbFile = path.join(dir, 'handoff.sqlite');
  const store = openStore(dbFile);
  const demo = await seedDemo(store);
  const nativeConnection = await connectNative(config);
  const { client, connection } = await connectClient(config);
  const ops = opts.ops
    ? await startOpsServer({ host: '127.0.0.1', port: 0, logger: testLogger, coreMetricsUrl: runtime.coreMetricsUrl })
    : undefined;
  ops?.addCheck('temporal', () => temporalProblem(connection));
  const journal = new MemoryJournal();
  const workflowWorker =
    opts.workflowWorker === false
      ? undefined
      : await createWorkflowWorker(workflowWorkerOptions(config, nativeConnection));
  const workflowsRunning = workflowWorker?.run();
  const nodeWorker =
    opts.nodeWorker === false
      ? undefined
      : await startNodeWorker({
          node,
          connection: nativeConnection,
          client,
          store,
          config,
          journal,
          logger: testLogger,
          ops,
          commands: opts.commands,
          deliveries: opts.deliveries,
        });
  await nodeWorker?.ingest.ready(20_000);
  return {
    config,
    client,
    store,
    demo,
    sw,
    node,
    journal,
    workflowWorker,
    nodeWorker,
    dbFile,
    ops,
    logger: testLogger,
    async stop() {
      await ops?.close();
      await nodeWorker?.stop();
      workflowWorker?.shutdown();
      await workflowsRunning?.catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What placing calls and pressing keys need: a connection that plays the phones, the account the calls belong to and
 * the channel variable that carries it. An Engine is one; so is the chaos tool's switch watcher (test/cluster).
 */
export interface PhoneLine {
  phones: Pick<EslClient, 'api' | 'bgapi' | 'waitForEvent'>;
  demo: { accountId: string };
  config: Pick<Config, 'ACCOUNT_ID_VARIABLE'>;
}

export interface Party {
  uuid: string;
  number: string;
}

/**
 * Alice calls Bob, as a switch sees it: two answered loopback legs (each `-b` half is the phone) bridged with
 * uuid_bridge, or (`bridgeApp`) one leg whose dialplan `bridge` application dials the other (capture 07, how Kazoo
 * connects calls). Both legs carry the account variable.
 */
export async function placeCall(
  e: PhoneLine,
  opts: {
    bridgeApp?: boolean;
    account?: string;
    aliceExt?: string;
    bobExt?: string;
    /** Bob's account when it is not Alice's (a call between two tenants). */
    bobAccount?: string;
    /** Alice's caller ID name (any printable name). */
    aliceCallerIdName?: string;
    /** More channel variables on each leg. */
    aliceVars?: Record<string, string>;
    bobVars?: Record<string, string>;
    /** The legs' UUIDs, when the caller must know them before the call exists (to clean up after a failure). */
    uuids?: { alice?: string; bob?: string };
    /** How long the call may take to be up, from its first originate to its bridge (a loaded machine is slower). */
    timeoutMs?: number;
  } = {},
): Promise<{ alice: Party; bob: Party }> {
  const account = opts.account ?? e.demo.accountId;
  const alice = { uuid: opts.uuids?.alice ?? crypto.randomUUID(), number: '1001' };
  const bob = { uuid: opts.uuids?.bob ?? crypto.randomUUID(), number: '1002' };
  // Quoted as the engine quotes its own originates, so that any value reaches the leg as it is.
  const vars = (p: Party) =>
    originateVariableBlocks({
      origination_uuid: p.uuid,
      origination_caller_id_number: p.number,
      ...(p === alice && opts.aliceCallerIdName !== undefined
        ? { origination_caller_id_name: opts.aliceCallerIdName }
        : {}),
      [e.config.ACCOUNT_ID_VARIABLE]: p === bob ? (opts.bobAccount ?? account) : account,
      ...(p === alice ? opts.aliceVars : opts.bobVars),
    });
  // Waited for from the start: a client that keeps no log (the chaos harness's phones) would miss a CHANNEL_BRIDGE
  // that came in the same read as the uuid_bridge reply (a switch lagging under load sends both at once).
  const bridged = e.phones.waitForEvent(
    (ev) => ev.name === 'CHANNEL_BRIDGE' && ev.headers['Unique-ID'] === alice.uuid,
    opts.timeoutMs ?? 15_000,
  );
  bridged.catch(() => undefined);
  if (opts.bridgeApp) {
    const job = await e.phones.bgapi(
      `originate ${vars(alice)}loopback/${opts.aliceExt ?? '2600'}/default &bridge(${vars(bob)}loopback/${opts.bobExt ?? '2601'}/default)`,
    );
    const result = await job.result;
    if (!result.startsWith('+OK')) throw new Error(`originate alice: ${result}`);
  } else {
    for (const [p, ext] of [
      [alice, opts.aliceExt ?? '2600'],
      [bob, opts.bobExt ?? '2601'],
    ] as const) {
      const job = await e.phones.bgapi(`originate ${vars(p)}loopback/${ext}/default &park()`);
      const result = await job.result;
      if (!result.startsWith('+OK')) throw new Error(`originate: ${result}`);
    }
    const reply = await e.phones.api(`uuid_bridge ${alice.uuid} ${bob.uuid}`);
    if (!reply.startsWith('+OK')) throw new Error(`uuid_bridge: ${reply}`);
  }
  await bridged;
  return { alice, bob };
}

/**
 * Presses keys on a leg, one digit at a time as a person would (the first digit must arrive before the rest).
 * `throughBindings`: the digits go through the leg's DTMF bindings (bind_meta_app, bind_digit_action) as a real
 * phone's do; plain uuid_recv_dtmf digits skip every binding (captures 22d, 22e), the `~` prefix undoes that.
 */
export async function press(
  e: Pick<PhoneLine, 'phones'>,
  leg: string,
  digits: string,
  gapMs = 60,
  opts: { throughBindings?: boolean } = {},
): Promise<void> {
  for (const d of digits) {
    const reply = await e.phones.api(`uuid_recv_dtmf ${leg} ${opts.throughBindings ? '~' : ''}${d}`);
    if (!reply.startsWith('+OK')) throw new Error(`uuid_recv_dtmf: ${reply}`);
    await new Promise((r) => setTimeout(r, gapMs));
  }
}

export async function hangUp(e: Pick<PhoneLine, 'phones'>, leg: string): Promise<void> {
  await e.phones.api(`uuid_kill ${leg}`);
}

/** Resolves with the first event matching, failing the test after `timeoutMs` (generous: speed is the benchmark's). */
export function waitFor(e: Engine, pred: (ev: EslEvent) => boolean, timeoutMs = 15_000): Promise<EslEvent> {
  return e.phones.waitForEvent(pred, timeoutMs);
}

/**
 * Saves the history of every workflow this engine ran (HANDOFF_RECORD_HISTORIES=<dir>), named after the workflow type:
 * test/replay replays them against the current code, so a change that would break calls in flight fails the suite.
 */
async function recordHistories(client: Client, config: Config, dir: string, scenario: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  // A test's last hangups may still be on their way to the call workflows: give them a moment to close.
  const running = `TaskQueue = "${config.WORKFLOW_TASK_QUEUE}" AND ExecutionStatus = "Running"`;
  for (const until = Date.now() + 10_000; Date.now() < until;) {
    const { count } = await client.workflow.count(running);
    if (count === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const query = `TaskQueue = "${config.WORKFLOW_TASK_QUEUE}" AND ExecutionStatus != "Running"`;
  const counts: Record<string, number> = {};
  for await (const wf of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const n = (counts[wf.type] = (counts[wf.type] ?? 0) + 1);
    const name = `${scenario}-${config.WORKFLOW_TASK_QUEUE.slice(-8)}-${wf.type}-${n}.json`;
    const History = temporal.api.history.v1.History;
    const json = History.toObject(History.fromObject(history), {
      longs: String,
      enums: String,
      bytes: String,
    });
    fs.writeFileSync(path.join(dir, name), JSON.stringify(json));
  }
}
