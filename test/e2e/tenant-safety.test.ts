// One tenant must not hurt another: a hostile feature-code pattern, another account's metaflows on a bridged call,
// odd caller names, hung-up legs in the channel list. Through the real API, engine, workers and switch; what the
// callers get is read from ESL events only.
import anyTest from 'ava';
import { request, useEngineWithApi, tokenFor, type EngineWithApi } from '../support/api.ts';
import type { EslEvent } from '../support/esl-client.ts';
import { hangUp, placeCall, press, waitFor, type Engine } from '../support/engine.ts';
import {
  consulting,
  completedByHangup,
  commandsFrom,
  eventOn,
  isTargetLegCreated,
  expectHearing,
  peer,
  sleep,
  transferResult,
  waitForTarget,
} from '../support/scenario.ts';

const test = useEngineWithApi(anyTest, 'tenant-safety');

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
    await sleep(e.config.DIGIT_TIMEOUT_MS * 3);
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

/** The legs the engine originated for a transfer off `transferor`, as the switch announced them. */
function targetLegsCreated(e: Engine, transferor: string): EslEvent[] {
  return e.phones.events.filter((ev) => isTargetLegCreated(ev, transferor));
}

/** The first leg originated for a transfer off `transferor`, once the switch has announced it. */
function targetLegCreated(e: Engine, transferor: string): Promise<EslEvent> {
  return waitFor(e, (ev) => isTargetLegCreated(ev, transferor));
}

/** A tenant of its own (or below `parentId`) with a token, and its metaflows posted through the API. */
async function tenant(ctx: EngineWithApi, id: string, metaflows?: unknown, parentId?: string) {
  await ctx.e.store.createAccount({ id, name: id, parentId: parentId ?? null });
  const token = await tokenFor(ctx.url, (await ctx.e.store.createApiKey(id, 'test')).key);
  if (metaflows) {
    const posted = await request({ url: ctx.url, token }, 'POST', `/accounts/${id}/metaflows`, metaflows);
    if (posted.status !== 200) throw new Error(`metaflows of ${id}: ${JSON.stringify(posted.body)}`);
  }
  return token;
}

const PEER_CODES = { listen_on: 'peer', numbers: { '7': { module: 'transfer', data: { target: '2600' } } } };

test.serial(
  "another tenant's listen_on peer metaflows do nothing on my leg; my account's own codes transfer, as my account",
  async (t) => {
    const { e } = t.context;
    const accountVar = `variable_${e.config.ACCOUNT_ID_VARIABLE}`;
    const b = 'b0000000000000000000000000000002';
    await tenant(t.context, b, PEER_CODES);
    // Alice (the demo account) talks to Bob, a leg of account B; so do Ann (the demo account too) and Ben (B).
    const { alice, bob } = await placeCall(e, { bobAccount: b });
    const { alice: ann, bob: ben } = await placeCall(e, { bobAccount: b });
    await press(e, alice.uuid, '*7');
    // Meanwhile Ann's own code transfers her call, as her account: when that is done, Alice's `*7` (pressed first,
    // with the same inter-digit timeout) has long been read.
    await press(e, ann.uuid, '*22600');
    const created = await targetLegCreated(e, ann.uuid);
    t.is(created.headers[accountVar], e.demo.accountId);
    const carol = created.headers['Unique-ID']!;
    await consulting(t, e, ann, ben, carol);
    await completedByHangup(t, e, ann, ben, carol);

    // B's `*7` does not listen to Alice's leg: nothing was originated, Alice and Bob still talk.
    t.deepEqual(targetLegsCreated(e, alice.uuid), []);
    await expectHearing(t, e, 'after *7', [
      ['Alice', alice.uuid, peer(bob.uuid)],
      ['Bob', bob.uuid, peer(alice.uuid)],
    ]);
    await hangUp(e, alice.uuid);
    await hangUp(e, ben.uuid);
  },
);

test.serial(
  "a parent account's listen_on peer metaflows act on its child's leg, and what they originate is the parent's",
  async (t) => {
    const { e } = t.context;
    const accountVar = `variable_${e.config.ACCOUNT_ID_VARIABLE}`;
    const parent = 'c0000000000000000000000000000003';
    const child = 'c0000000000000000000000000000004';
    await tenant(t.context, parent, PEER_CODES);
    await tenant(t.context, child, undefined, parent);
    // Alice (the child account) talks to Bob (the parent's leg); Alice presses the parent's `*7`.
    const { alice, bob } = await placeCall(e, { account: child, bobAccount: parent });
    await press(e, alice.uuid, '*7');
    const created = await targetLegCreated(e, alice.uuid);
    t.is(created.headers[accountVar], parent, "the target leg carries the parent's account, whose code fired");
    t.is(created.headers['Caller-Destination-Number'], '2600');
    const carol = created.headers['Unique-ID']!;
    await consulting(t, e, alice, bob, carol);
    await completedByHangup(t, e, alice, bob, carol);
    await hangUp(e, bob.uuid);
  },
);

