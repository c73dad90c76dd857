// The transferor's call workflow puts the parties on hold as it resolves the transfer (activities/policy.ts
// resolveTransfer). Two ways that hold can go wrong after its commands went out, and what must follow:
// - a command's reply is lost (the ESL connection dropped under it): the resolve succeeds without the hold, and the
//   transfer holds the parties itself (its hold finds what the first one did through the legs' marks);
// - the activity hangs (a node worker stuck, or dead: its attempt times out): the retry finds the two parties parked,
//   no longer bridged, and must carry the transfer on, not refuse it as "not bridged" and leave the transferee on hold
//   with nobody in charge;
// - every attempt hangs until the call workflow gives the resolve up: no transfer starts, and the call workflow gives
//   the parties back to each other rather than leave them on hold.
// The faults sit in the engine, between its switch activities and its ESL connection; what happened is read from the
// switch's events, the engine's command journal and the workflows' histories.
import anyTest, { type ExecutionContext } from 'ava';
import type { SwitchCommands } from '../../activities/switch.ts';
import { ACTIVE_TRANSFER_VARIABLE, callWorkflowId, transferWorkflowId } from '../../contracts/ids.ts';
import { EslDisconnectedError } from '../../workers/esl/index.ts';
import { hangUp, placeCall, press, useEngine, waitFor, type Engine, type Party } from '../support/engine.ts';
import { activityAttempts } from '../support/history.ts';
import {
  bridgedTogether,
  commandsFrom,
  completedByHangup,
  consulting,
  eventOn,
  expectHearing,
  expectSettingsRestored,
  music,
  originates,
  peer,
  sleep,
  transferResult,
  waitForPhase,
  waitForTarget,
} from '../support/scenario.ts';

/** The fault for the transferor's first ringback command (the hold's last tone), once, or each one (`always`). */
let fault: { transferor: string; kind: 'lost-reply' | 'hung'; always?: boolean } | undefined;
/** Ends the hung commands (with their replies) once the test is done, so that the worker can shut down. */
const hung: (() => void)[] = [];
const release = () => hung.splice(0).forEach((end) => end());
/** While set, each hold's first write waits this long: two resolves both pass their checks before either holds. */
let holdDelayMs = 0;
const faulty = (esl: SwitchCommands): SwitchCommands => ({
  api: async (command) => {
    if (holdDelayMs && / handoff_saved_park_after_bridge /.test(command))
      await new Promise((resolve) => setTimeout(resolve, holdDelayMs));
    const reply = await esl.api(command);
    const f = fault;
    if (f && command.startsWith(`uuid_broadcast ${f.transferor} `)) {
      if (!f.always) fault = undefined;
      if (f.kind === 'hung') return new Promise<string>((resolve) => hung.push(() => resolve(reply)));
      throw new EslDisconnectedError('fs: connection lost before the reply');
    }
    return reply;
  },
  bgapi: (command, jobUuid) => esl.bgapi(command, jobUuid),
});
const faultPending = () => fault !== undefined;
const test = useEngine(anyTest, {}, { scenario: 'hold-retry', commands: faulty });

async function transferThroughFault(t: ExecutionContext<Engine>, kind: 'lost-reply' | 'hung', waitMs: number) {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  fault = { transferor: alice.uuid, kind };
  const commands = commandsFrom(e);
  await press(e, alice.uuid, '*22600');
  const carol = await waitForTarget(e, commands, waitMs);
  t.false(faultPending(), 'the fault took the ringback command');
  await consulting(t, e, alice, bob, carol);
  await completedByHangup(t, e, alice, bob, carol);
  const call = await activityAttempts(e, callWorkflowId(alice.uuid));
  const transfer = await activityAttempts(e, transferWorkflowId(alice.uuid, bob.uuid));
  await hangUp(e, bob.uuid);
  release();
  return { call, transfer };
}

test.serial('the hold went out, a reply was lost: the transfer holds the parties itself and goes on', async (t) => {
  const { call, transfer } = await transferThroughFault(t, 'lost-reply', 15_000);
  t.deepEqual(
    call.filter(([type]) => type === 'resolveTransfer'),
    [['resolveTransfer', 1]],
  );
  t.true(
    transfer.some(([type]) => type === 'holdForTransfer'),
    `the transfer held the parties itself (${JSON.stringify(transfer)})`,
  );
});

test.serial(
  'the resolve hung after its hold went out: its retry finds the parties parked and carries on',
  async (t) => {
    // The hung attempt is given up after the switch activities' 20 s and tried again.
    const { call, transfer } = await transferThroughFault(t, 'hung', 40_000);
    t.deepEqual(
      call.filter(([type]) => type === 'resolveTransfer'),
      [['resolveTransfer', 2]],
    );
    t.false(
      transfer.some(([type]) => type === 'holdForTransfer'),
      `the retry's hold was the transfer's (${JSON.stringify(transfer)})`,
    );
  },
);

