// Key presses the ingest held while it could not reach Temporal reach the call workflow soon after Temporal is back,
// however long it was away. A workflow whose digit timer fired late waits for held digits only a little longer than
// its lateness (workflows/collector.ts), so a press delivered seconds after Temporal's return can split a code. Before,
// the ingest's way back was three backoffs on top of each other: gRPC's reconnect backoff (×1.6 from 1 s, up to
// 120 s), the Temporal client's own retries (up to 5 s apart) and the ingest queue's retries (up to 5 s apart): after
// 10, 30 and 60 s away the held presses came 4.0, 17.8 and 23.4 s after Temporal's return (one run each, loaded machine). The node worker reaches Temporal through a gate
// (test/support/tcp-gate.ts: its connections reset, new ones refused at once, as when the server is down); the times are
// the history's (the server's clock, on this machine).
import anyTest from 'ava';
import { press, useEngine } from '../support/engine.ts';
import { withGatedCall } from '../support/gated-call.ts';
import { historyReaches, signalledDigits, type HistoryEvent } from '../support/history.ts';
import { sleep } from '../support/scenario.ts';
import { callWorkflowId } from '../../contracts/ids.ts';

const test = useEngine(anyTest, {}, { nodeWorker: false, scenario: 'held-after-outage' });

/** How long the ingest is away from Temporal: past several of gRPC's default reconnect backoffs. */
const OUTAGE_MS = 30_000;
/**
 * The least a late digit timer waits for held digits (its lateness + 2 s): a held press must come within this of
 * Temporal's return.
 */
const WITHIN_MS = 2000;

/** When the first signal carrying the digit `digit` was recorded (ms since the epoch). */
function signalledAt(events: HistoryEvent[], digit: string): number | undefined {
  for (const ev of events) {
    const data = ev.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data;
    if (!data) continue;
    const batch = JSON.parse(Buffer.from(data).toString('utf8')) as { name?: string; digit?: string }[];
    if (Array.isArray(batch) && batch.some((x) => x.name === 'DTMF' && x.digit === digit)) {
      const t = ev.eventTime!;
      return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
    }
  }
  return undefined;
}

test.serial(
  `presses held through ${OUTAGE_MS / 1000} s without Temporal are delivered within 2 s of its return`,
  async (t) => {
    const e = t.context;
    await withGatedCall(e, { digitTimeoutMs: 1000, workflowProcess: false }, async (call) => {
      const { alice, forNodes } = call;
      // A digit that starts no code, delivered while Temporal is reachable: the call's workflow runs.
      await press(e, alice.uuid, '1');
      await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '1');
      forNodes.shut();
      // One press as the ingest loses Temporal (its send fails and is retried), one near the end of the outage.
      await press(e, alice.uuid, '4');
      await sleep(OUTAGE_MS - 2000);
      await press(e, alice.uuid, '5');
      await sleep(2000);
      const back = Date.now();
      forNodes.open();
      await historyReaches(e, alice.uuid, (events) => signalledDigits(events) === '145', 180_000);
      const events = (await e.client.workflow.getHandle(callWorkflowId(alice.uuid)).fetchHistory()).events ?? [];
      const four = signalledAt(events, '4')! - back;
      const five = signalledAt(events, '5')! - back;
      t.log(`after ${OUTAGE_MS / 1000} s away: '4' delivered ${four} ms, '5' ${five} ms after Temporal was back`);
      t.true(four <= WITHIN_MS, `the press held the longest came ${four} ms after Temporal's return`);
      t.true(five <= WITHIN_MS, `the last press came ${five} ms after Temporal's return`);
    });
  },
);
