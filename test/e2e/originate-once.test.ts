// Originate at most once, and at least once. The `bgapi originate` reaches the switch but its reply is lost on the way
// back (the node worker's connection, a worker dying after sending): the transfer never sends it again, since a second
// one would dial the target twice with the same UUID once the first leg has failed. It reads the switch, and the leg's
// own events (or its deadline) decide. A worker that dies before sending leaves the same unknown outcome, but the switch
// shows no such leg and tells of none: that originate is sent once more. The fault sits in the engine, between its
// switch activities and its ESL connection: the switch is untouched, and what happened is read from the switch's
// events.
import anyTest, { type ExecutionContext } from 'ava';
import type { SwitchCommands } from '../../activities/switch.ts';
import { placeCall, startEngine, useShared, waitFor, type Engine, type Party } from '../support/engine.ts';
import { bridgedPair, createdFor } from '../support/events.ts';
import { completedByHangup, consulting, sleep, transferResult } from '../support/scenario.ts';
import { press } from '../support/engine.ts';

interface Context {
  e: Engine;
  /** Every originate the engine sent through the faulty connection. */
  sent: string[];
  /** How many originates to come are lost before they reach the switch (each then not sent, and not answered). */
  lostBeforeSending: { count: number };
}
const test = useShared<Context>(
  anyTest,
  async () => {
    const sent: string[] = [];
    const lostBeforeSending = { count: 0 };
    // The command goes out; its reply never comes back. Or, when asked, it never goes out.
    const replyLost = (esl: SwitchCommands): SwitchCommands => ({
      api: (command) => esl.api(command),
      async bgapi(command, jobUuid) {
        if (command.startsWith('originate ') && lostBeforeSending.count > 0) {
          lostBeforeSending.count--;
          throw new Error('ESL: connection lost before the command was written');
        }
        await esl.bgapi(command, jobUuid);
        if (!command.startsWith('originate ')) return;
        sent.push(command);
        throw new Error('ESL: connection lost before the reply');
      },
    });
    const e = await startEngine({}, { scenario: 'originate-once', commands: replyLost });
    return { e, sent, lostBeforeSending };
  },
  ({ e }) => e.stop(),
);

/** How many target legs the switch created for `ext` since `from`. */
const legsCreated = (e: Engine, ext: string, from: number): number =>
  e.phones.events.filter(createdFor(e, ext, from)).length;

/** The target leg `created` answers, the transferor hangs up, and the transfer completes: one originate sent since
 * `sentBefore`, one target leg created since `from`. */
async function completesWithOneLeg(
  t: ExecutionContext<Context>,
  at: {
    alice: Party;
    bob: Party;
    created: { headers: Record<string, string | undefined> };
    from: number;
    sentBefore: number;
  },
): Promise<void> {
  const { e, sent } = t.context;
  const { alice, bob } = at;
  const carol = at.created.headers['Unique-ID']!;
  await consulting(t, e, alice, bob, carol);
  await completedByHangup(t, e, alice, bob, carol);
  const summary = await transferResult(e, alice, bob);
  t.is(summary.outcome, 'completed');
  t.is(sent.length - at.sentBefore, 1, 'one originate reached the switch');
  t.is(legsCreated(e, '2600', at.from), 1, 'the switch created one target leg');
  await e.phones.api(`uuid_kill ${bob.uuid}`);
}

test.serial('the target is busy and the reply was lost: dialled once, and the callers talk again', async (t) => {
  const { e, sent } = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  const before = sent.length;
  await press(e, alice.uuid, '*22603'); // busy at once
  await waitFor(e, createdFor(e, '2603', from));
  const summary = await transferResult(e, alice, bob);
  // Alice and Bob are bridged again (a CHANNEL_BRIDGE after the transfer began).
  await waitFor(e, bridgedPair(e, alice.uuid, bob.uuid, from));
  t.is(summary.outcome, 'target_failed');
  t.is(summary.reason, 'USER_BUSY', 'the switch said why, although the originate reply was lost');
  // Long enough for a retry's backoff: nothing more is dialled.
  await sleep(1500);
  t.is(sent.length - before, 1, 'one originate sent');
  t.is(legsCreated(e, '2603', from), 1, 'the switch created one target leg');
  await e.phones.api(`uuid_kill ${alice.uuid}`);
  await e.phones.api(`uuid_kill ${bob.uuid}`);
});

test.serial('the target answers and the reply was lost: the consultation goes on and completes', async (t) => {
  const { e, sent } = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  const before = sent.length;
  await press(e, alice.uuid, '*22600'); // answers at once
  const created = await waitFor(e, createdFor(e, '2600', from));
  await completesWithOneLeg(t, { alice, bob, created, from, sentBefore: before });
});

test.serial('the originate never reached the switch: sent once more, and the transfer completes', async (t) => {
  const { e, sent, lostBeforeSending } = t.context;
  const { alice, bob } = await placeCall(e);
  const from = e.phones.events.length;
  const before = sent.length;
  lostBeforeSending.count = 1;
  await press(e, alice.uuid, '*22600');
  const created = await waitFor(e, createdFor(e, '2600', from));
  t.is(lostBeforeSending.count, 0, 'the first originate was lost before the switch');
  await completesWithOneLeg(t, { alice, bob, created, from, sentBefore: before });
});