test.serial(
  "without a fault the hold reads nothing itself: the resolve's uuid_dump of each leg was its read",
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    const commands = commandsFrom(e);
    await press(e, alice.uuid, '*22600');
    const carol = await waitForTarget(e, commands);
    const sent = commands().map((c) => c.replace(/^(api|bgapi) /, ''));
    const beforeDial = sent.slice(
      0,
      sent.findIndex((c) => c.startsWith('originate ')),
    );
    t.deepEqual(
      beforeDial.filter((c) => c.startsWith('uuid_getvar ')),
      [],
      beforeDial.join('\n'),
    );
    t.true(beforeDial.some((c) => c.startsWith(`uuid_broadcast ${bob.uuid} `)));
    await consulting(t, e, alice, bob, carol);
    await completedByHangup(t, e, alice, bob, carol);
    await hangUp(e, bob.uuid);
  },
);

test.serial(
  'both parties press a transfer code at the same moment, both pass their checks: one holds the pair',
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    const commands = commandsFrom(e);
    // Both resolves read the pair bridged; the claim, not the switch, decides which one holds it.
    holdDelayMs = 1000;
    try {
      await Promise.all([press(e, alice.uuid, '*22600'), press(e, bob.uuid, '*22601')]);
      const carol = await waitForTarget(e, commands);
      await waitForPhase(e, alice, bob, 'consulting');
      await sleep(1500); // the loser's hold, had it been let through, has reached the switch
      t.is(commands().filter((c) => c.startsWith('api uuid_park ')).length, 1, 'the parties were put on hold once');
      t.is(originates(commands()).length, 1, 'one target dialled');
      const transferor = commands().some((c) => c.startsWith(`api uuid_park ${bob.uuid}`)) ? alice : bob;
      await hangUp(e, transferor.uuid);
      t.is((await transferResult(e, alice, bob)).outcome, 'completed');
      await hangUp(e, transferor === alice ? bob.uuid : alice.uuid);
      await hangUp(e, carol).catch(() => undefined);
    } finally {
      holdDelayMs = 0;
    }
  },
);

test.serial(
  'every attempt of the resolve hangs after its hold, past its retry window: the parties talk again, nobody is dialled',
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    fault = { transferor: alice.uuid, kind: 'hung', always: true };
    try {
      const commands = commandsFrom(e);
      const heldAt = await pressedAndHeld(e, alice, bob);
      // The call workflow gives the resolve up after its 30 s; its two attempts held the parties.
      await bridgedTogether(e, alice.uuid, bob.uuid, 60_000);
      t.log(`Alice and Bob talk again ${Date.now() - heldAt} ms after they were put on hold`);
      await expectHearing(t, e, 'given back', [
        ['Alice', alice.uuid, peer(bob.uuid)],
        ['Bob', bob.uuid, peer(alice.uuid)],
      ]);
      // The same activity puts their settings back once their bridge is confirmed.
      await expectGaveBack(t, e, alice);
      await expectSettingsRestored(t, e, alice.uuid, bob.uuid);
      for (const leg of [alice.uuid, bob.uuid])
        t.is(await e.phones.api(`uuid_getvar ${leg} ${ACTIVE_TRANSFER_VARIABLE}`), '_undef_', `${leg} unmarked`);
      t.deepEqual(originates(commands()), [], 'nobody dialled');
    } finally {
      fault = undefined;
      release();
    }
    await hangUp(e, alice.uuid);
    await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', bob.uuid);
  },
);

test.serial(
  "the resolve hangs after its hold and the transferor hangs up meanwhile: its retry is refused, and Bob isn't left on hold",
  async (t) => {
    const e = t.context;
    const { alice, bob } = await placeCall(e);
    fault = { transferor: alice.uuid, kind: 'hung' };
    try {
      const commands = commandsFrom(e);
      const heldAt = await pressedAndHeld(e, alice, bob);
      await expectHearing(t, e, 'on hold', [['Bob', bob.uuid, music(e)]]);
      await hangUp(e, alice.uuid); // tired of the ringback: the retry, 20 s on, finds no call to transfer
      await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', bob.uuid, 60_000);
      t.log(`Bob released ${Date.now() - heldAt} ms after he was put on hold`);
      await expectGaveBack(t, e, alice);
      t.deepEqual(originates(commands()), [], 'nobody dialled');
    } finally {
      fault = undefined;
      release();
    }
  },
);

/** Alice presses `*22600` and her resolve's hold goes out (Bob is parked): when. */
async function pressedAndHeld(e: Engine, alice: Party, bob: Party): Promise<number> {
  const from = e.phones.events.length;
  await press(e, alice.uuid, '*22600');
  await waitFor(
    e,
    (ev) => ev.name === 'CHANNEL_PARK' && ev.headers['Unique-ID'] === bob.uuid && e.phones.events.indexOf(ev) >= from,
  );
  return Date.now();
}

/** Alice's call workflow gave its resolve up after two attempts, then gave the parties back once. */
async function expectGaveBack(t: ExecutionContext<Engine>, e: Engine, alice: Party): Promise<void> {
  let attempts: [string, number][] = [];
  for (const until = Date.now() + 15_000; Date.now() < until; await sleep(100)) {
    attempts = await activityAttempts(e, callWorkflowId(alice.uuid));
    if (attempts.some(([type]) => type === 'giveBackHeld')) break;
  }
  t.deepEqual(
    attempts.filter(([type]) => type !== 'loadLegPolicy'),
    [
      ['resolveTransfer', 2],
      ['giveBackHeld', 1],
    ],
  );
}
