// `npm run demo` (with `npm start` running): Alice calls Bob on the simulator, presses *22600, talks to Carol, hangs
// up, and Bob and Carol are connected. Each step is printed; follow the call:<uuid> and transfer:<...> workflows in the
// Temporal Web UI meanwhile.
import crypto from 'node:crypto';
import { loadConfig } from '../config/index.ts';
import { DEMO_ACCOUNT_ID } from '../store/index.ts';
import { EslClient } from '../test/support/esl-client.ts';

const config = loadConfig();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const esl = await EslClient.connect(
    { host: '127.0.0.1', port: config.SIMULATOR_PORT, password: config.SIMULATOR_PASSWORD },
    'plain CHANNEL_BRIDGE PLAYBACK_START CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB',
  );
  const alice = crypto.randomUUID();
  const bob = crypto.randomUUID();
  const leg = (uuid: string, num: string, ext: string) =>
    `originate {origination_uuid=${uuid},origination_caller_id_number=${num},${config.ACCOUNT_ID_VARIABLE}=${DEMO_ACCOUNT_ID}}loopback/${ext}/default &park()`;
  console.log(`Alice (${alice}) and Bob (${bob}) answer ...`);
  for (const [uuid, num, ext] of [
    [alice, '1001', '2600'],
    [bob, '1002', '2601'],
  ] as const) {
    const job = await esl.bgapi(leg(uuid, num, ext));
    console.log(`  originate: ${(await job.result).trim()}`);
  }
  console.log(`  uuid_bridge: ${(await esl.api(`uuid_bridge ${alice} ${bob}`)).trim()}`);
  console.log(
    `Temporal UI: http://127.0.0.1:${config.TEMPORAL_UI_PORT}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/call:${alice}`,
  );
  await pause(2000);
  console.log('Alice presses *22600 ...');
  for (const d of '*22600') {
    await esl.api(`uuid_recv_dtmf ${alice} ${d}`);
    await pause(150);
  }
  const consult = await esl.waitForEvent(
    (e) => e.name === 'CHANNEL_BRIDGE' && e.headers['Unique-ID'] === alice && e.headers['Other-Leg-Unique-ID'] !== bob,
    30_000,
  );
  const carol = consult.headers['Other-Leg-Unique-ID'];
  console.log(`Carol (${carol}) answered; Alice is talking to her while Bob hears music.`);
  await pause(3000);
  console.log('Alice hangs up ...');
  await esl.api(`uuid_kill ${alice}`);
  await esl.waitForEvent(
    (e) => e.name === 'CHANNEL_BRIDGE' && e.headers['Unique-ID'] === bob && e.headers['Other-Leg-Unique-ID'] === carol,
    30_000,
  );
  console.log('Bob and Carol are connected. Hang them up with: uuid_kill on either (or leave them talking).');
  await esl.close();
}

main().catch((err) => {
  const refused = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  console.error(
    refused
      ? `no simulator at 127.0.0.1:${config.SIMULATOR_PORT}: run \`npm start\` first (in another terminal), with the same SIMULATOR_PORT`
      : String(err),
  );
  process.exit(1);
});
