// A long call continues as new with its state and its deduplication memory, and loses no signal on the way.
import crypto from 'node:crypto';
import anyTest from 'ava';
import { WorkflowUpdateStage } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { connectNative, dataConverter } from '../../temporal/connection.ts';
import { createSwitchActivities } from '../../activities/switch.ts';
import { callWorkflowId, nodeTaskQueue } from '../../contracts/ids.ts';
import {
  callQuery,
  channelEventsSignal,
  hangupCallUpdate,
  type CallSummary,
  type ChannelEvent,
} from '../../contracts/messages.ts';
import { useEngine } from '../support/engine.ts';
import { eventually } from '../support/poll.ts';

const test = useEngine(anyTest, {}, { scenario: 'continue-as-new' });

test('a call continues as new every few events, keeping its state and dropping duplicates across runs', async (t) => {
  const e = t.context;
  const callId = crypto.randomUUID();
  const peer = crypto.randomUUID();
  const core = 'core-test';
  let seq = 100;
  const event = (name: ChannelEvent['name'], extra: Partial<ChannelEvent> = {}): ChannelEvent => ({
    name,
    uuid: callId,
    coreUuid: core,
    seq: ++seq,
    at: Date.now(),
    node: e.node.name,
    ...extra,
  });
  const workflowId = callWorkflowId(callId);
  const first = await e.client.workflow.signalWithStart('callWorkflow', {
    workflowId,
    taskQueue: e.config.WORKFLOW_TASK_QUEUE,
    args: [{ callId, node: e.node.name, eventsPerRun: 5 }],
    signal: channelEventsSignal,
    signalArgs: [[event('CHANNEL_CREATE', { leg: { accountId: e.demo.accountId } }), event('CHANNEL_ANSWER')]],
  });
  const firstRun = first.signaledRunId;
  // Bridged, unbridged, bridged again ... one signal each, sent back to back while runs roll over.
  const handle = e.client.workflow.getHandle(workflowId);
  let bridgeEvent: ChannelEvent | undefined;
  for (let i = 0; i < 12; i++) {
    const ev =
      i % 2 === 0
        ? event('CHANNEL_BRIDGE', { bridgeA: callId, bridgeB: peer, otherLeg: peer })
        : event('CHANNEL_UNBRIDGE', { bridgeA: callId, bridgeB: peer, otherLeg: peer });
    if (i === 10) bridgeEvent = ev;
    await handle.signal(channelEventsSignal, [ev]);
  }
  // The last signal was a bridge (i = 10) then an unbridge (i = 11); replay i = 10 as a duplicate: it must be dropped.
  await handle.signal(channelEventsSignal, [bridgeEvent!]);
  let seen: CallSummary | undefined;
  const summary = await eventually(
    () => `the next run, answered (last seen: ${JSON.stringify(seen)})`,
    async () => {
      seen = await e.client.workflow.getHandle(workflowId).query(callQuery);
      const description = await e.client.workflow.getHandle(workflowId).describe();
      return description.runId !== firstRun && seen.phase === 'answered' ? seen : undefined;
    },
    { timeoutMs: 20_000, everyMs: 200 },
  );
  const description = await e.client.workflow.getHandle(workflowId).describe();
  t.not(description.runId, firstRun, 'the call continued as new');
  t.is(summary.answered, true);
  t.is(summary.accountId, e.demo.accountId);
  t.is(summary.bridgedTo, undefined, 'the duplicate bridge event was dropped by the carried dedup state');
  t.is(summary.phase, 'answered');
  await handle.signal(channelEventsSignal, [event('CHANNEL_HANGUP_COMPLETE', { hangupCause: 'NORMAL_CLEARING' })]);
  const result = await e.client.workflow.getHandle(workflowId).result();
  t.is(result.phase, 'ended');
});

test('events that arrive while a run waits for its handlers before continuing as new are not lost', async (t) => {
  const e = t.context;
  const callId = crypto.randomUUID();
  const [peer, newPeer] = [crypto.randomUUID(), crypto.randomUUID()];
  // The call's switch commands go to a node whose worker starts only when the test says: an Update handler waits.
  const node = `slow${crypto.randomBytes(3).toString('hex')}`;
  let seq = 100;
  const event = (name: ChannelEvent['name'], extra: Partial<ChannelEvent> = {}): ChannelEvent => ({
    name,
    uuid: callId,
    coreUuid: 'core-test',
    seq: ++seq,
    at: Date.now(),
    node,
    ...extra,
  });
  const workflowId = callWorkflowId(callId);
  await e.client.workflow.signalWithStart('callWorkflow', {
    workflowId,
    taskQueue: e.config.WORKFLOW_TASK_QUEUE,
    args: [{ callId, node, eventsPerRun: 3 }],
    signal: channelEventsSignal,
    signalArgs: [[event('CHANNEL_CREATE', { leg: { accountId: e.demo.accountId } }), event('CHANNEL_ANSWER')]],
  });
  const handle = e.client.workflow.getHandle(workflowId);
  const firstRun = (await handle.describe()).runId;
  // A REST hangup: its handler waits for the node's worker.
  await handle.startUpdate(hangupCallUpdate, { args: [{}], waitForStage: WorkflowUpdateStage.ACCEPTED });
  // The third event: the run wants to continue as new, and first waits for the hangup's handler.
  await handle.signal(channelEventsSignal, [event('CHANNEL_BRIDGE', { bridgeA: callId, bridgeB: peer })]);
  await new Promise((r) => setTimeout(r, 500));
  // Meanwhile the leg is bridged elsewhere.
  await handle.signal(channelEventsSignal, [event('CHANNEL_UNBRIDGE', { bridgeA: callId, bridgeB: peer })]);
  await handle.signal(channelEventsSignal, [event('CHANNEL_BRIDGE', { bridgeA: callId, bridgeB: newPeer })]);
  await new Promise((r) => setTimeout(r, 500));
  // Its own connection, closed at the end: an open native connection keeps the test process from exiting.
  const connection = await connectNative(e.config);
  t.teardown(() => connection.close());
  const worker = await Worker.create({
    connection,
    namespace: e.config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(e.config),
    taskQueue: nodeTaskQueue(node),
    activities: createSwitchActivities(node, e.nodeWorker!.esl),
  });
  await worker.runUntil(async () => {
    let seen: CallSummary | undefined;
    const summary = await eventually(
      () => `the call bridged to ${newPeer} (last seen: ${JSON.stringify(seen)})`,
      async () => {
        seen = await handle.query(callQuery);
        return seen.bridgedTo === newPeer ? seen : undefined;
      },
      { timeoutMs: 20_000, everyMs: 200 },
    );
    t.is(summary.bridgedTo, newPeer, 'the events that came while the run waited were applied');
    t.not((await handle.describe()).runId, firstRun, 'the call continued as new');
  });
  await handle.signal(channelEventsSignal, [event('CHANNEL_HANGUP_COMPLETE', { hangupCause: 'NORMAL_CLEARING' })]);
  t.is((await handle.result()).phase, 'ended');
});
