// TemporalCallEngine against a real Temporal server (TEMPORAL_ADDRESS, or a dev server started here) and a STUB call
// workflow answering the real update and query names: refusals, "no transfer", closed and unknown workflows, all the
// way to HTTP status codes. The real call workflow's end-to-end tests belong to the engine.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../../config/index.ts';
import { connectClient, connectionOptions, connectNative, dataConverter } from '../../temporal/connection.ts';
import test from 'ava';
import { CallNotFoundError, NoTransferError, TransferEndingError, TransferRefusedError } from '../../api/engine.ts';
import { TemporalCallEngine } from '../../api/temporal-engine.ts';
import { startApi } from '../../api/index.ts';
import { findTemporalCli, startDevServer, waitForTemporal } from '../../scripts/lib/temporal-dev-server.ts';
import type { DevServer } from '../../scripts/lib/temporal-dev-server.ts';
import { openStore } from '../../store/index.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { JWT_SECRET } from './support/server.ts';
import { decideSignal, type StubCallScript } from './support/stub-call-workflow.ts';
import { hangupCallUpdate } from '../../contracts/messages.ts';

function temporalAvailable(): boolean {
  if (process.env.TEMPORAL_ADDRESS) return true;
  try {
    findTemporalCli(process.env.TEMPORAL_CLI);
    return true;
  } catch {
    return false;
  }
}

const live = temporalAvailable() ? test.serial : test.serial.skip;

let server: DevServer | undefined;
let address = process.env.TEMPORAL_ADDRESS ?? '';
let client: Client;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
const taskQueue = `handoff-api-test-${randomBytes(4).toString('hex')}`;
const suffix = randomBytes(4).toString('hex');
const id = (name: string) => `${name}-${suffix}`;

test.before(async () => {
  if (!temporalAvailable()) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  if (!address) {
    server = await startDevServer({ cli: process.env.TEMPORAL_CLI });
    address = server.address;
  }
  const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: address });
  await waitForTemporal(connectionOptions(config.temporal, address), config.TEMPORAL_NAMESPACE);
  const native = await connectNative(config);
  const quiet = {
    log: () => {},
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: console.error,
  };
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./support/stub-call-workflow.ts', import.meta.url)),
    logger: quiet,
  });
  worker = await Worker.create({
    connection: native,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(config),
    taskQueue,
    workflowBundle,
  });
  running = worker.run();
  client = (await connectClient(config)).client;
  const start = (script: StubCallScript) =>
    client.workflow.start('stubCallWorkflow', { taskQueue, workflowId: callWorkflowId(script.callId), args: [script] });
  await start({ callId: id('ok'), accountId: 'acc' });
  await start({ callId: id('busy'), accountId: 'acc', refuse: 'transfer_in_progress' });
  await start({ callId: id('unbridged'), accountId: 'acc', refuse: 'not_bridged' });
  await start({ callId: id('ends'), accountId: 'acc' });
  for (const name of ['rang-out', 'cancelled']) {
    const transferId = `transfer:${id(name)}:peer`;
    await start({ callId: id(name), accountId: 'acc', transferId });
    await client.workflow.start('stubTransferWorkflow', { taskQueue, workflowId: transferId, args: [id(name)] });
  }
});

test.after.always(async () => {
  worker?.shutdown();
  await running;
  await client?.connection.close();
  await server?.stop();
});

live('query and updates reach the workflow and come back typed', async (t) => {
  const engine = new TemporalCallEngine(client);
  const call = await engine.getCall(id('ok'));
  t.like(call, { callId: id('ok'), accountId: 'acc', phase: 'bridged', bridgedTo: 'peer' });
  const accepted = await engine.requestTransfer(id('ok'), { target: '2600', type: 'blind' });
  t.deepEqual(accepted, {
    transferId: `transfer:${id('ok')}:peer`,
    transferor: id('ok'),
    transferee: 'peer',
    target: '2600',
    type: 'blind',
  });
  await engine.breakMedia(id('ok'));
  t.is((await engine.getCall(id('ok')))?.callerIdName, 'breaks:1');
});

live('refusals, "no transfer" and unknown calls map to the engine errors', async (t) => {
  const engine = new TemporalCallEngine(client);
  const busy = await t.throwsAsync(engine.requestTransfer(id('busy'), { target: '2600' }), {
    instanceOf: TransferRefusedError,
  });
  t.is(busy.reason, 'transfer_in_progress');
  const unbridged = await t.throwsAsync(engine.requestTransfer(id('unbridged'), { target: '2600' }), {
    instanceOf: TransferRefusedError,
  });
  t.is(unbridged.reason, 'not_bridged');
  await t.throwsAsync(engine.takeback(id('ok')), { instanceOf: NoTransferError });
  t.is(await engine.getCall(id('nobody')), undefined);
  await t.throwsAsync(engine.requestTransfer(id('nobody'), { target: '2600' }), { instanceOf: CallNotFoundError });
});

