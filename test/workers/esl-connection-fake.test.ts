// EslConnection against a scripted server: subscription, timeouts, drops, auth failure, hostile bytes.
import test from 'ava';
import { EslConnection, EslDisconnectedError, EslTimeoutError, type EslEvent } from '../../workers/esl/index.ts';
import { startFakeEsl } from './fake-esl-server.ts';
import { testLogger as logger } from './silent-logger.ts';

const fast = { initialMs: 20, maxMs: 100, factor: 2 };

function nextEvent(conn: EslConnection, pred: (e: EslEvent) => boolean = () => true): Promise<EslEvent> {
  return new Promise((resolve) => {
    const on = (e: EslEvent): void => {
      if (!pred(e)) return;
      conn.off('event', on);
      resolve(e);
    };
    conn.on('event', on);
  });
}

test('subscribes with event json, removes what modesl adds, and never sends plain', async (t) => {
  const fs = await startFakeEsl();
  const conn = new EslConnection({
    host: '127.0.0.1',
    port: fs.port,
    password: 'ClueCon',
    logger,
    events: ['DTMF'],
  }).start();
  await conn.waitConnected();
  const lines = fs.received.map((r) => r.line);
  t.is(lines[0], 'auth ClueCon');
  t.true(lines.includes('event json DTMF'));
  t.true(lines.includes('nixevent CHANNEL_EXECUTE_COMPLETE BACKGROUND_JOB'));
  t.false(lines.some((l) => l.startsWith('event plain')));
  await conn.close();
  await fs.close();
});

test('a command connection asks for no events', async (t) => {
  const fs = await startFakeEsl();
  const conn = new EslConnection({ host: '127.0.0.1', port: fs.port, password: 'ClueCon', logger }).start();
  await conn.waitConnected();
  t.true(fs.received.some((r) => r.line === 'noevents'));
  t.is(await conn.api('status'), 'UP 0 years\n');
  await conn.close();
  await fs.close();
});

test('a timeout closes the connection, fails every pending command, and it reconnects', async (t) => {
  const fs = await startFakeEsl({ api: (cmd) => (cmd === 'hang' ? null : `ok ${cmd}`) });
  const conn = new EslConnection({
    host: '127.0.0.1',
    port: fs.port,
    password: 'ClueCon',
    logger,
    commandTimeoutMs: 300,
    backoff: fast,
  }).start();
  await conn.waitConnected();
  const disconnected = new Promise<string>((resolve) => conn.once('disconnected', resolve));
  const hung = conn.api('hang');
  const behind = conn.api('behind'); // answered by the server, but after the hung one: must not be trusted
  await t.throwsAsync(hung, { instanceOf: EslTimeoutError });
  await t.throwsAsync(behind);
  t.regex(await disconnected, /no reply/);
  await conn.waitConnected(2000);
  t.is(await conn.api('again'), 'ok again');
  await conn.close();
  await fs.close();
});

test('a dropped socket fails pending commands and reconnects with backoff', async (t) => {
  const fs = await startFakeEsl({ api: (cmd) => (cmd === 'hang' ? null : `ok ${cmd}`) });
  const conn = new EslConnection({
    host: '127.0.0.1',
    port: fs.port,
    password: 'ClueCon',
    logger,
    commandTimeoutMs: 5000,
    backoff: fast,
    events: ['DTMF'],
  }).start();
  await conn.waitConnected();
  const pending = conn.api('hang');
  await new Promise((r) => setTimeout(r, 50));
  fs.dropClients();
  await t.throwsAsync(pending, { instanceOf: EslDisconnectedError });
  await new Promise<void>((resolve) => conn.once('connected', resolve));
  const got = nextEvent(conn);
  fs.sendEvent({ 'Event-Name': 'DTMF', 'Unique-ID': 'u1', 'DTMF-Digit': '#' });
  t.is((await got)['DTMF-Digit'], '#');
  await conn.close();
  await fs.close();
});

