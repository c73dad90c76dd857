// A slow switch is not a dead node worker. Every command takes a tenth of a second here (a loaded switch), so putting
// the parties on hold takes seconds; the node worker's activities say they are alive while they run, so nothing is
// taken for a dead worker's and sent again, and the transfer completes. The delay sits in the engine, between its
// switch activities and its ESL connection; what happened is read from the switch's events and the histories.
import anyTest from 'ava';
import type { SwitchCommands } from '../../activities/switch.ts';
import { callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { hangUp, placeCall, useEngine } from '../support/engine.ts';
import { activityAttempts } from '../support/history.ts';
import { completedByHangup, consulting, transferByDigits, commandsFrom, transferResult } from '../support/scenario.ts';

const COMMAND_MS = 100;
const slow = (esl: SwitchCommands): SwitchCommands => ({
  api: async (command) => {
    await new Promise((r) => setTimeout(r, COMMAND_MS));
    return esl.api(command);
  },
  bgapi: (command, jobUuid) => esl.bgapi(command, jobUuid),
});
const test = useEngine(anyTest, {}, { scenario: 'slow-switch', commands: slow });

test.serial('a switch that takes 100 ms a command: every activity runs once, and the transfer completes', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const carol = await transferByDigits(e, alice, '*22600', commandsFrom(e));
  await consulting(t, e, alice, bob, carol);
  await completedByHangup(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).outcome, 'completed');
  // The hold (a few dozen commands) runs in the activity that resolves the transfer, in Alice's call workflow.
  for (const workflowId of [callWorkflowId(alice.uuid), transferWorkflowId(alice.uuid, bob.uuid)]) {
    const attempts = await activityAttempts(e, workflowId);
    if (workflowId.startsWith('call:'))
      t.true(
        attempts.some(([type]) => type === 'resolveTransfer'),
        'the hold ran',
      );
    t.deepEqual(
      attempts.filter(([, attempt]) => attempt > 1),
      [],
      `${workflowId}: no activity was tried a second time`,
    );
  }
  await hangUp(e, bob.uuid);
});
