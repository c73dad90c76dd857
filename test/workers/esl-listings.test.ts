// Listings of every channel on a big switch: megabytes of reply, seconds on the switch. They must neither cost the
// node worker's thread more than reading them once, nor hold up or break the connection the calls' commands use.
import test from 'ava';
import { EslConnection, EslNode } from '../../workers/esl/index.ts';
import { startFakeEsl } from './fake-esl-server.ts';
import { testLogger as logger } from './silent-logger.ts';

/** Bytes Buffer.concat produced while `run` ran: what the reply's reading copied. */
async function bytesJoined<T>(run: () => Promise<T>): Promise<{ result: T; bytes: number }> {
  const original = Buffer.concat;
  let bytes = 0;
  Buffer.concat = ((list: readonly Uint8Array[], totalLength?: number) => {
    const joined = original(list, totalLength);
    bytes += joined.length;
    return joined;
  }) as typeof Buffer.concat;
  try {
    return { result: await run(), bytes };
  } finally {
    Buffer.concat = original;
  }
}

test('a 20 MB reply arriving in pieces is joined once, not copied again with every piece', async (t) => {
  const size = 20 * 1024 * 1024;
  const big = 'x'.repeat(size - 2) + '\n}';
  const fs = await startFakeEsl({ api: (cmd) => (cmd === 'show channels as json' ? big : `ok ${cmd}`) });
  const conn = new EslConnection({ host: '127.0.0.1', port: fs.port, password: 'ClueCon', logger }).start();
  await conn.waitConnected();
  const { result, bytes } = await bytesJoined(() => conn.api('show channels as json'));
  t.is(result.length, size);
  t.true(result.endsWith('\n}'));
  // Read in 64 KB pieces, modesl's own buffering copies some 3 GB here (each piece appended to all held before).
  t.true(bytes <= 2 * size, `${(bytes / size).toFixed(1)}× the reply's size copied`);
  // The connection still parses what follows the big reply.
  t.is(await conn.api('status'), 'ok status');
  await conn.close();
  await fs.close();
});

test('a listing slower than a command deadline neither holds up the calls’ commands nor drops their connection', async (t) => {
  let release: (body: string) => void = () => {};
  const fs = await startFakeEsl({
    api: (cmd) =>
      cmd === 'show channels as json' ? new Promise<string>((resolve) => (release = resolve)) : `ok ${cmd}`,
  });
  const node = new EslNode(
    { name: 'fs1', host: '127.0.0.1', port: fs.port, password: 'ClueCon' },
    // One command connection: each login's handshake is held to the 300 ms deadline.
    { commandTimeoutMs: 300, listingTimeoutMs: 10_000, logger, commandConnections: 1 },
  ).start();
  await node.waitConnected();
  const listing = node.list('show channels as json');
  // Past the commands' deadline while the switch is still busy listing.
  await new Promise((r) => setTimeout(r, 600));
  t.is(await node.api('uuid_exists abc'), 'ok uuid_exists abc');
  release('{"row_count": 0}\n');
  t.is(await listing, '{"row_count": 0}\n');
  t.true(node.commandConnections.every((c) => c.connected));
  t.is(
    fs.received.filter((r) => r.line.startsWith('auth')).length,
    2 + node.commandConnections.length,
    'one login per connection, none again',
  );
  await node.close();
  await fs.close();
});

test('a listing that runs out of its own deadline drops only its own connection', async (t) => {
  const fs = await startFakeEsl({ api: (cmd) => (cmd === 'show channels as json' ? null : `ok ${cmd}`) });
  const node = new EslNode(
    { name: 'fs1', host: '127.0.0.1', port: fs.port, password: 'ClueCon' },
    { commandTimeoutMs: 2_000, listingTimeoutMs: 200, logger, backoff: { initialMs: 20, maxMs: 100, factor: 2 } },
  ).start();
  await node.waitConnected();
  await t.throwsAsync(node.list('show channels as json'), {
    message: /listings: no reply to 'api show' within 200 ms/,
  });
  t.is(await node.api('uuid_exists abc'), 'ok uuid_exists abc');
  t.true(node.commandConnections.every((c) => c.connected));
  // The listing connection comes back for the next reconciliation.
  await node.listingConnection.waitConnected(2_000);
  t.true(node.listingConnection.connected);
  await node.close();
  await fs.close();
});
