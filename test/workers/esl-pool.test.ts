// A node's pool of command connections, against the FreeSWITCH simulator (real ESL over TCP), which runs one `api` at a
// time per connection as FreeSWITCH does. The slow command here is a real one: `api originate` holds its connection
// until the call is answered or fails (2602 rings and is never answered).
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { startSimulator } from '../../simulator/index.ts';
import { EslNode, EslTimeoutError, commandChannels } from '../../workers/esl/index.ts';
import { startFakeEsl } from './fake-esl-server.ts';
import { testLogger as logger } from './silent-logger.ts';

const fast = { initialMs: 20, maxMs: 200, factor: 2 };
const ringing = (timeoutS: number): string =>
  `originate {origination_uuid=${randomUUID()},originate_timeout=${timeoutS}}loopback/2602/default &park()`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a slow command on one connection does not hold up another channel’s command', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const node = new EslNode({ name: 'fs1', ...sim }, { logger, backoff: fast, commandConnections: 2 }).start();
  await node.waitConnected();
  await Promise.all(node.commandConnections.map((c) => c.waitConnected()));
  const done: string[] = [];
  const slow = node.api(ringing(2)).then((r) => (done.push('originate'), r));
  await sleep(100);
  const quick = node.api(`uuid_exists ${randomUUID()}`).then((r) => (done.push('uuid_exists'), r));
  t.is(await quick, 'false');
  t.regex(await slow, /^-ERR NO_ANSWER/);
  t.deepEqual(done, ['uuid_exists', 'originate'], 'the quick command was answered while the slow one ran');
  await node.close();
  await sim.close();
});

test('a command that misses its deadline fails only the commands on its own connection', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const node = new EslNode(
    { name: 'fs1', ...sim },
    { logger, backoff: fast, commandConnections: 2, commandTimeoutMs: 1500 },
  ).start();
  await node.waitConnected();
  await Promise.all(node.commandConnections.map((c) => c.waitConnected()));
  // Runs 5 s on its connection: its deadline (1.5 s) drops that connection.
  const stuck = node.api(ringing(5));
  await sleep(700);
  // In flight (about 1 s, within its own deadline) on the other connection when the first one is dropped.
  const other = node.api(ringing(1));
  await t.throwsAsync(stuck, { instanceOf: EslTimeoutError });
  t.regex(await other, /^-ERR NO_ANSWER/);
  t.is(await node.api(`uuid_exists ${randomUUID()}`), 'false');
  await node.close();
  await sim.close();
});

test('a command about a channel with a command in flight goes behind it, on its connection', async (t) => {
  let release: (body: string) => void = () => {};
  const fs = await startFakeEsl({
    api: (cmd) => (cmd === 'uuid_dump leg-1 json' ? new Promise<string>((r) => (release = r)) : `ok ${cmd}`),
  });
  const node = new EslNode(
    { name: 'fs1', host: '127.0.0.1', port: fs.port, password: 'ClueCon' },
    { logger, commandConnections: 2 },
  ).start();
  await node.waitConnected();
  await Promise.all(node.commandConnections.map((c) => c.waitConnected()));
  const done: string[] = [];
  const dump = node.api('uuid_dump leg-1 json').then((r) => (done.push(r), r));
  await sleep(50);
  const same = node.api('uuid_hold off leg-1').then((r) => (done.push(r), r));
  t.is(await node.api('uuid_exists leg-2'), 'ok uuid_exists leg-2', 'another channel’s command is not held up');
  t.false(
    fs.received.some((r) => r.line === 'api uuid_hold off leg-1'),
    'the channel’s second command waits behind its first',
  );
  release('{}');
  await Promise.all([dump, same]);
  t.deepEqual(done, ['{}', 'ok uuid_hold off leg-1']);
  await node.close();
  await fs.close();
});

test('with some command connections down, commands go on the others at once and the node counts as up', async (t) => {
  const sim = await startSimulator({ heartbeatMs: 0 });
  const node = new EslNode({ name: 'fs1', ...sim }, { logger, backoff: fast, commandConnections: 3 }).start();
  await Promise.all(node.commandConnections.map((c) => c.waitConnected()));
  await Promise.all([node.commandConnections[0]!.close(), node.commandConnections[1]!.close()]);
  t.is(node.commandConnectionsUp, 1);
  await node.waitConnected(100);
  const replies = await Promise.all(Array.from({ length: 5 }, () => node.api(`uuid_exists ${randomUUID()}`)));
  t.deepEqual(replies, ['false', 'false', 'false', 'false', 'false']);
  await node.close();
  await sim.close();
});

test('the channels a command names', (t) => {
  t.deepEqual(commandChannels('uuid_dump a json'), ['a']);
  t.deepEqual(commandChannels('uuid_hold off a'), ['a']);
  t.deepEqual(commandChannels('uuid_hold a'), ['a']);
  t.deepEqual(commandChannels('uuid_bridge a b'), ['a', 'b']);
  t.deepEqual(commandChannels('uuid_transfer a -both park inline'), ['a']);
  t.deepEqual(commandChannels('conference 3way-a list'), []);
  t.deepEqual(commandChannels('originate {origination_uuid=a}loopback/2600/default &park()'), []);
});
