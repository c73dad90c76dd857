// Durability: the workflow worker process is killed with SIGKILL while the target rings; a new one takes over and the
// transfer completes. The callers' wait is measured and logged (t.log), not asserted: speed is the benchmark's.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { repoRoot } from '../../config/index.ts';
import { transferWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, press, startEngine, waitFor, type Engine } from '../support/engine.ts';

const test = anyTest as TestFn<Engine>;

/** A workflow worker in a process of its own, as in production; resolves once it polls. */
function startWorkflowProcess(e: Engine): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'bin', 'handoff.ts'), '--role', 'workflows'],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
        WORKFLOW_TASK_QUEUE: e.config.WORKFLOW_TASK_QUEUE,
        STICKY_SCHEDULE_TO_START_MS: String(e.config.STICKY_SCHEDULE_TO_START_MS),
        SHUTDOWN_GRACE_MS: '1000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('workflow worker process did not start in 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('workflow worker running')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`workflow worker process exited with ${code}`)));
  });
}

test.before(async (t) => {
  t.context = await startEngine({}, { workflowWorker: false });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

test('the workflow worker dies (SIGKILL) while the target rings; a new one completes the transfer', async (t) => {
  const e = t.context;
  let worker = await startWorkflowProcess(e);
  try {
    const { alice, bob } = await placeCall(e);
    await press(e, alice.uuid, '*22604'); // 2604 rings for 2 s, then answers
    await waitFor(e, (ev) => ev.name === 'PLAYBACK_START' && ev.headers['Unique-ID'] === alice.uuid);
    worker.kill('SIGKILL');
    const killedAt = Date.now();
    const answered = waitFor(
      e,
      (ev) => ev.name === 'CHANNEL_ANSWER' && ev.headers['Channel-Name']?.startsWith('loopback/2604-a') === true,
      30_000,
    );
    worker = await startWorkflowProcess(e);
    const restartedAt = Date.now();
    const answer = await answered;
    const consult = await waitFor(
      e,
      (ev) =>
        ev.name === 'CHANNEL_BRIDGE' &&
        ev.headers['Unique-ID'] === alice.uuid &&
        ev.headers['Other-Leg-Unique-ID'] === answer.headers['Unique-ID'],
      60_000,
    );
    t.log(
      `new worker ready ${restartedAt - killedAt} ms after the kill; Alice waited ${consult.t - answer.t} ms ` +
        `from Carol's answer to their bridge (the new process's start included)`,
    );
    await hangUp(e, alice.uuid);
    const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
    t.is(summary.outcome, 'completed');
    t.is(summary.targetLeg, answer.headers['Unique-ID']);
  } finally {
    worker.kill('SIGTERM');
  }
});