test.serial('odd caller names (quotes, backslash, braces, commas, UTF-8) reach the target leg unchanged', async (t) => {
  const { e } = t.context;
  // In the global block; in the ultra-global one (unbalanced braces); in the leg's own (braces and <> unbalanced).
  const names = [`Pat\\ O'Brien "Jr"`, ' {Zoë}, [Ops] <Sales> = 100% :_: ', 'Smith } (Acme] ünï', 'a}<b 日本 $x'];
  for (const name of names) {
    const { alice, bob } = await placeCall(e, { aliceCallerIdName: name });
    const created = (uuid: string) =>
      e.phones.events.find((ev) => ev.name === 'CHANNEL_CREATE' && ev.headers['Unique-ID'] === uuid);
    t.is(created(alice.uuid)?.headers['Caller-Caller-ID-Name'], name, `Alice's own leg: ${JSON.stringify(name)}`);
    // Over REST: what is under test is the originate, not the digits' timing.
    const asked = await request(t.context, 'POST', `/accounts/${e.demo.accountId}/channels/${alice.uuid}`, {
      action: 'transfer',
      target: '2600',
    });
    t.is(asked.status, 200, JSON.stringify(asked.body));
    const target = await targetLegCreated(e, alice.uuid);
    t.is(target.headers['Caller-Caller-ID-Name'], name, `the target leg: ${JSON.stringify(name)}`);
    t.is(target.headers['Caller-Caller-ID-Number'], alice.number);
    await hangUp(e, alice.uuid);
    await hangUp(e, bob.uuid);
    t.truthy((await transferResult(e, alice, bob)).outcome);
  }
});

/** The call IDs the account's channel list shows now (GET /v2/accounts/{A}/channels). */
async function listed(ctx: EngineWithApi, account: string): Promise<string[]> {
  const res = await request(ctx, 'GET', `/accounts/${account}/channels`);
  return (res.body.data as { uuid: string }[]).map((c) => c.uuid);
}

/** Polls the channel list until none of `legs` is on it, or `timeoutMs` passes; returns those still listed. */
async function stillListed(ctx: EngineWithApi, account: string, legs: string[], timeoutMs = 5000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const shown = await listed(ctx, account);
    const left = legs.filter((l) => shown.includes(l));
    if (left.length === 0 || Date.now() > until) return left;
    await sleep(200);
  }
}

test.serial('hung-up legs leave the channel list within a few seconds, the transfer’s own legs too', async (t) => {
  const { e } = t.context;
  const account = e.demo.accountId;
  const { alice, bob } = await placeCall(e);
  t.deepEqual(
    (await listed(t.context, account)).filter((id) => id === alice.uuid || id === bob.uuid).sort(),
    [alice.uuid, bob.uuid].sort(),
  );
  const asked = await request(t.context, 'POST', `/accounts/${account}/channels/${alice.uuid}`, {
    action: 'transfer',
    target: '2600',
  });
  t.is(asked.status, 200, JSON.stringify(asked.body));
  const carol = (await targetLegCreated(e, alice.uuid)).headers['Unique-ID']!;
  await consulting(t, e, alice, bob, carol);
  await completedByHangup(t, e, alice, bob, carol);
  t.deepEqual(await stillListed(t.context, account, [alice.uuid]), [], 'the transferor, hung up');
  // Nor does a leg still listed name it as its peer.
  const bobNow = await request(t.context, 'GET', `/accounts/${account}/channels`);
  const bobRow = (bobNow.body.data as { uuid: string; other_leg?: string }[]).find((c) => c.uuid === bob.uuid);
  t.not(bobRow?.other_leg, alice.uuid);
  await hangUp(e, bob.uuid);
  await hangUp(e, carol);
  for (const leg of [bob.uuid, carol]) await eventOn(e, 'CHANNEL_HANGUP_COMPLETE', leg);
  t.deepEqual(await stillListed(t.context, account, [alice.uuid, bob.uuid, carol]), [], 'every leg, hung up');
});
