// A leg flooding its call workflow with key presses (a stuck phone, a fax tone read as digits, someone leaning on a
// key) on a workflow worker that has a quarter of a CPU: the flooded workflow must take its presses within its workflow
// task's time, and another caller's transfer must not wait for it. A task that takes longer than WORKFLOW_TASK_TIMEOUT
// times out and is replayed from the start on a cold cache, each time with the whole flood again: it never completes,
// and the worker's one workflow thread spends itself on it while the other callers' tasks queue behind.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import anyTest from 'ava';
import proto from '@temporalio/proto';
import { callWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal, type ChannelEvent } from '../../contracts/messages.ts';
import { placeCall, press, useEngine, waitFor } from '../support/engine.ts';
import { startWorkflowProcess } from '../support/processes.ts';

const test = useEngine(anyTest, {}, { workflowWorker: false, scenario: 'key-flood' });

/** Key presses of the flooding leg, in signals of the ingest's largest batch. */
const PRESSES = 2000;
const PER_SIGNAL = 100;
/** Busy processes sharing the workflow worker's one CPU: the worker gets about a quarter of it. */
const HOGS = 3;
/** The other caller's transfer puts its transferee on hold within this, flood or not (generous: speed is the benchmark's). */
const HOLD_WITHIN_MS = 30_000;

const EventType = proto.temporal.api.enums.v1.EventType;

test.serial(
  'a leg flooding its workflow with key presses: its tasks take them in time, another caller transfers',
  async (t) => {
    t.timeout(180_000);
    const e = t.context;
    // Both calls are up before any workflow worker runs: their workflows wait, as after a worker's restart.
    const flooded = await placeCall(e);
    const quiet = await placeCall(e);
    const handle = e.client.workflow.getHandle(callWorkflowId(flooded.alice.uuid));
    const startedBy = Date.now() + 30_000;
    while (
      !(await handle.describe().then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > startedBy) throw new Error('the flooded leg has no call workflow');
      await new Promise((r) => setTimeout(r, 200));
    }
    // The flood, as the ingest delivers a leg's presses that pile up behind its signal in flight: up to 100 a signal.
    // A sequence of its own (another switch core's numbering) keeps it apart from the switch's own events of the leg.
    let seq = 0;
    for (let sent = 0; sent < PRESSES; sent += PER_SIGNAL) {
      const presses = Array.from({ length: PER_SIGNAL }, (): ChannelEvent => ({
        name: 'DTMF',
        digit: '0',
        uuid: flooded.alice.uuid,
        coreUuid: 'core-key-flood',
        seq: ++seq,
        at: Date.now(),
        node: e.node.name,
      }));
      await handle.signal(channelEventsSignal, presses);
    }

    const hogs: ChildProcess[] = [];
    let worker: ChildProcess | undefined;
    try {
      worker = await startWorkflowProcess(e, {}, ['taskset', '-c', '0']);
      for (let i = 0; i < HOGS; i++) {
        hogs.push(spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }));
      }
      // The other caller transfers: the transferee hears the hold music.
      await press(e, quiet.alice.uuid, '*22600');
      const pressed = Date.now();
      const held = await waitFor(
        e,
        (ev) => ev.name === 'PLAYBACK_START' && ev.headers['Unique-ID'] === quiet.bob.uuid,
        HOLD_WITHIN_MS,
      ).then(
        () => Date.now() - pressed,
        () => undefined,
      );
      t.log(
        `the other caller's transferee heard the hold music ${held === undefined ? 'never' : `${held} ms`} after *22600`,
      );
      t.not(held, undefined, `the other caller's transferee was not on hold ${HOLD_WITHIN_MS} ms after *22600`);

      // The flooded leg's workflow took every signal in a task that completed, and none of its tasks ran out of time.
      const deadline = Date.now() + 60_000;
      let events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
      const tookAll = () => {
        const lastSignal = events.findLastIndex(
          (ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        );
        return events.slice(lastSignal).some((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      };
      do {
        events = (await handle.fetchHistory()).events ?? [];
        if (!tookAll()) await new Promise((r) => setTimeout(r, 500));
      } while (!tookAll() && Date.now() < deadline);
      const timedOut = events.filter(
        (ev) =>
          ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT &&
          ev.workflowTaskTimedOutEventAttributes?.timeoutType ===
            proto.temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
      ).length;
      t.log(`${PRESSES} presses: ${timedOut} workflow tasks of the flooded leg ran out of time`);
      t.true(tookAll(), 'the flooded leg took its presses within a minute');
      t.is(timedOut, 0, 'no workflow task of the flooded leg ran out of time');
    } finally {
      for (const hog of hogs) hog.kill('SIGKILL');
      worker?.kill('SIGKILL');
    }
  },
);

/** What the flooded leg's switch reads (loadLegPolicy) look like in its history. */
function policyReads(events: proto.temporal.api.history.v1.IHistoryEvent[]): { scheduled: number; failed: number } {
  const reads = new Set(
    events
      .filter((ev) => ev.activityTaskScheduledEventAttributes?.activityType?.name === 'loadLegPolicy')
      .map((ev) => Number(ev.eventId)),
  );
  const failed = events.filter((ev) => {
    const of =
      ev.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      ev.activityTaskFailedEventAttributes?.scheduledEventId;
    return of !== undefined && of !== null && reads.has(Number(of));
  }).length;
  return { scheduled: reads.size, failed };
}

test.serial(
  'a leg pressing keys while its node does not answer: one read of the switch, not one per press',
  async (t) => {
    // The node's workers are all down: the leg's first press reads its feature codes, which waits the activity's
    // give-up time (30 s) and fails. The presses queued behind it must not each start another read.
    t.timeout(150_000);
    const e = t.context;
    const worker = await startWorkflowProcess(e);
    const callId = crypto.randomUUID();
    const handle = e.client.workflow.getHandle(callWorkflowId(callId));
    try {
      let seq = 0;
      const event = (name: ChannelEvent['name'], extra: Partial<ChannelEvent> = {}): ChannelEvent => ({
        name,
        uuid: callId,
        coreUuid: 'core-node-down',
        seq: ++seq,
        at: Date.now(),
        node: 'node-down',
        ...extra,
      });
      await e.client.workflow.signalWithStart('callWorkflow', {
        workflowId: callWorkflowId(callId),
        taskQueue: e.config.WORKFLOW_TASK_QUEUE,
        args: [{ callId, node: 'node-down' }],
        signal: channelEventsSignal,
        signalArgs: [[event('CHANNEL_CREATE', { leg: { accountId: e.demo.accountId } }), event('CHANNEL_ANSWER')]],
      });
      await handle.signal(
        channelEventsSignal,
        Array.from({ length: 20 }, () => event('DTMF', { digit: '0' })),
      );
      const deadline = Date.now() + 60_000;
      let reads = policyReads((await handle.fetchHistory()).events ?? []);
      while (reads.failed === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        reads = policyReads((await handle.fetchHistory()).events ?? []);
      }
      t.is(reads.failed, 1, 'the first read failed (the node does not answer)');
      // The 19 presses behind the first were taken in the task that saw the failure.
      await new Promise((r) => setTimeout(r, 2000));
      reads = policyReads((await handle.fetchHistory()).events ?? []);
      t.log(`20 presses on a leg whose node does not answer: ${reads.scheduled} reads of the switch`);
      t.is(reads.scheduled, 1, 'the presses behind the failed read started no read of their own');
    } finally {
      await handle.terminate('test over').catch(() => undefined);
      worker.kill('SIGKILL');
    }
  },
);
