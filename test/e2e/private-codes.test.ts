// Feature codes kept from the other party (a metaflow with `private_codes: true`). Alice presses codes while talking to
// Bob. What reached whose ear is read from ESL events only: a digit Bob's phone received is DTMF on the loopback
// partner of Bob's leg (test/support/digits.ts), so the file runs unchanged against a real FreeSWITCH. Between the
// binding digit and the rest Alice waits until her call says Bob's ear is masked (the call workflow's query, as the
// REST channel view shows it): the mask can only go on after the switch has passed the binding digit on, and a person
// presses the next key a few hundred ms later; a test pressing at once would race the engine.
//
// The delay a digit sent on adds (from its DTMF on Alice's leg to its DTMF on Bob's phone) is logged for the notes:
// figures only, no assertion on time.
import anyTest, { type ExecutionContext } from 'ava';
import { callWorkflowId } from '../../contracts/ids.ts';
import { callQuery } from '../../contracts/messages.ts';
import { DEMO_METAFLOWS } from '../../store/seed.ts';
import type { MetaflowsDoc } from '../../store/types.ts';
import { digitsHeardBy, digitsOn, phoneOf } from '../support/digits.ts';
import type { EslEvent } from '../support/esl-client.ts';
import { eventually } from '../support/poll.ts';
import { hangUp, placeCall, press, useEngine, type Engine, type Party } from '../support/engine.ts';
import {
  callInTransfer,
  commandsFrom,
  consulting,
  expectHearing,
  gone,
  peer,
  silence,
  transferResult,
  waitForTarget,
  withAccountMetaflows,
} from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'private-codes' });

type T = ExecutionContext<Engine>;

/** Long enough for the mask to be seen between two presses on a loaded machine; the codes here end sooner. */
const DIGIT_TIMEOUT_MS = 4000;
const PRIVATE: MetaflowsDoc = {
  ...DEMO_METAFLOWS,
  private_codes: true,
  digit_timeout: DIGIT_TIMEOUT_MS,
  numbers: { ...(DEMO_METAFLOWS.numbers ?? {}), '5': { module: 'hold' } },
};

/** Waits until Alice's call says whose ear is masked (`undefined`: none). */
async function keptFrom(e: Engine, alice: Party, want: string | undefined, timeoutMs = 15_000): Promise<void> {
  const handle = e.client.workflow.getHandle(callWorkflowId(alice.uuid));
  let seen: string | undefined;
  await eventually(
    () => `digits kept from ${want ?? 'nobody'} (they are from ${seen ?? 'nobody'})`,
    async () => ((seen = (await handle.query(callQuery)).digitsKeptFrom) === want ? true : undefined),
    { timeoutMs, everyMs: 50 },
  );
}

/**
 * Alice and Bob talk; Alice presses `*`, and once Bob's ear is masked the rest of a transfer code (`rest`): the parties
 * and the target leg the transfer dialled.
 */
async function privateTransfer(e: Engine, rest: string): Promise<{ alice: Party; bob: Party; target: string }> {
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  await press(e, alice.uuid, '*');
  await keptFrom(e, alice, bob.uuid);
  await press(e, alice.uuid, rest);
  return { alice, bob, target: await waitForTarget(e, commands) };
}

/** Waits until Bob's phone has received `digits` (in all), then a moment more for anything that should not come. */
async function bobHears(t: T, e: Engine, bob: Party, digits: string, what: string): Promise<void> {
  await e.phones
    .waitUntil(() => digitsHeardBy(e.phones.events, bob.uuid).length >= digits.length, 15_000)
    .catch(() => {});
  await new Promise((r) => setTimeout(r, 500));
  t.is(digitsHeardBy(e.phones.events, bob.uuid), digits, `${what}: the digits Bob's phone received`);
}

/** Each digit's time on Alice's leg and on Bob's phone (ESL event times), for the notes. */
function resendDelays(events: readonly EslEvent[], alice: Party, bob: Party): number[] {
  const phone = phoneOf(events, bob.uuid);
  const on = (uuid: string | undefined) =>
    events.filter((ev) => ev.name === 'DTMF' && ev.headers['Unique-ID'] === uuid);
  const pressed = on(alice.uuid);
  const heard = on(phone);
  return heard.map((h, i) => h.t - (pressed[i]?.t ?? h.t));
}

