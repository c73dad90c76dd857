// Durability: the workflow worker process is killed with SIGKILL while the target rings; a new one takes over and the
// transfer completes. The callers' wait is measured and logged (t.log), not asserted: speed is the benchmark's.
import anyTest from 'ava';
import { transferWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, press, useEngine, waitFor } from '../support/engine.ts';
import { answeredFor, bridgedPair, pressedOn } from '../support/events.ts';
import { startWorkflowProcess } from '../support/processes.ts';

const test = useEngine(anyTest, {}, { workflowWorker: false });

test.serial(
  'the workflow worker dies (SIGKILL) while the target rings; a new one completes the transfer',
  async (t) => {
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
  },
);

test.serial('one of two workflow workers dies as the transferor finishes *22600: the transfer starts', async (t) => {
  const e = t.context;
  const workers = [await startWorkflowProcess(e), await startWorkflowProcess(e)];
  try {
    const { alice, bob } = await placeCall(e);
    const from = e.phones.events.length;
    await press(e, alice.uuid, '*22600');
    const digits = () => e.phones.events.filter(pressedOn(e, alice.uuid, from)).length;
    const last = await waitFor(e, (ev) => pressedOn(e, alice.uuid, from, '0')(ev) && digits() === 6);
    // Whichever worker holds Alice's call (its cache, a task in hand) may be the one that dies.
    workers[0]!.kill('SIGKILL');
    const held = await waitFor(
      e,
      (ev) =>
        ev.name === 'PLAYBACK_START' && ev.headers['Unique-ID'] === bob.uuid && e.phones.events.indexOf(ev) >= from,
      30_000,
    );
    t.log(
      `Bob was put on hold ${held.t - last.t} ms after Alice's last digit (inter-digit timeout ` +
        `${e.config.DIGIT_TIMEOUT_MS} ms included), one workflow worker of two killed at that digit`,
    );
    const carol = (await waitFor(e, answeredFor(e, '2600', from), 30_000)).headers['Unique-ID']!;
    await waitFor(e, bridgedPair(e, alice.uuid, carol, from), 30_000);
    await hangUp(e, alice.uuid);
    const summary = await e.client.workflow.getHandle(transferWorkflowId(alice.uuid, bob.uuid)).result();
    t.is(summary.outcome, 'completed');
    await hangUp(e, bob.uuid);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
  }
});
