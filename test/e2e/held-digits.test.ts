// A feature code typed while Temporal is away from the ingest and the workflow worker: `*22` reached the call's
// workflow, `600` was held by the ingest, and the inter-digit timer fired long after the last digit when the workflow
// worker got Temporal back, before the ingest did. The code must not be split (`*22` would dial 2): the late timer
// waits for the held digits, whose gaps are measured on the switch's clock, and 2600 is dialled. Each role reaches
// Temporal through a gate of its own (test/support/tcp-gate.ts); what happened is read from ESL.
import anyTest from 'ava';
import proto from '@temporalio/proto';
import type { ChildProcess } from 'node:child_process';
import { callWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, press, useEngine, waitFor, type Engine } from '../support/engine.ts';
import { startNodeProcess, startWorkflowProcess } from '../support/processes.ts';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import { consulting, isTargetLegCreated, sleep } from '../support/scenario.ts';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.ts';

const test = useEngine(anyTest, {}, { workflowWorker: false, nodeWorker: false, scenario: 'held-digits' });

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const EventType = proto.temporal.api.enums.v1.EventType;
const DIGIT_TIMEOUT_MS = 1500;

/** Waits until the call's workflow history satisfies `pred` (the setup's own waits, not assertions). */
async function historyReaches(e: Engine, leg: string, pred: (events: HistoryEvent[]) => boolean, timeoutMs = 30_000) {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(100)) {
    const history = await e.client.workflow.getHandle(callWorkflowId(leg)).fetchHistory();
    if (pred(history.events ?? [])) return;
  }
  throw new Error(`call:${leg}: the history did not get there in ${timeoutMs} ms`);
}

/** Waits up to 15 s for a leg's call workflow to end. */
async function ended(e: Engine, leg: string): Promise<void> {
  const result = e.client.workflow.getHandle(callWorkflowId(leg)).result();
  await Promise.race([result.catch(() => undefined), sleep(15_000)]);
}

/** The DTMF digits the workflow was signalled, in order. */
function signalledDigits(events: HistoryEvent[]): string {
  let digits = '';
  for (const ev of events) {
    const data = ev.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data;
    if (!data) continue;
    const batch = JSON.parse(Buffer.from(data).toString('utf8')) as { name?: string; digit?: string }[];
    for (const x of Array.isArray(batch) ? batch : []) if (x.name === 'DTMF') digits += x.digit ?? '';
  }
  return digits;
}

/** The last event of this type comes after the last signal, and a completed workflow task after it. */
function handledAfterSignals(events: HistoryEvent[], type: proto.temporal.api.enums.v1.EventType): boolean {
  const types = events.map((ev) => ev.eventType);
  const lastSignal = types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  const at = types.lastIndexOf(type);
  return at > lastSignal && types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, at) > at;
}

test.serial('*22 delivered, 600 held by the ingest, the timer fired late: 2600 is dialled, not 2', async (t) => {
  const e = t.context;
  const gates: TcpGate[] = [];
  const processes: ChildProcess[] = [];
  const legs: string[] = [];
  try {
    const temporal = process.env.TEMPORAL_ADDRESS!;
    const [forWorkflows, forNodes] = [await startTcpGate(temporal), await startTcpGate(temporal)];
    gates.push(forWorkflows, forNodes);
    processes.push(await startWorkflowProcess(e, { TEMPORAL_ADDRESS: forWorkflows.address }));
    processes.push(await startNodeProcess(e, { TEMPORAL_ADDRESS: forNodes.address }));
    // A digit timeout long enough for the gates to shut before the timer of `*22` can fire.
    await e.store.setMetaflows(
      { accountId: e.demo.accountId, level: 'account' },
      { ...DEMO_METAFLOWS, digit_timeout: DIGIT_TIMEOUT_MS },
    );
    const { alice, bob } = await placeCall(e);
    legs.push(alice.uuid, bob.uuid);
    await press(e, alice.uuid, '*22');
    // The collection runs: `*22` arrived and the digit timeout's timer runs (started, neither fired nor cancelled; it
    // may be the first `2`'s: the digits of a code share it).
    await historyReaches(e, alice.uuid, (events) => {
      const count = (type: proto.temporal.api.enums.v1.EventType) =>
        events.filter((ev) => ev.eventType === type).length;
      const running =
        count(EventType.EVENT_TYPE_TIMER_STARTED) -
        count(EventType.EVENT_TYPE_TIMER_FIRED) -
        count(EventType.EVENT_TYPE_TIMER_CANCELED);
      return signalledDigits(events) === '*22' && running > 0;
    });
    forWorkflows.shut();
    forNodes.shut();
    await press(e, alice.uuid, '600');
    // Long enough for the timer to fire, by the switch's clock, well past the digit timeout.
    await sleep(DIGIT_TIMEOUT_MS + 5000);
    // The workflow worker is back first and gets the timer, long after the last digit.
    forWorkflows.open();
    await historyReaches(e, alice.uuid, (events) => handledAfterSignals(events, EventType.EVENT_TYPE_TIMER_FIRED));
    // Then the ingest: it delivers what it held.
    forNodes.open();
    const created = await waitFor(e, (ev) => isTargetLegCreated(ev, alice.uuid), 30_000);
    t.is(created.headers['Caller-Destination-Number'], '2600', 'the whole code, not *22');
    const carol = created.headers['Unique-ID']!;
    legs.push(carol);
    await consulting(t, e, alice, bob, carol);
  } finally {
    for (const gate of gates) gate.open();
    for (const leg of legs) await hangUp(e, leg);
    // The workflows hear the hangups and end (their histories are kept when HANDOFF_RECORD_HISTORIES is set).
    for (const leg of legs) await ended(e, leg);
    for (const child of processes) child.kill('SIGKILL');
    for (const gate of gates) await gate.close();
  }
});
