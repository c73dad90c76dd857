// A node worker that cannot start leaves nothing behind: here its ingest's own Temporal client finds no server, after
// its ESL connections and its activity worker are up. The start fails with that error, the switch sees every one of
// the node's connections closed, and the process's Temporal connection closes (an activity worker left running would
// hold it open). Needs Temporal (npm test).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../../config/index.ts';
import { startSimulator } from '../../simulator/index.ts';
import { openStore } from '../../store/index.ts';
import { connectClient, connectNative } from '../../temporal/connection.ts';
import { freePort, installRuntime } from '../../temporal/runtime.ts';
import { startNodeWorker } from '../../workers/node-worker.ts';
import { testLogger } from '../support/engine.ts';
import { eventually } from '../support/poll.ts';

/** A TCP relay in front of the simulator that counts the connections open through it. */
async function countingRelay(to: {
  host: string;
  port: number;
}): Promise<{ port: number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(to.port, to.host);
    sockets.add(inbound);
    inbound.once('close', () => (sockets.delete(inbound), outbound.destroy()));
    outbound.once('close', () => inbound.destroy());
    inbound.on('error', () => undefined);
    outbound.on('error', () => undefined);
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

test('a node worker whose ingest cannot reach Temporal fails to start and leaves no connection open', async (t) => {
  if (!process.env.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS is not set: run with scripts/test.ts');
  await installRuntime(testLogger);
  const sim = await startSimulator({ port: 0 });
  const relay = await countingRelay(sim);
  const id = crypto.randomBytes(4).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-node-start-'));
  const config = loadConfig({ ...process.env, HANDOFF_DATA_DIR: dir, WORKFLOW_TASK_QUEUE: `handoff-start-${id}` });
  const store = openStore(path.join(dir, 'handoff.sqlite'));
  const { client, connection } = await connectClient(config);
  const native = await connectNative(config);
  t.teardown(async () => {
    await connection.close();
    await store.close();
    await relay.close();
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const node = { name: `start${id}`, host: '127.0.0.1', port: relay.port, password: sim.password };
  const nowhere = `127.0.0.1:${await freePort()}`;

  const failed = startNodeWorker({
    node,
    connection: native,
    client,
    address: nowhere,
    store,
    config,
    logger: testLogger,
  });
  // Its ESL connections came up before the ingest's client was tried.
  await eventually('the node worker connected to the switch', () => relay.open() > 0 || undefined, {
    timeoutMs: 30_000,
  });
  const err = await t.throwsAsync(failed);
  t.regex(String(err?.message), new RegExp(nowhere.replace(/\./g, '\\.')));

  await eventually('every ESL connection of the node closed', () => relay.open() === 0 || undefined, {
    timeoutMs: 10_000,
  });
  // Would throw IllegalStateError while the node's activity worker still held the connection.
  await t.notThrowsAsync(native.close());
});
