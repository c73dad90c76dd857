// A feature code typed while Temporal is away from the ingest and the workflow worker: `*22` reached the call's
// workflow, `600` was held by the ingest, and the inter-digit timer fired long after the last digit when the workflow
// worker got Temporal back, before the ingest did. The code must not be split (`*22` would dial 2): the late timer
// waits for the held digits, whose gaps are measured on the switch's clock, and 2600 is dialled. Each role reaches
// Temporal through a gate of its own (test/support/tcp-gate.ts); what happened is read from ESL.
import anyTest from 'ava';
import type { ChildProcess } from 'node:child_process';
import { hangUp, placeCall, press, useEngine, waitFor } from '../support/engine.ts';
import {
  callEnded,
  EventType,
  handledAfterSignals,
  historyReaches,
  signalledDigits,
  timersRunning,
} from '../support/history.ts';
import { startNodeProcess, startWorkflowProcess } from '../support/processes.ts';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import { consulting, isTargetLegCreated, sleep } from '../support/scenario.ts';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.ts';

const test = useEngine(anyTest, {}, { workflowWorker: false, nodeWorker: false, scenario: 'held-digits' });

const DIGIT_TIMEOUT_MS = 1500;

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
    await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '*22' && timersRunning(events) > 0);
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
    for (const leg of legs) await callEnded(e, leg);
    for (const child of processes) child.kill('SIGKILL');
    for (const gate of gates) await gate.close();
  }
});