test('commands wait for a reconnect up to their deadline instead of failing at once', async (t) => {
  const fs = await startFakeEsl();
  const port = fs.port;
  const conn = new EslConnection({ host: '127.0.0.1', port, password: 'ClueCon', logger, backoff: fast }).start();
  await conn.waitConnected();
  await fs.close();
  await new Promise((r) => setTimeout(r, 50));
  const fs2 = await startFakeEsl({ port });
  t.is(await conn.api('status'), 'UP 0 years\n');
  await conn.close();
  await fs2.close();
});

test('a wrong password never connects and does not crash', async (t) => {
  const fs = await startFakeEsl();
  const conn = new EslConnection({
    host: '127.0.0.1',
    port: fs.port,
    password: 'wrong',
    logger,
    backoff: fast,
    commandTimeoutMs: 300,
  }).start();
  await t.throwsAsync(conn.waitConnected(400), { instanceOf: EslDisconnectedError });
  await t.throwsAsync(conn.api('status'), { instanceOf: EslDisconnectedError });
  await conn.close();
  await fs.close();
});

test('nothing listening: retries quietly until the switch appears', async (t) => {
  const probe = await startFakeEsl();
  const port = probe.port;
  await probe.close();
  const conn = new EslConnection({ host: '127.0.0.1', port, password: 'ClueCon', logger, backoff: fast }).start();
  await new Promise((r) => setTimeout(r, 200));
  const fs = await startFakeEsl({ port });
  await conn.waitConnected(2000);
  t.true(conn.connected);
  await conn.close();
  await fs.close();
});

test('bgapi sends our Job-UUID and resolves on the +OK Job-UUID reply', async (t) => {
  const fs = await startFakeEsl();
  const conn = new EslConnection({ host: '127.0.0.1', port: fs.port, password: 'ClueCon', logger }).start();
  await conn.bgapi('status', 'job-1');
  const sent = fs.received.find((r) => r.line === 'bgapi status');
  t.is(sent?.headers['Job-UUID'], 'job-1');
  await t.throwsAsync(conn.bgapi('status\nexit', 'job-2'), { message: /newline/ });
  await conn.close();
  await fs.close();
});

test('events with invalid UTF-8 and percent signs arrive intact and do not crash', async (t) => {
  const fs = await startFakeEsl();
  const conn = new EslConnection({
    host: '127.0.0.1',
    port: fs.port,
    password: 'ClueCon',
    logger,
    events: ['CUSTOM'],
  }).start();
  await conn.waitConnected();
  const got = nextEvent(conn);
  fs.sendEvent({ 'Event-Name': 'CUSTOM', ringback: '%(2000,4000,440,480)', ua: 'caf\u00e9 \ud83d\ude00' });
  const e = await got;
  t.is(e.ringback, '%(2000,4000,440,480)');
  t.is(e.ua, 'caf\u00e9 \ud83d\ude00');

  // Raw bytes that are not UTF-8, in a JSON body and in an outer header (modesl's decoder would throw there).
  const next = nextEvent(conn, (ev) => ev['Event-Name'] === 'CUSTOM' && ev.n === '2');
  const json = Buffer.concat([
    Buffer.from('{"Event-Name":"CUSTOM","n":"2","ua":"x'),
    Buffer.from([0xed, 0xa0, 0xbd]),
    Buffer.from('"}'),
  ]);
  fs.sendRaw(Buffer.from('Content-Type: x-odd/thing\nX-Bad: %ED%A0%BD%zz\n\n'));
  fs.sendRaw(Buffer.concat([Buffer.from(`Content-Length: ${json.length}\nContent-Type: text/event-json\n\n`), json]));
  t.regex((await next).ua ?? '', /^x\ufffd/);
  t.is(await conn.api('status'), 'UP 0 years\n');
  await conn.close();
  await fs.close();
});
