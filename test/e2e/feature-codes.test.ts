// Feature codes acted on at once, without the inter-digit timeout: the terminator, a pattern's declared length, a code
// nothing can extend; and the terminator where it is off. Each account here waits a minute between digits, so a
// transfer that starts within the test's wait started before its timer could fire. What happened is read from ESL.
import anyTest, { type ExecutionContext } from 'ava';
import type { MetaflowsDoc } from '../../store/types.ts';
import { hangUp, placeCall, press, useEngine, waitFor, type Engine } from '../support/engine.ts';
import { consulting, isTargetLegCreated, withAccountMetaflows } from '../support/scenario.ts';

const test = useEngine(anyTest, {}, { scenario: 'feature-codes' });

/** Far longer than any wait of these tests: a code acted on within them did not wait for it. */
const A_MINUTE = 60_000;
const transfer = { module: 'transfer', data: {} };

/** Alice presses `code` on a call with Bob: Bob hears music while Alice consults `target`, before any timer. */
async function consultsAtOnce(t: ExecutionContext, e: Engine, doc: MetaflowsDoc, code: string, target = '2600') {
  await withAccountMetaflows(e, { digit_timeout: A_MINUTE, ...doc }, async () => {
    const { alice, bob } = await placeCall(e);
    const legs = [alice.uuid, bob.uuid];
    try {
      await press(e, alice.uuid, code);
      const created = await waitFor(e, (ev) => isTargetLegCreated(ev, alice.uuid));
      t.is(created.headers['Caller-Destination-Number'], target);
      const carol = created.headers['Unique-ID']!;
      legs.push(carol);
      await consulting(t, e, alice, bob, carol);
    } finally {
      for (const leg of legs) await hangUp(e, leg);
    }
  });
}

test.serial('the terminator: *22600# transfers at once to 2600', async (t) => {
  await consultsAtOnce(t, t.context, { patterns: { '^2(\\d+)$': transfer } }, '*22600#');
});

test.serial('a pattern that declares its length (digits: 5) transfers at its fifth digit', async (t) => {
  await consultsAtOnce(t, t.context, { patterns: { '^2(\\d+)$': { ...transfer, digits: 5 } } }, '*22600');
});

test.serial('a pattern that cannot take another digit transfers at its last one', async (t) => {
  await consultsAtOnce(t, t.context, { patterns: { '^2(\\d{4})$': transfer } }, '*22600');
});

test.serial('a number that nothing extends transfers at its last digit, numbers before patterns', async (t) => {
  const doc = {
    numbers: { '9': { module: 'transfer', data: { target: '2600' } } },
    patterns: { '^2(\\d+)$': transfer },
  };
  await consultsAtOnce(t, t.context, doc, '*9');
});

test.serial('where a code may contain #, the terminator is off: # is collected and ends that code', async (t) => {
  // Kazoo's own style: the pattern takes the # itself. With the terminator on, 22600 would match nothing.
  await consultsAtOnce(t, t.context, { patterns: { '^2(\\d+)#$': transfer } }, '*22600#');
});

test.serial('a document that turns the terminator off: # is an ordinary digit', async (t) => {
  const e = t.context;
  await withAccountMetaflows(
    e,
    { digit_timeout: 500, terminator: '', patterns: { '^2(\\d+)$': transfer, '^3(\\d+)$': transfer } },
    async () => {
      const { alice, bob } = await placeCall(e);
      // 22600# matches nothing when # is collected; then *32601 transfers after its timeout: only 2601 is dialled.
      await press(e, alice.uuid, '*22600#');
      await new Promise((r) => setTimeout(r, 1500));
      await press(e, alice.uuid, '*32601');
      const created = await waitFor(e, (ev) => isTargetLegCreated(ev, alice.uuid));
      t.is(created.headers['Caller-Destination-Number'], '2601', 'the first code, with its #, matched nothing');
      const carol = created.headers['Unique-ID']!;
      await consulting(t, e, alice, bob, carol);
      for (const leg of [alice.uuid, bob.uuid, carol]) await hangUp(e, leg);
    },
  );
});
