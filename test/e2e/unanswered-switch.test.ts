// A switch command unanswered past its activity's give-up time loses the key press that needed it, not the call: the
// call workflow stays up, and the next feature code works once the node answers again. The fault sits in the engine,
// between its switch activities and its ESL connection (as a node too loaded to answer, or out of reach); what
// happened is read from the switch's events and the call's workflow.
import anyTest from 'ava';
import type { SwitchCommands } from '../../activities/switch.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal } from '../../contracts/messages.ts';
import { EslDisconnectedError } from '../../workers/esl/index.ts';
import { hangUp, placeCall, press, useEngine, type Engine } from '../support/engine.ts';
import { historyReaches, signalledDigits, type HistoryEvent } from '../support/history.ts';
import { commandsFrom, completedByHangup, consulting, sleep, transferByDigits } from '../support/scenario.ts';

/** The legs whose reads go unanswered (loading their feature codes reads them). */
const unanswered = new Set<string>();
const reads = (esl: SwitchCommands): SwitchCommands => ({
  api: (command) =>
    [...unanswered].some((leg) => command.startsWith(`uuid_dump ${leg}`))
      ? Promise.reject(new EslDisconnectedError('fs: not connected'))
      : esl.api(command),
  bgapi: (command, jobUuid) => esl.bgapi(command, jobUuid),
});
const test = useEngine(anyTest, {}, { scenario: 'unanswered-switch', commands: reads });

test.serial('a key press whose feature codes could not be read in 30 s is lost, the call is not', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const handle = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  const firstRun = (await handle.describe()).runId;
  unanswered.add(alice.uuid);
  // Any key makes the call workflow read the leg's feature codes; the read is retried, then given up after 30 s.
  await press(e, alice.uuid, '5');
  const deadline = Date.now() + 60_000;
  let gaveUp = false;
  while (!gaveUp && Date.now() < deadline) {
    const history = await handle.fetchHistory();
    gaveUp = (history.events ?? []).some(
      (ev) => ev.activityTaskTimedOutEventAttributes || ev.activityTaskFailedEventAttributes,
    );
    if (!gaveUp) await sleep(1000);
  }
  t.true(gaveUp, 'the read was given up');
  await sleep(2000);
  t.is((await handle.describe()).runId, firstRun, 'the same run of the call workflow');
  unanswered.delete(alice.uuid);
  const carol = await transferByDigits(e, alice, '*22600', commandsFrom(e));
  await consulting(t, e, alice, bob, carol);
  await completedByHangup(t, e, alice, bob, carol);
  // The run that lost the key press carried the call to its end (a failed run would throw here).
  t.is((await e.client.workflow.getHandle(callWorkflowId(alice.uuid), firstRun).result()).phase, 'ended');
  await hangUp(e, bob.uuid);
});

/** Whether the event is the call workflow asking for a read of the leg's feature codes. */
const isRead = (ev: HistoryEvent) => ev.activityTaskScheduledEventAttributes?.activityType?.name === 'loadLegPolicy';
const gaveUp = (events: HistoryEvent[]) =>
  events.some((ev) => ev.activityTaskTimedOutEventAttributes || ev.activityTaskFailedEventAttributes);

/** The history as the digits signalled and the reads asked for (`R`), in order: `5R67R`. */
function pressesAndReads(events: HistoryEvent[]): string {
  return events
    .map((ev) => (isRead(ev) ? 'R' : ev.workflowExecutionSignaledEventAttributes ? signalledDigits([ev]) : ''))
    .join('');
}

/**
 * A leg whose switch clock is `skewMs` off the workflow's: a press, one 10 s later (queued behind the read that then
 * gives up), and one 2 s after the give-up. The switch's timestamps are the presses' own; the presses are signalled as
 * the ingest would (a core of their own keeps them apart from the switch's events of the leg).
 */
async function pressesAroundAGiveUp(e: Engine, skewMs: number): Promise<string> {
  const { alice, bob } = await placeCall(e);
  const handle = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  let seq = 0;
  const pressNow = (digit: string) =>
    handle.signal(channelEventsSignal, [
      {
        name: 'DTMF',
        digit,
        uuid: alice.uuid,
        coreUuid: 'core-skewed',
        seq: ++seq,
        at: Date.now() + skewMs,
        node: e.node.name,
      },
    ]);
  unanswered.add(alice.uuid);
  try {
    await pressNow('5');
    await sleep(10_000);
    await pressNow('6');
    await historyReaches(e, alice.uuid, gaveUp, 60_000);
  } finally {
    unanswered.delete(alice.uuid);
  }
  await sleep(2000);
  await pressNow('7');
  await historyReaches(e, alice.uuid, (events) => events.filter(isRead).length >= 2, 15_000).catch(() => undefined);
  // Time for a read too many to show.
  await sleep(2000);
  const seen = pressesAndReads((await handle.fetchHistory()).events ?? []);
  await hangUp(e, alice.uuid);
  await hangUp(e, bob.uuid);
  return seen;
}

test.serial(
  'after a read gave up, on a switch clock 2 min behind or ahead: only a press after the give-up reads again',
  async (t) => {
    t.timeout(150_000);
    const e = t.context;
    // Behind: the press after the give-up is stamped before the workflow's time of it. Ahead: the press queued behind
    // the read is stamped after it. The read of 5 gives up; 6 is pressed before that, 7 after.
    const [behind, ahead] = await Promise.all([pressesAroundAGiveUp(e, -120_000), pressesAroundAGiveUp(e, 120_000)]);
    t.is(behind, '5R67R', 'clock behind: the press after the give-up reads again');
    t.is(ahead, '5R67R', 'clock ahead: the press queued behind the read does not read again');
  },
);
