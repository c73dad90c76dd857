// EslNode and EslConnection against the FreeSWITCH simulator (real ESL over TCP).
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { startSimulator } from '../../simulator/index.ts';
import {
  EslConnection,
  EslNode,
  EslTimeoutError,
  type EslEvent,
  EslDisconnectedError,
} from '../../workers/esl/index.ts';
import { testLogger as logger } from './silent-logger.ts';

const fast = { initialMs: 20, maxMs: 200, factor: 2 };

function waitFor(node: EslNode, pred: (e: EslEvent) => boolean, timeoutMs = 5000): Promise<EslEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.off('event', on);
      reject(new Error('event not seen'));
    }, timeoutMs);
    const on = (e: EslEvent): void => {
      if (!pred(e)) return;
      clearTimeout(timer);
      node.off('event', on);
      resolve(e);
    };
    node.on('event', on);
  });
}

test('auth, api, bgapi originate with our Job-UUID, and its events as JSON on the event connection', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const node = new EslNode({ name: 'fs1', ...sim }, { logger, backoff: fast }).start();
  await node.waitConnected();
  t.regex(await node.api('status'), /^UP /);

  const leg = randomUUID();
  const job = randomUUID();
  const created = waitFor(node, (e) => e['Event-Name'] === 'CHANNEL_CREATE' && e['Unique-ID'] === leg);
  const done = waitFor(node, (e) => e['Event-Name'] === 'BACKGROUND_JOB' && e['Job-UUID'] === job);
  await node.bgapi(
    `originate {origination_uuid=${leg},origination_caller_id_number=1001}loopback/2600/default &park()`,
    job,
  );
  const create = await created;
  t.is(create['Channel-Name'], 'loopback/2600-a');
  t.truthy(create['Core-UUID']);
  t.regex(create['Event-Sequence'] ?? '', /^\d+$/);
  t.is(create.variable_origination_caller_id_number, '1001');
  const bg = await done;
  t.is(bg['Job-Command'], 'originate');
  t.is(bg._body?.trim(), `+OK ${leg}`);
  t.is(await node.api(`uuid_exists ${leg}`), 'true');
  await node.close();
  await sim.close();
});

test('the event connection asks for JSON events only, and never for CHANNEL_EXECUTE_COMPLETE', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const node = new EslNode({ name: 'fs1', ...sim }, { logger }).start();
  await node.waitConnected();
  const names = new Set<string>();
  node.on('event', (e) => names.add(e['Event-Name'] ?? ''));
  const leg = randomUUID();
  await node.bgapi(`originate {origination_uuid=${leg}}loopback/2600/default &park()`, randomUUID());
  await waitFor(node, (e) => e['Event-Name'] === 'CHANNEL_PARK' && e['Unique-ID'] === leg);
  await node.api(`uuid_broadcast ${leg} tone_stream://%(100,100,350) aleg`);
  await node.api(`uuid_kill ${leg}`);
  await waitFor(node, (e) => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE' && e['Unique-ID'] === leg);
  t.false(names.has('CHANNEL_EXECUTE_COMPLETE'));
  t.false(names.has('CHANNEL_EXECUTE'));
  t.false(names.has('HEARTBEAT'));
  t.true(names.has('CHANNEL_CREATE'));
  await node.close();
  await sim.close();
});

test('a command without a reply in time closes the connection, fails what is pending, and it comes back', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const control = new EslConnection({ ...sim, logger }).start();
  const conn = new EslConnection({ ...sim, commandTimeoutMs: 300, backoff: fast, logger }).start();
  await Promise.all([control.waitConnected(), conn.waitConnected()]);
  await control.api('sim_fault delay_replies 1000');
  const first = conn.api('status');
  const second = conn.api('version');
  await t.throwsAsync(first, { instanceOf: EslTimeoutError });
  await t.throwsAsync(second, { instanceOf: EslTimeoutError });
  await control.api('sim_fault delay_replies 0').catch(() => undefined);
  await conn.waitConnected(5000);
  t.regex(await conn.api('status'), /^UP /);
  await Promise.all([conn.close(), control.close()]);
  await sim.close();
});

test('reconnects after the switch drops it; pending commands fail, events flow again', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const control = new EslConnection({ ...sim, logger }).start();
  const node = new EslNode({ name: 'fs1', ...sim }, { logger, backoff: fast }).start();
  await Promise.all([control.waitConnected(), node.waitConnected()]);
  let disconnects = 0;
  node.on('disconnected', () => disconnects++);
  const reconnected = new Promise<void>((resolve) => node.once('connected', resolve));
  // The node's connections (events, commands, listings); the control connection that asks is spared.
  t.is(await control.api('sim_fault drop_clients'), `+OK dropped ${2 + node.commandConnections.length}\n`);
  await reconnected;
  await node.waitConnected(5000);
  t.is(disconnects, 1);
  const leg = randomUUID();
  const created = waitFor(node, (e) => e['Event-Name'] === 'CHANNEL_CREATE' && e['Unique-ID'] === leg);
  await node.bgapi(`originate {origination_uuid=${leg}}loopback/2600/default &park()`, randomUUID());
  t.truthy(await created);
  await Promise.all([node.close(), control.close()]);
  await sim.close();
});

test('a simulator restart on the same port: commands wait for the reconnect', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const node = new EslNode({ name: 'fs1', ...sim }, { logger, backoff: fast, commandTimeoutMs: 3000 }).start();
  await node.waitConnected();
  const core1 = sim.coreUuid;
  await sim.close();
  await t.throwsAsync(
    node.api('status').then(() => node.api('status')),
    { instanceOf: EslDisconnectedError },
  );
  // Each command connection learns of the restart when its socket closes; one still taken for up may fail a command.
  while (node.commandConnectionsUp > 0) await new Promise((r) => setTimeout(r, 10));
  const sim2 = await startSimulator({ heartbeatMs: 0, port: sim.port });
  t.not(sim2.coreUuid, core1);
  t.regex(await node.api('status'), /^UP /);
  await node.close();
  await sim2.close();
});

test('a wrong password is retried without crashing, and works once the switch accepts it', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const control = new EslConnection({ ...sim, logger }).start();
  await control.waitConnected();
  await control.api('sim_fault refuse_auth on');
  const conn = new EslConnection({ ...sim, backoff: fast, logger }).start();
  await t.throwsAsync(conn.waitConnected(300));
  await control.api('sim_fault refuse_auth off');
  await conn.waitConnected(3000);
  t.true(conn.connected);
  await Promise.all([conn.close(), control.close()]);
  await sim.close();
});