test.serial(
  "a private code: Bob's phone gets the binding digit only, the code acts, and ordinary digits pass again",
  async (t) => {
    const e = t.context;
    await withAccountMetaflows(e, PRIVATE, async () => {
      const { alice, bob } = await placeCall(e);
      await press(e, alice.uuid, '*');
      await keptFrom(e, alice, bob.uuid);
      await press(e, alice.uuid, '5');
      await expectHearing(t, e, 'held by the private *5', [
        ['Alice', alice.uuid, silence],
        ['Bob', bob.uuid, { kind: 'stream', stream: 'local_stream://moh' }],
      ]);
      await keptFrom(e, alice, undefined);
      t.is(digitsOn(e.phones.events, alice.uuid), '*5', "Alice's leg showed both digits to the event socket");
      await bobHears(t, e, bob, '*', 'the code');
      await press(e, alice.uuid, '*');
      await keptFrom(e, alice, bob.uuid);
      await press(e, alice.uuid, '5');
      await expectHearing(t, e, 'off hold', [
        ['Alice', alice.uuid, peer(bob.uuid)],
        ['Bob', bob.uuid, peer(alice.uuid)],
      ]);
      await keptFrom(e, alice, undefined);
      // An ordinary digit (an IVR behind the call) reaches Bob at once, as without the option.
      await press(e, alice.uuid, '7');
      await bobHears(t, e, bob, '**7', 'then an ordinary digit');
      await hangUp(e, alice.uuid);
    });
  },
);

test.serial('digits that turn out to be no code are sent on to the peer at once, in order, once each', async (t) => {
  const e = t.context;
  await withAccountMetaflows(e, PRIVATE, async () => {
    const { alice, bob } = await placeCall(e);
    // `*2`, then nothing: `2` might have become a transfer, so it waits for the digit timeout, then is sent on.
    await press(e, alice.uuid, '*');
    await keptFrom(e, alice, bob.uuid);
    await press(e, alice.uuid, '2');
    await keptFrom(e, alice, undefined, DIGIT_TIMEOUT_MS + 15_000);
    await bobHears(t, e, bob, '*2', 'no code at the digit timeout');
    // `*9`: nothing starts with 9, so it is no code at its second digit and 9 is sent on at once (the collector still
    // waits for its timer before it takes a new code, as it always has).
    await press(e, alice.uuid, '*');
    await keptFrom(e, alice, bob.uuid);
    await press(e, alice.uuid, '9');
    await keptFrom(e, alice, undefined);
    await bobHears(t, e, bob, '*2*9', 'no code at the first digit');
    const delays = resendDelays(e.phones.events, alice, bob);
    t.log(`press → Bob's phone, ms: * ${delays[0]} (passed by the switch), 2 ${delays[1]} (after the digit timeout)`);
    t.log(`* ${delays[2]}, 9 ${delays[3]} (no code at once: sent on at once)`);
    await hangUp(e, alice.uuid);
  });
});

test.serial(
  "a private transfer code, then the takeback during it: each party's phone gets the binding digits only",
  async (t) => {
    const e = t.context;
    await withAccountMetaflows(e, PRIVATE, async () => {
      const { alice, bob, target: carol } = await privateTransfer(e, '22600#');
      await consulting(t, e, alice, bob, carol);
      // The transfer's own codes are as private as the metaflow's: `*1` is kept from Carol.
      await press(e, alice.uuid, '*');
      await keptFrom(e, alice, carol);
      await press(e, alice.uuid, '1');
      await expectHearing(t, e, 'taken back', [
        ['Alice', alice.uuid, peer(bob.uuid)],
        ['Bob', bob.uuid, peer(alice.uuid)],
        ['Carol', carol, gone],
      ]);
      t.is((await transferResult(e, alice, bob)).outcome, 'taken_back');
      t.is(digitsOn(e.phones.events, alice.uuid), '*22600#*1', "Alice's leg showed every digit to the event socket");
      await bobHears(t, e, bob, '*', 'the transfer code');
      t.is(digitsHeardBy(e.phones.events, carol), '*', "the takeback: the digits Carol's phone received");
      await hangUp(e, alice.uuid);
    });
  },
);

test.serial(
  "while the target rings Alice talks to no one: a private code then masks no one's ear, not Bob's on hold",
  async (t) => {
    const e = t.context;
    await withAccountMetaflows(e, PRIVATE, async () => {
      // 2602 rings until the ring time ends.
      const { alice, bob } = await privateTransfer(e, '22602#');
      // Both calls, once in the transfer, name no peer: the hold parked Bob (whichever leg's unbridge said it).
      for (const party of [alice, bob]) {
        t.like(await callInTransfer(e, party.uuid), { phase: 'in_transfer', bridgedTo: undefined }, party.uuid);
      }
      const ringing = commandsFrom(e);
      await press(e, alice.uuid, '*1');
      await expectHearing(t, e, 'taken back while the target rang', [
        ['Alice', alice.uuid, peer(bob.uuid)],
        ['Bob', bob.uuid, peer(alice.uuid)],
      ]);
      t.is((await transferResult(e, alice, bob)).outcome, 'taken_back');
      t.deepEqual(
        ringing().filter((c) => c.startsWith('api uuid_drop_dtmf')),
        [],
        'no ear masked for the takeback pressed while the target rang',
      );
      await hangUp(e, alice.uuid);
    });
  },
);
