// A switch command unanswered past its activity's give-up time loses the key press that needed it, not the call: the
// call workflow stays up, and the next feature code works once the node answers again. The fault sits in the engine,
// between its switch activities and its ESL connection (as a node too loaded to answer, or out of reach); what
// happened is read from the switch's events and the call's workflow.
import anyTest from 'ava';
import type { SwitchCommands } from '../../activities/switch.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import { EslDisconnectedError } from '../../workers/esl/index.ts';
import { hangUp, placeCall, press, useEngine } from '../support/engine.ts';
import { commandsFrom, completedByHangup, consulting, sleep, transferByDigits } from '../support/scenario.ts';

/** The leg whose reads go unanswered (loading its feature codes reads it), while set. */
let unanswered: string | undefined;
const reads = (esl: SwitchCommands): SwitchCommands => ({
  api: (command) =>
    unanswered && command.startsWith(`uuid_dump ${unanswered}`)
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
  unanswered = alice.uuid;
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
  unanswered = undefined;
  const carol = await transferByDigits(e, alice, '*22600', commandsFrom(e));
  await consulting(t, e, alice, bob, carol);
  await completedByHangup(t, e, alice, bob, carol);
  // The run that lost the key press carried the call to its end (a failed run would throw here).
  t.is((await e.client.workflow.getHandle(callWorkflowId(alice.uuid), firstRun).result()).phase, 'ended');
  await hangUp(e, bob.uuid);
});
