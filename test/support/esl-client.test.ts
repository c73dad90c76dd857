// The phones' ESL client runs in the same process as the simulator and the node worker of an e2e test: whatever its
// waits cost per event is time the switch and the engine do not get. A wait looks at each logged event once, not at
// the whole log again on every event that arrives.
import test, { type ExecutionContext } from 'ava';
import { EslClient } from './esl-client.ts';
import { startFakeEsl } from '../workers/fake-esl-server.ts';

async function clientWithLog(t: ExecutionContext, logged: number) {
  const fs = await startFakeEsl();
  const client = await EslClient.connect({ host: '127.0.0.1', port: fs.port, password: 'ClueCon' }, 'json ALL');
  t.teardown(async () => {
    await client.close();
    await fs.close();
  });
  for (let i = 0; i < logged; i++) fs.sendEvent({ 'Event-Name': 'CUSTOM', n: String(i) });
  await client.waitForEvent((ev) => ev.headers.n === String(logged - 1));
  return { fs, client };
}

test('waitForEvent asks its predicate about each event once, however long the log', async (t) => {
  const logged = 500;
  const arriving = 200;
  const { fs, client } = await clientWithLog(t, logged);
  const asked: string[] = [];
  const found = client.waitForEvent((ev) => {
    asked.push(ev.headers.n ?? '');
    return ev.headers.n === 'last';
  });
  for (let i = 0; i < arriving; i++) fs.sendEvent({ 'Event-Name': 'CUSTOM', n: `new-${i}` });
  fs.sendEvent({ 'Event-Name': 'CUSTOM', n: 'last' });
  t.is((await found).headers.n, 'last');
  // Every event of the log, then every new one, once each (before: the whole log again on every arrival, ~100,000).
  t.is(asked.length, logged + arriving + 1);
  t.is(new Set(asked).size, asked.length);
});

test('waitForEvent finds an event already logged, and skips the ones before `from`', async (t) => {
  const { fs, client } = await clientWithLog(t, 10);
  t.is((await client.waitForEvent((ev) => ev.headers['Event-Name'] === 'CUSTOM')).headers.n, '0');
  const later = client.waitForEvent((ev) => ev.headers['Event-Name'] === 'CUSTOM', 5000, 5);
  t.is((await later).headers.n, '5');
  const fresh = client.waitForEvent((ev) => ev.headers['Event-Name'] === 'CUSTOM', 5000, client.events.length);
  fs.sendEvent({ 'Event-Name': 'CUSTOM', n: 'fresh' });
  t.is((await fresh).headers.n, 'fresh');
});

test('waitForEvent fails after its timeout, and when the connection closes', async (t) => {
  const { client } = await clientWithLog(t, 3);
  await t.throwsAsync(
    client.waitForEvent(() => false, 50),
    { message: /no matching event within 50 ms/ },
  );
  const waiting = client.waitForEvent(() => false, 5000);
  await client.close();
  await t.throwsAsync(waiting, { message: /connection closed/ });
});
