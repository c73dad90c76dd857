// One tenant must not hurt another: a hostile feature-code pattern, another account's metaflows on a bridged call,
// odd caller names, hung-up legs in the channel list. Through the real API, engine, workers and switch; what the
// callers get is read from ESL events only.
import anyTest, { type TestFn } from 'ava';
import { request, startEngineWithApi, type EngineWithApi } from '../support/api.ts';
import { hangUp, placeCall, press } from '../support/engine.ts';
import {
  consulting,
  completedByHangup,
  commandsFrom,
  eventOn,
  transferResult,
  waitForTarget,
} from '../support/scenario.ts';

const test = anyTest as TestFn<EngineWithApi>;

test.before(async (t) => {
  t.context = await startEngineWithApi('tenant-safety');
});
test.after.always(async (t) => {
  await t.context?.close();
});

test.serial(
  'a catastrophic-backtracking pattern on one call: another call transfers in normal time, the pattern still works',
  async (t) => {
    const { e } = t.context;
    const user = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    // The exact document of the report: on a backtracking engine `*` + 34 × `1` takes minutes to fail to match.
    const posted = await request(t.context, 'POST', `/accounts/${e.demo.accountId}/users/${user}/metaflows`, {
      binding_digit: '*',
      patterns: { '([0-9]*)*#': { module: 'hangup' } },
    });
    t.is(posted.status, 200, JSON.stringify(posted.body));

    const mallory = (await placeCall(e, { aliceVars: { [e.config.OWNER_ID_VARIABLE]: user } })).alice;
    const { alice, bob } = await placeCall(e);
    const commands = commandsFrom(e);
    const started = Date.now();
    // Both at once: the hostile digits on one call, a transfer on the other.
    const hostile = press(e, mallory.uuid, `*${'1'.repeat(34)}`, 40);
    await press(e, alice.uuid, '*22600');
    const carol = await waitForTarget(e, commands);
    await consulting(t, e, alice, bob, carol);
    await completedByHangup(t, e, alice, bob, carol);
    t.is((await transferResult(e, alice, bob, 20_000)).outcome, 'completed');
    t.log(`the other call's transfer completed in ${Date.now() - started} ms`);
    await hostile;

    // Too many digits ended that collection as no match: the leg is still up. The pattern itself is live: `*11#`
    // matches it and hangs the leg up.
    await new Promise((r) => setTimeout(r, e.config.DIGIT_TIMEOUT_MS * 3));
    t.false(
      e.phones.events.some((ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === mallory.uuid),
      'the overlong collection matched nothing',
    );
    const pressed = e.phones.events.length;
    await press(e, mallory.uuid, '*11#');
    const hungUp = await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', mallory.uuid);
    t.true(e.phones.events.indexOf(hungUp) >= pressed);
    await hangUp(e, bob.uuid);
  },
);
