// A real PostgreSQL server stopped and started under load: the API answers 503 in Kazoo's shape while it is away and
// 200 again once it is back, without being restarted; the ingest's projection writer holds its writes and writes them
// when the server is back, ending with exactly the live channels the events describe; nothing crashes (an unhandled
// pool error would kill this test process, and the api role's process is checked alive through a restart).
import { spawn } from 'node:child_process';
import test from 'ava';
import { startApi } from '../../api/index.ts';
import { createApiLogger } from '../../api/log.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { repoRoot } from '../../config/index.ts';
import { startPostgresServer } from '../../scripts/lib/postgres-server.ts';
import { freePort } from '../../scripts/lib/temporal-dev-server.ts';
import { openPostgresStore } from '../../store/index.ts';
import { ProjectionWriter } from '../../workers/ingest/projection.ts';
import { RecordingEngineDouble } from '../api/support/recording-engine-double.ts';
import { testLogger } from '../workers/silent-logger.ts';

const JWT_SECRET = 'restart-secret-restart-secret-restart-0123';
const node = 'fs1';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('postgres stopped and started under load: 503 while away, then served again; projection writes held, then written', async (t) => {
  const server = await startPostgresServer({ fast: true });
  t.teardown(() => server.destroy());
  // The API's store and the ingest's are separate pools, as in two processes.
  const apiStore = await openPostgresStore(server.url, { connectTimeoutMs: 1000 });
  const ingestStore = await openPostgresStore(server.url, { connectTimeoutMs: 1000 });
  t.teardown(() => apiStore.close());
  t.teardown(() => ingestStore.close());
  await apiStore.createAccount({ id: 'acc', name: 'Acc' });
  const key = await apiStore.createApiKey('acc');
  const api = await startApi({
    store: apiStore,
    engine: new RecordingEngineDouble(),
    logger: createApiLogger({ level: 'silent' }),
    config: { HANDOFF_JWT_SECRET: JWT_SECRET },
    host: '127.0.0.1',
    port: 0,
  });
  t.teardown(() => api.close());
  const login = await fetch(`${api.url}/v2/api_auth`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ data: { api_key: key.key } }),
  });
  const token = ((await login.json()) as { auth_token: string }).auth_token;

  let writeErrors = 0;
  const writer = new ProjectionWriter({ store: ingestStore, node, logger: testLogger, onError: () => writeErrors++ });

  // Load: a channel list request every 25 ms, and calls coming and going (create, answer, hang up every third).
  const answers: { at: number; status: number; error?: string; retryAfter: string | null }[] = [];
  const live = new Set<string>();
  let running = true;
  const requests = (async () => {
    while (running) {
      const res = await fetch(`${api.url}/v2/accounts/acc/channels`, { headers: { 'X-Auth-Token': token } });
      const body = (await res.json()) as { message?: string };
      answers.push({
        at: Date.now(),
        status: res.status,
        error: body.message,
        retryAfter: res.headers.get('Retry-After'),
      });
      await sleep(25);
    }
  })();
  let seq = 0;
  let n = 0;
  const events = (async () => {
    while (running) {
      const uuid = `call-${n++}`;
      const at = Date.now();
      const ev = (name: ChannelEvent['name']): ChannelEvent => ({
        name,
        uuid,
        coreUuid: 'core',
        seq: ++seq,
        at,
        node,
        leg: { accountId: 'acc' },
      });
      writer.apply(ev('CHANNEL_CREATE'));
      writer.apply({ ...ev('CHANNEL_ANSWER'), answerState: 'answered' });
      live.add(uuid);
      if (n % 3 === 0) {
        writer.apply(ev('CHANNEL_HANGUP_COMPLETE'));
        live.delete(uuid);
      }
      await sleep(10);
    }
  })();

  await sleep(1000);
  const stoppedAt = Date.now();
  await server.stop();
  await sleep(2500);
  t.true(writer.buffered > 0, 'writes are held while the server is away');
  const startedAt = Date.now();
  await server.start();
  // Served again by itself: no restart of the API or the writer.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && answers.at(-1)?.status !== 200) await sleep(50);
  running = false;
  await Promise.all([requests, events]);
  await writer.flushed();

  const during = answers.filter((a) => a.at > stoppedAt + 200 && a.at < startedAt);
  t.true(during.length >= 10, `${during.length} answers while away`);
  for (const a of during) t.like(a, { status: 503, error: 'datastore timeout', retryAfter: '2' });
  t.deepEqual(
    answers.filter((a) => a.status !== 200 && a.status !== 503),
    [],
    'only 200 and 503',
  );
  t.true(answers.filter((a) => a.at < stoppedAt).every((a) => a.status === 200));
  const firstOkAfter = answers.find((a) => a.at > startedAt && a.status === 200);
  t.truthy(firstOkAfter);
  t.log(
    `API served again ${(firstOkAfter?.at ?? 0) - startedAt} ms after the server started; ${writeErrors} failed writes held`,
  );
  t.true(writeErrors > 0);

  // Every write held during the outage reached the store: the projection is exactly the live channels.
  const rows = await apiStore.listNodeChannels(node);
  t.deepEqual(new Set(rows.map((r) => r.callId)), live);
  t.true(rows.every((r) => r.answered));
});

test('the api role process (configured by its environment alone) lives through a PostgreSQL restart', async (t) => {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('TEMPORAL_ADDRESS: run through the test runner (npx tsx scripts/test.ts), it starts one');
  const server = await startPostgresServer({ fast: true });
  t.teardown(() => server.destroy());
  const seed = await openPostgresStore(server.url);
  await seed.createAccount({ id: 'acc', name: 'Acc' });
  const key = await seed.createApiKey('acc');
  await seed.close();
  const port = await freePort();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/handoff.ts', '--role', 'api'], {
    cwd: repoRoot,
    env: {
      ...clean,
      TEMPORAL_ADDRESS: address,
      DATABASE_URL: server.url,
      HANDOFF_JWT_SECRET: JWT_SECRET,
      API_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let exit: number | null | undefined;
  child.on('exit', (code) => (exit = code));
  t.teardown(() => void child.kill('SIGKILL'));
  const deadline = Date.now() + 60_000;
  while (!output.includes('api listening') && exit === undefined && Date.now() < deadline) await sleep(100);
  t.regex(output, /store: postgresql 127\.0\.0\.1:\d+\/postgres/);
  const url = `http://127.0.0.1:${port}`;
  const login = async () =>
    fetch(`${url}/v2/api_auth`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { api_key: key.key } }),
    });
  t.is((await login()).status, 201);
  await server.stop();
  const away = await login();
  t.is(away.status, 503);
  t.is(((await away.json()) as { message: string }).message, 'datastore timeout');
  await sleep(500);
  t.is(exit, undefined, `the process exited: ${output}`);
  await server.start();
  const back = Date.now() + 15_000;
  let status = 0;
  while (Date.now() < back && status !== 201) {
    status = (await login()).status;
    if (status !== 201) await sleep(100);
  }
  t.is(status, 201);
  t.regex(output, /store: connection lost .*; reconnecting on demand/);
  child.kill('SIGTERM');
  while (exit === undefined) await sleep(50);
  t.is(exit, 0);
});
