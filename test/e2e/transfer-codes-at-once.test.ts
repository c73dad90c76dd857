// The transfer's own codes act at their last digit when nothing can extend them, as a leg's feature codes do: the
// takeback `*1` and the swap `*4` during the consultation. The transfer's digit timeout here is a minute, so a code
// acted on within the tests' waits (15 s) did not wait for its timer. What happened is read from ESL.
import anyTest from 'ava';
import { hangUp, placeCall, press, useEngine } from '../support/engine.ts';
import {
  bridgedTogether,
  commandsFrom,
  consulting,
  expectHearing,
  music,
  peer,
  takenBack,
  transferByDigits,
  transferResult,
} from '../support/scenario.ts';

const test = useEngine(anyTest, { DIGIT_TIMEOUT_MS: '60000' }, { scenario: 'transfer-codes-at-once' });

test.serial('the takeback *1 acts at its last digit: Carol is hung up, Alice and Bob talk again', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  // The terminator starts the transfer without the minute's wait.
  const carol = await transferByDigits(e, alice, '*22600#', commands);
  await consulting(t, e, alice, bob, carol);

  await takenBack(t, e, alice, bob, carol);
  t.is((await transferResult(e, alice, bob)).outcome, 'taken_back');
  await hangUp(e, alice.uuid);
});

test.serial('the swap *4 acts at its last digit: Alice talks to Bob, Carol hears music', async (t) => {
  const e = t.context;
  const { alice, bob } = await placeCall(e);
  const commands = commandsFrom(e);
  const carol = await transferByDigits(e, alice, '*22600#', commands);
  await consulting(t, e, alice, bob, carol);

  await press(e, alice.uuid, '*4');
  await bridgedTogether(e, alice.uuid, bob.uuid);
  await expectHearing(t, e, 'swapped', [
    ['Alice', alice.uuid, peer(bob.uuid)],
    ['Bob', bob.uuid, peer(alice.uuid)],
    ['Carol', carol, music(e)],
  ]);
  for (const leg of [alice.uuid, bob.uuid, carol]) await hangUp(e, leg);
});
