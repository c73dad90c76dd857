// Durability of the switch side: the node worker process (ESL connections, ingest, switch activities) dies with SIGKILL
// while the target rings, and the target answers while nobody listens to the switch. A new process reconnects and
// reconciles; the transfer's own deadline reads the target leg on the switch, finds it answered, and goes on.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { repoRoot } from '../../config/index.ts';
import { transferWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, press, startEngine, waitFor, type Engine } from '../support/engine.ts';

const test = anyTest as TestFn<Engine>;

function startNodeProcess(e: Engine): Promise<ChildProcess> {
  const { node } = e;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'bin', 'handoff.ts'), '--role', 'nodes'],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
        WORKFLOW_TASK_QUEUE: e.config.WORKFLOW_TASK_QUEUE,
        FREESWITCH_NODES: `${node.name}=esl://:${encodeURIComponent(node.password)}@${node.host}:${node.port}`,
        HANDOFF_DB: e.dbFile,
        SHUTDOWN_GRACE_MS: '1000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node worker process did not start in 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('node worker running')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`node worker process exited with ${code}`)));
  });
}

test.before(async (t) => {
  t.context = await startEngine({}, { nodeWorker: false });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

test('the node worker dies while the target rings; a new one reconnects and the transfer completes', async (t) => {
  const e = t.context;
  let nodeProcess = await startNodeProcess(e);
  try {
    const { alice, bob } = await placeCall(e);
    await press(e, alice.uuid, '*22604'); // rings 2 s, then answers
    await waitFor(e, (ev) => ev.name === 'PLAYBACK_START' && ev.headers['Unique-ID'] === alice.uuid, 30_000);
    nodeProcess.kill('SIGKILL');
    const killedAt = Date.now();
    // Carol answers while no ingest listens: her answer event and the originate result are lost.
    const answer = await waitFor(
      e,
      (ev) => ev.name === 'CHANNEL_ANSWER' && ev.headers['Channel-Name']?.startsWith('loopback/2604-a') === true,
      30_000,
    );
    nodeProcess = await startNodeProcess(e);
    t.log(`new node worker ready ${Date.now() - killedAt} ms after the kill`);
    const carol = answer.headers['Unique-ID']!;
    const consult = await waitFor(
      e,
      (ev) =>
        ev.name === 'CHANNEL_BRIDGE' &&
        ev.headers['Unique-ID'] === alice.uuid &&
        ev.headers['Other-Leg-Unique-ID'] === carol,
      60_000,
    );
    t.log(
      `Alice waited ${consult.t - answer.t} ms from Carol's answer to their bridge (the no-answer deadline found it)`,
    );
    await hangUp(e, alice.uuid);
    const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
    t.is(summary.outcome, 'completed');
    t.is(summary.targetLeg, carol);
    t.is(await e.phones.api(`uuid_getvar ${bob.uuid} bridge_uuid`), carol);
  } finally {
    nodeProcess.kill('SIGTERM');
  }
});
