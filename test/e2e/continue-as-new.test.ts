// A long call continues as new with its state and its deduplication memory, and loses no signal on the way.
import crypto from 'node:crypto';
import anyTest from 'ava';
import { callWorkflowId } from '../../contracts/ids.ts';
import { callQuery, channelEventsSignal, type CallSummary, type ChannelEvent } from '../../contracts/messages.ts';
import { useEngine } from '../support/engine.ts';

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
  const deadline = Date.now() + 20_000;
  let summary: CallSummary | undefined;
  while (Date.now() < deadline) {
    summary = await e.client.workflow.getHandle(workflowId).query(callQuery);
    const description = await e.client.workflow.getHandle(workflowId).describe();
    if (description.runId !== firstRun && summary.phase === 'answered') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const description = await e.client.workflow.getHandle(workflowId).describe();
  t.not(description.runId, firstRun, 'the call continued as new');
  t.is(summary?.answered, true);
  t.is(summary?.accountId, e.demo.accountId);
  t.is(summary?.bridgedTo, undefined, 'the duplicate bridge event was dropped by the carried dedup state');
  t.is(summary?.phase, 'answered');
  await handle.signal(channelEventsSignal, [event('CHANNEL_HANGUP_COMPLETE', { hangupCause: 'NORMAL_CLEARING' })]);
  const result = await e.client.workflow.getHandle(workflowId).result();
  t.is(result.phase, 'ended');
});
