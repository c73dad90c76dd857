// The command deadline when the engine's own thread is held up (a long garbage collection, a synchronous wait on the
// store): the switch (the simulator, in a process of its own) answered in time, and the reply waits unread in the socket
// while the thread is busy. Once free, Node runs due timers before it reads sockets, so the deadline must not be judged
// before the sockets are read. Serial: each test holds this thread up, which would make the other's timers late.
import { spawn } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import { EslConnection } from '../../workers/esl/index.ts';
import { startFakeEsl } from './fake-esl-server.ts';
import { testLogger as logger } from './silent-logger.ts';

const root = path.resolve(import.meta.dirname, '../..');

test.serial(
  'a reply that came in time while this thread was held up past the deadline is taken, not timed out',
  async (t) => {
    const sim = spawn(process.execPath, ['--import', 'tsx', 'simulator/main.ts', '--port', '0', '--heartbeat', '0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.teardown(() => void sim.kill());
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      sim.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on [^:]+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      sim.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
    });
    const conn = new EslConnection({ host: '127.0.0.1', port, password: 'ClueCon', commandTimeoutMs: 300, logger });
    conn.start();
    await conn.waitConnected(10_000);
    const reply = conn.api('status');
    // A few microtask turns: the command is written and its deadline runs. Then the thread is held up (still in the
    // callback this test resumed in) for eight times the deadline, while the simulator's reply arrives and waits unread.
    for (let i = 0; i < 10; i++) await null;
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      // busy, as a thread stuck in synchronous work is
    }
    t.regex(await reply, /^UP /);
    t.true(conn.connected, 'the connection was not dropped');
    await conn.close();
  },
);

test.serial('a deadline missed while this thread was held up says so, apart from one the switch missed', async (t) => {
  const fs = await startFakeEsl({ api: () => null });
  t.teardown(() => fs.close());
  const connect = () =>
    new EslConnection({ host: '127.0.0.1', port: fs.port, password: 'ClueCon', commandTimeoutMs: 200, logger }).start();
  const quiet = connect();
  t.teardown(() => quiet.close());
  await quiet.waitConnected(5_000);
  const unanswered = await t.throwsAsync(quiet.api('uuid_dump a json'));
  t.notRegex(unanswered?.message ?? '', /late/);
  await quiet.close();

  const held = connect();
  t.teardown(() => held.close());
  await held.waitConnected(5_000);
  const reply = held.api('uuid_dump a json');
  for (let i = 0; i < 10; i++) await null;
  const until = Date.now() + 1000;
  while (Date.now() < until) {
    // busy
  }
  const err = await t.throwsAsync(reply);
  t.regex(
    err?.message ?? '',
    /no reply to 'api uuid_dump' within 200 ms \(its timer ran \d+ ms late: this process's thread was held up\)/,
  );
  await held.close();
});
