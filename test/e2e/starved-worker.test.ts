// A workflow worker started on a CPU-starved machine with many workflow tasks waiting (a restart under load): each
// task's 2 s start-to-close clock must run only while the worker really works on it. A worker that takes more tasks
// than its one workflow thread can run in that time lets them time out, and every retry starts over (a full replay
// on a cold cache) behind the others: the same task times out again and again, and the callers wait.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import anyTest from 'ava';
import proto from '@temporalio/proto';
import { callWorkflowId, WORKFLOW_TASK_TIMEOUT } from '../../contracts/ids.ts';
import { channelEventsSignal, type ChannelEvent } from '../../contracts/messages.ts';
import { useEngine } from '../support/engine.ts';
import { startWorkflowProcess } from '../support/processes.ts';

const test = useEngine(anyTest, {}, { workflowWorker: false, nodeWorker: false, scenario: 'starved-worker' });

const CALLS = 24;
const SIGNALS_PER_CALL = 20;
const EVENTS_PER_SIGNAL = 10;
/** Busy processes sharing the worker's one CPU: the worker gets about a quarter of it. */
const HOGS = 3;

const EventType = proto.temporal.api.enums.v1.EventType;

test('a restarted workflow worker on a starved CPU times out no workflow task it took (and none twice)', async (t) => {
  const e = t.context;
  const core = 'core-starved';
  const calls = Array.from({ length: CALLS }, () => crypto.randomUUID());
  // Calls whose events wait for a workflow worker: each first task applies all of them (as a replay would).
  await Promise.all(
    calls.map(async (callId) => {
      let seq = 0;
      const peer = crypto.randomUUID();
      const event = (name: ChannelEvent['name'], extra: Partial<ChannelEvent> = {}): ChannelEvent => ({
        name,
        uuid: callId,
        coreUuid: core,
        seq: ++seq,
        at: Date.now(),
        node: e.node.name,
        ...extra,
      });
      const batch = (): ChannelEvent[] =>
        Array.from({ length: EVENTS_PER_SIGNAL }, (_, i) =>
          event(i % 2 === 0 ? 'CHANNEL_BRIDGE' : 'CHANNEL_UNBRIDGE', {
            bridgeA: callId,
            bridgeB: peer,
            otherLeg: peer,
          }),
        );
      await e.client.workflow.signalWithStart('callWorkflow', {
        workflowId: callWorkflowId(callId),
        taskQueue: e.config.WORKFLOW_TASK_QUEUE,
        args: [{ callId, node: e.node.name }],
        signal: channelEventsSignal,
        signalArgs: [[event('CHANNEL_CREATE', { leg: { accountId: e.demo.accountId } }), event('CHANNEL_ANSWER')]],
        workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
      });
      const handle = e.client.workflow.getHandle(callWorkflowId(callId));
      for (let i = 1; i < SIGNALS_PER_CALL; i++) await handle.signal(channelEventsSignal, batch());
    }),
  );
  t.log(`${CALLS} calls signalled`);
  const hogs: ChildProcess[] = [];
  let worker: ChildProcess | undefined;
  try {
    // The worker starts on CPU 0 alone (its start-up compiles, which only makes the test longer), then shares it.
    worker = await startWorkflowProcess(e, {}, ['taskset', '-c', '0']);
    const started = Date.now();
    for (let i = 0; i < HOGS; i++) {
      hogs.push(spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }));
    }
    // Every call's first task done (or given up on after 90 s: the assertion below says why).
    const deadline = Date.now() + 90_000;
    const pending = new Set(calls);
    while (pending.size && Date.now() < deadline) {
      for (const callId of [...pending]) {
        const history = await e.client.workflow.getHandle(callWorkflowId(callId)).fetchHistory();
        if (history.events?.some((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED))
          pending.delete(callId);
      }
      if (pending.size) await new Promise((r) => setTimeout(r, 500));
    }
    t.log(`first tasks done ${Date.now() - started} ms after the worker's start`);
    const timeouts: number[] = [];
    for (const callId of calls) {
      const history = await e.client.workflow.getHandle(callWorkflowId(callId)).fetchHistory();
      timeouts.push(
        history.events?.filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length ?? 0,
      );
    }
    const timedOut = timeouts.filter((n) => n > 0).length;
    t.log(
      `${CALLS} calls: ${timedOut} had a workflow task time out (at most ${Math.max(...timeouts)} times); ` +
        `${pending.size} had no task completed after 90 s`,
    );
    t.is(pending.size, 0, 'every call got its first task done');
    t.true(Math.max(...timeouts) <= 1, `no workflow task timed out more than once (${timeouts.join(' ')})`);
    // A worker that took them all at once timed out nearly every call's task (all but one or two); a bounded one times out none,
    // or the odd one when the CPU is busier still.
    t.true(timedOut <= CALLS / 10, `${timedOut} of ${CALLS} calls had a workflow task time out`);
  } finally {
    worker?.kill('SIGKILL');
    for (const hog of hogs) hog.kill('SIGKILL');
    await Promise.all(
      calls.map((callId) =>
        e.client.workflow
          .getHandle(callWorkflowId(callId))
          .terminate('test over')
          .catch(() => undefined),
      ),
    );
  }
});