live('a call whose workflow has closed is not found for actions', async (t) => {
  const engine = new TemporalCallEngine(client);
  await engine.hangup(id('ends'), 'NORMAL_CLEARING');
  await client.workflow.getHandle(callWorkflowId(id('ends'))).result();
  await t.throwsAsync(engine.requestTransfer(id('ends'), { target: '2600' }), { instanceOf: CallNotFoundError });
  await t.throwsAsync(engine.breakMedia(id('ends')), { instanceOf: CallNotFoundError });
});

live('over HTTP: 200 accepted, 409 in progress, 400 not bridged, 409 no transfer, 404 unknown', async (t) => {
  const store = openStore(':memory:');
  const api = await startApi({
    store,
    engine: new TemporalCallEngine(client),
    config: { HANDOFF_JWT_SECRET: JWT_SECRET },
    port: 0,
  });
  t.teardown(async () => {
    await api.close();
    await store.close();
  });
  await store.createAccount({ id: 'acc', name: 'Acc' });
  for (const name of ['ok', 'busy', 'unbridged']) {
    const now = Date.now();
    await store.upsertChannel({
      callId: id(name),
      node: 'fs1',
      accountId: 'acc',
      answered: true,
      bridgedTo: 'peer',
      createdAt: now,
      updatedAt: now,
    });
  }
  const key = (await store.createApiKey('acc')).key;
  const auth = await fetch(`${api.url}/v2/api_auth`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ data: { api_key: key } }),
  });
  const token = ((await auth.json()) as { auth_token: string }).auth_token;
  const post = async (callId: string, data: Record<string, unknown>) => {
    const res = await fetch(`${api.url}/v2/accounts/acc/channels/${callId}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
      body: JSON.stringify({ data }),
    });
    return { status: res.status, body: (await res.json()) as { data: unknown; handoff?: Record<string, unknown> } };
  };
  const ok = await post(id('ok'), { action: 'transfer', target: '2600' });
  t.is(ok.status, 200);
  t.is(ok.body.data, 'transfer initiated');
  t.like(ok.body.handoff, { transfer_id: `transfer:${id('ok')}:peer`, transfer_type: 'attended' });
  t.is((await post(id('busy'), { action: 'transfer', target: '2600' })).status, 409);
  const unbridged = await post(id('unbridged'), { action: 'transfer', target: '2600' });
  t.is(unbridged.status, 400);
  t.deepEqual(unbridged.body.data, { other_leg_call_id: { required: { message: 'Channel is not bridged' } } });
  t.is((await post(id('ok'), { action: 'cancel_transfer' })).status, 409);
  t.is((await post(id('nobody'), { action: 'hangup' })).status, 404);
});

/** Whether `p` has settled within `ms`. */
const settles = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);

live(
  'cancel_transfer answers with the transfer’s verdict: a ring-out before it is refused, a cancel taken is not',
  async (t) => {
    const engine = new TemporalCallEngine(client);
    // The cancel reached the transfer just after its target rang out: the outcome is the ring-out's.
    const late = engine.takeback(id('rang-out'));
    t.false(await settles(late, 500), 'no answer while the transfer has not decided');
    await client.workflow.getHandle(`transfer:${id('rang-out')}:peer`).signal(decideSignal, {
      outcome: 'target_failed',
      reason: 'NO_ANSWER',
    });
    const refused = await t.throwsAsync(late, { instanceOf: TransferEndingError });
    t.is(refused?.transfer.reason, 'NO_ANSWER');
    // The cancel decided it.
    const taken = engine.takeback(id('cancelled'));
    t.false(await settles(taken, 500));
    await client.workflow.getHandle(`transfer:${id('cancelled')}:peer`).signal(decideSignal, { outcome: 'taken_back' });
    t.like(await taken, { transferId: `transfer:${id('cancelled')}:peer`, outcome: 'taken_back' });
    // A transfer closed since is read by its query.
    await client.workflow.getHandle(`transfer:${id('rang-out')}:peer`).executeUpdate(hangupCallUpdate, { args: [{}] });
    await client.workflow.getHandle(`transfer:${id('rang-out')}:peer`).result();
    const closed = await t.throwsAsync(engine.takeback(id('rang-out')), { instanceOf: TransferEndingError });
    t.is(closed?.transfer.outcome, 'target_failed');
  },
);
