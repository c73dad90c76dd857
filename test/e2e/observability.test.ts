// What an SRE sees of one attended transfer: /metrics counts it once (started, ended completed, its steps) beside the
// Temporal SDK's own metrics, and every metric the dashboard and alert rules use is there; the logs are JSON lines
// with the call, transfer, account and node; the Temporal UI tells the story: summaries set at start, current details
// that follow the transfer, activity and timer summaries, search attributes set at start, and no failed signal in a
// completed transfer's history. The callers' side is read from ESL events only.
import anyTest, { type TestFn } from 'ava';
import proto from '@temporalio/proto';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { TRANSFER_OUTCOME } from '../../contracts/search-attributes.ts';
import { createLogger } from '../../observability/log.ts';
import { installRuntime } from '../../temporal/runtime.ts';
import { placeCall, press, startEngine, type Engine } from '../support/engine.ts';
import {
  commandsFrom,
  completedByHangup,
  consulting,
  sleep,
  transferResult,
  waitForCallWorkflow,
  waitForTarget,
} from '../support/scenario.ts';
import { alertExpressions, dashboardExpressions, exportedFamilies, metricFamilies } from '../support/dashboards.ts';

const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;

interface Context {
  e: Engine;
  logs: string[];
}
const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  // The SDK's logs (workflows' included) of this process, captured: the Runtime is installed once, by the first caller.
  const logs: string[] = [];
  await installRuntime(
    createLogger(
      { LOG_LEVEL: 'info', LOG_REDACT_NUMBERS: false },
      { destination: { write: (l) => void logs.push(l) } },
    ),
  );
  t.context = { e: await startEngine({}, { scenario: 'observability', ops: true }), logs };
});
test.after.always(async (t) => {
  await t.context?.e?.stop();
});

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test.serial('one attended transfer: metrics, logs and the Temporal UI story', async (t) => {
  const { e, logs } = t.context;
  const { alice, bob } = await placeCall(e);
  await waitForCallWorkflow(e, alice.uuid);
  const commands = commandsFrom(e);
  await press(e, alice.uuid, '*22600');
  const carol = await waitForTarget(e, commands);
  await consulting(t, e, alice, bob, carol);
  const transferId = transferWorkflowId(alice.uuid, bob.uuid);
  const transfer = e.client.workflow.getHandle(transferId);

  // During the consultation: the transfer's current details say who hears what (the UI reads them by a query).
  const metadata = await transfer.query(workflowMetadataQuery);
  t.regex(
    metadata.currentDetails ?? '',
    /^\*\*consulting\*\* · transferor \S+ talks to target 2600 \(\S+\); transferee \S+ hears music on hold$/,
  );
  const callMetadata = await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).query(workflowMetadataQuery);
  t.regex(
    callMetadata.currentDetails ?? '',
    new RegExp(`^\\*\\*in_transfer\\*\\* · .*transferor in \`${transferId}\``, 's'),
  );

  await completedByHangup(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).outcome, 'completed');

  // Metrics: the transfer counted once, its steps timed, the SDK's metrics on the same endpoint.
  const metrics = await (await fetch(`${e.ops!.url}/metrics`)).text();
  t.is(sample(metrics, 'handoff_transfers_ended_total{outcome="completed"}'), 1, metrics);
  t.is(sample(metrics, 'handoff_transfers_started_total{type="attended",trigger="dtmf"}'), 1);
  for (const step of ['hold', 'consult', 'complete']) {
    t.is(sample(metrics, `handoff_transfer_step_seconds_count{step="${step}"}`), 1, `step ${step}`);
  }
  t.true((sample(metrics, `handoff_switch_commands_total{command="uuid_bridge",result="ok"}`) ?? 0) >= 2);
  t.is(sample(metrics, `handoff_esl_connected{node="${e.node.name}"}`), 1);
  t.true((sample(metrics, `handoff_ingest_events_total{node="${e.node.name}"}`) ?? 0) > 10);
  t.regex(metrics, /^temporal_workflow_completed_total\{.*workflow_type="transferWorkflow".*\} \d+/m);
  const exported = exportedFamilies(metrics);
  for (const name of new Set([...dashboardExpressions(), ...alertExpressions()].flatMap(metricFamilies))) {
    t.true(exported.has(name), `${name} is used by the dashboard or the alert rules but not exported`);
  }
  t.is((await fetch(`${e.ops!.url}/readyz`)).status, 200);

  // The Temporal UI: summaries set at start.
  const callDesc = await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).describe();
  t.is(await callDesc.staticSummary(), `call: 1001 · outbound · account ${e.demo.accountId} · node ${e.node.name}`);
  t.regex((await callDesc.staticDetails()) ?? '', new RegExp(`^\\*\\*leg\\*\\* \`${alice.uuid}\``));
  const desc = await transfer.describe();
  t.is(await desc.staticSummary(), 'transfer: 1001 → 2600 attended, by *2');
  t.regex((await desc.staticDetails()) ?? '', /\*\*target\*\* 2600/);

  // Its history: activities and timers named; no failed signal although Alice's call had ended; search attributes
  // set at start, the outcome with the last state.
  const history = await transfer.fetchHistory();
  const events = history.events ?? [];
  const summaries = (type: number) =>
    events
      .filter((ev) => ev.eventType === type)
      .map((ev) => ev.userMetadata?.summary?.data)
      .filter((d): d is Uint8Array => !!d)
      .map((d) => JSON.parse(Buffer.from(d).toString()) as string);
  const activities = summaries(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  t.true(activities.includes('uuid_bridge transferor ↔ target, until its CHANNEL_BRIDGE'), activities.join(' | '));
  t.true(activities.includes('uuid_bridge transferee ↔ target, until its CHANNEL_BRIDGE, then their settings'));
  // The parties were put on hold by the activity that resolved the transfer, in Alice's call workflow.
  const callActivities = ((await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).fetchHistory()).events ?? [])
    .filter((ev) => ev.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .flatMap((ev) =>
      ev.userMetadata?.summary?.data ? [JSON.parse(Buffer.from(ev.userMetadata.summary.data).toString())] : [],
    );
  t.true(callActivities.includes('resolve the transfer to 2600, then hold'), callActivities.join(' | '));
  t.false(activities.includes('hold: music for the transferee, ringback for the transferor'), activities.join(' | '));
  // The join signal to the transferee's call and the originate go out in the transfer's first workflow task: the
  // target is not dialled after the signal's round trip.
  const joinAt = events.findIndex(
    (ev) => ev.eventType === EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  );
  const dialAt = events.findIndex(
    (ev) =>
      ev.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      ev.activityTaskScheduledEventAttributes?.activityType?.name === 'originateTarget',
  );
  t.true(joinAt >= 0 && dialAt > joinAt);
  t.false(
    events.slice(joinAt, dialAt).some((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    'the join and the originate in one workflow task',
  );
  // Every timer is named (the target answers at once here and each bridge is confirmed in its activity: usually none).
  const timers = summaries(EventType.EVENT_TYPE_TIMER_STARTED);
  t.is(
    timers.length,
    events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_STARTED).length,
    `timers: ${timers.join(' | ')}`,
  );
  t.false(
    events.some((ev) => ev.eventType === EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED),
    'a completed transfer shows no failed signal',
  );
  const ended = await transfer.describe();
  t.is(ended.typedSearchAttributes.get(TRANSFER_OUTCOME), 'completed');

  const callHistory = await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).fetchHistory();
  const upserted = (callHistory.events ?? [])
    .filter((ev) => ev.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    .flatMap((ev) =>
      Object.keys(ev.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    );
  t.false(upserted.includes('HandoffAccountId'), 'the account is set at start, not upserted');
  const started =
    callHistory.events?.[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ?? {};
  t.deepEqual(Object.keys(started).sort(), ['HandoffAccountId', 'HandoffCallState', 'HandoffNode']);

  // Logs: JSON lines carrying the call or transfer, the account and the node. The SDK's logger holds lines 100 ms to
  // sort them (log forwarding), longer on a loaded machine: wait for the last one.
  const parsed = () => logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (let i = 0; i < 100 && !parsed().some((l) => l['msg'] === 'transfer ended'); i++) await sleep(100);
  const lines = parsed();
  const featureCode = lines.find((l) => l['msg'] === 'feature code' && l['callId'] === alice.uuid);
  t.like(featureCode, { accountId: e.demo.accountId, node: e.node.name });
  const endedLine = lines.find((l) => l['msg'] === 'transfer ended' && l['transferId'] === transferId);
  t.like(endedLine, { outcome: 'completed', accountId: e.demo.accountId, node: e.node.name });
});
