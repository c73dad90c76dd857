// TemporalCallEngine's error mapping (what the Temporal client throws → the engine's errors → HTTP), and an
// unreachable Temporal answered as 503 over real HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  Client,
  Connection,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import test from 'ava';
import {
  CallNotFoundError,
  EngineFailedError,
  EngineUnavailableError,
  NoTransferError,
  TransferRefusedError,
} from '../../api/engine.ts';
import { startApi } from '../../api/index.ts';
import { TemporalCallEngine, mapTemporalError } from '../../api/temporal-engine.ts';
import { openStore } from '../../store/index.ts';
import { NO_TRANSFER, TRANSFER_REFUSAL_REASONS, TRANSFER_REFUSED } from '../../contracts/refusals.ts';
import { JWT_SECRET } from './support/server.ts';

function updateFailed(cause: Error): WorkflowUpdateFailedError {
  return new WorkflowUpdateFailedError('update failed', cause);
}

test('WorkflowNotFoundError (no workflow, or a closed one) → CallNotFoundError', (t) => {
  const err = mapTemporalError('c1', new WorkflowNotFoundError('not found', 'call:c1', undefined));
  t.true(err instanceof CallNotFoundError);
  t.is((err as CallNotFoundError).callId, 'c1');
});

test('TRANSFER_REFUSED with a known reason → TransferRefusedError with that reason and message', (t) => {
  for (const reason of TRANSFER_REFUSAL_REASONS) {
    const cause = ApplicationFailure.create({
      type: TRANSFER_REFUSED,
      message: `refused: ${reason}`,
      details: [reason],
    });
    const err = mapTemporalError('c1', updateFailed(cause));
    t.true(err instanceof TransferRefusedError, reason);
    t.is((err as TransferRefusedError).reason, reason);
    t.is(err.message, `refused: ${reason}`);
  }
  // An unknown reason is not guessed at.
  const odd = ApplicationFailure.create({ type: TRANSFER_REFUSED, message: 'x', details: ['weird'] });
  t.true(mapTemporalError('c1', updateFailed(odd)) instanceof EngineFailedError);
});

test('NoTransfer → NoTransferError; other update failures → EngineFailedError', (t) => {
  const none = ApplicationFailure.create({ type: NO_TRANSFER, message: 'no transfer is running on this call' });
  t.true(mapTemporalError('c1', updateFailed(none)) instanceof NoTransferError);
  const other = mapTemporalError('c1', updateFailed(ApplicationFailure.create({ message: 'target is required' })));
  t.true(other instanceof EngineFailedError);
  t.is(other.message, 'target is required');
});

test('RPC timeouts and gRPC UNAVAILABLE/DEADLINE_EXCEEDED → EngineUnavailableError; NOT_FOUND → CallNotFoundError', (t) => {
  t.true(
    mapTemporalError('c1', new WorkflowUpdateRPCTimeoutOrCancelledError('timeout')) instanceof EngineUnavailableError,
  );
  const grpc = (code: number) => Object.assign(new Error(`${code} grpc`), { code, details: '', metadata: {} });
  const wrapped = (code: number) => Object.assign(new Error('Failed'), { name: 'ServiceError', cause: grpc(code) });
  t.true(mapTemporalError('c1', wrapped(14)) instanceof EngineUnavailableError);
  t.true(mapTemporalError('c1', wrapped(4)) instanceof EngineUnavailableError);
  t.true(mapTemporalError('c1', wrapped(5)) instanceof CallNotFoundError);
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('an unreachable Temporal: the channel endpoints answer 503 in the envelope, in bounded time', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-api-'));
  const store = openStore(path.join(dir, 'db.sqlite'));
  const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
  const engine = new TemporalCallEngine(new Client({ connection }), { timeoutMs: 2000 });
  const api = await startApi({ store, engine, config: { HANDOFF_JWT_SECRET: JWT_SECRET }, port: 0 });
  t.teardown(async () => {
    await api.close();
    await connection.close().catch(() => undefined);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await store.createAccount({ id: 'acc', name: 'Acc' });
  await store.upsertChannel({
    callId: 'c1',
    node: 'fs1',
    accountId: 'acc',
    answered: true,
    bridgedTo: 'c2',
    createdAt: Date.now(),
    updatedAt: Date.now(),
  });
  const key = (await store.createApiKey('acc')).key;
  const auth = await fetch(`${api.url}/v2/api_auth`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ data: { api_key: key } }),
  });
  const token = ((await auth.json()) as { auth_token: string }).auth_token;

  const started = Date.now();
  const res = await fetch(`${api.url}/v2/accounts/acc/channels/c1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
    body: JSON.stringify({ data: { action: 'transfer', target: '2600' } }),
  });
  t.is(res.status, 503);
  const body = (await res.json()) as { status: string; error: string; data: { message: string } };
  t.like(body, { status: 'error', error: '503' });
  t.is(body.data.message, 'the call engine is unavailable; try again');
  t.true(Date.now() - started < 15_000);

  // The read degrades instead of failing: the projection answers, with why the transfer state is missing.
  const get = await fetch(`${api.url}/v2/accounts/acc/channels/c1`, { headers: { 'X-Auth-Token': token } });
  t.is(get.status, 200);
  const view = (await get.json()) as { data: { handoff: { engine_error?: string } } };
  t.truthy(view.data.handoff.engine_error);
});
