// A feature code whose digit timer fired while the ingest still held the rest of it: `*2` reached the call's workflow,
// `2604` (pressed well within the digit timeout, by the switch's clock) was held by the ingest, whose way to Temporal
// was cut, and the timer fired on time, before the ingest got through. The timer ends `*2` as no match; that did
// nothing on the switch, so the held digits, stamped within the digit timeout of the `2`, reopen it and 2604 is
// dialled. (With a Temporal restart the timer fires a little late instead, but by less than the lateness for which it
// waits for held digits: the same split, as the HA chaos round showed.) The node worker reaches Temporal through a
// gate (test/support/tcp-gate.ts); what happened is read from ESL, the history only tells the test when to go on.
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
import { startNodeProcess } from '../support/processes.ts';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import { consulting, isTargetLegCreated } from '../support/scenario.ts';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.ts';

const test = useEngine(anyTest, {}, { nodeWorker: false, scenario: 'reopened-code' });

/** Long enough for the gate to shut between the `2` and the rest of the code, by the switch's clock. */
const DIGIT_TIMEOUT_MS = 2500;

test.serial('*2 delivered, its timer fired before the held 2604 got through: 2604 is dialled', async (t) => {
  const e = t.context;
  const legs: string[] = [];
  let gate: TcpGate | undefined;
  let nodes: ChildProcess | undefined;
  try {
    gate = await startTcpGate(process.env.TEMPORAL_ADDRESS!);
    nodes = await startNodeProcess(e, { TEMPORAL_ADDRESS: gate.address });
    await e.store.setMetaflows(
      { accountId: e.demo.accountId, level: 'account' },
      { ...DEMO_METAFLOWS, digit_timeout: DIGIT_TIMEOUT_MS },
    );
    const { alice, bob } = await placeCall(e);
    legs.push(alice.uuid, bob.uuid);
    await press(e, alice.uuid, '*2');
    // `*2` reached the workflow and its digit timer runs.
    await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '*2' && timersRunning(events) > 0);
    gate.shut();
    await press(e, alice.uuid, '2604');
    // The timer fired with `*2` alone and the collection ended: no timer runs any more.
    await historyReaches(
      e,
      alice.uuid,
      (events) => handledAfterSignals(events, EventType.EVENT_TYPE_TIMER_FIRED) && timersRunning(events) === 0,
    );
    gate.open();
    const created = await waitFor(e, (ev) => isTargetLegCreated(ev, alice.uuid), 30_000);
    t.is(created.headers['Caller-Destination-Number'], '2604', 'the whole code, not *2 and a stray 2604');
    const carol = created.headers['Unique-ID']!;
    legs.push(carol);
    await consulting(t, e, alice, bob, carol);
  } finally {
    gate?.open();
    for (const leg of legs) await hangUp(e, leg);
    // The workflows hear the hangups and end (their histories are kept when HANDOFF_RECORD_HISTORIES is set).
    for (const leg of legs) await callEnded(e, leg);
    nodes?.kill('SIGKILL');
    await gate?.close();
  }
});
