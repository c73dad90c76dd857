// The switch activities of a three-way, a swap, a hold and a takeback (activities/switch.ts: joinConference,
// bridgeMembers, playMusic, holdWithMusic, unhold, killThenBridge) against the switch under test (the simulator, or a
// real FreeSWITCH with mod_conference when HANDOFF_TEST_FREESWITCH is set): who hears whom is read from ESL events
// only, conference membership from conference::maintenance.
import { randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { createSwitchActivities, type SwitchEvents } from '../../activities/switch.ts';
import { threeWayConference } from '../../contracts/ids.ts';
import { EslClient } from '../support/esl-client.ts';
import { expectHearing, expectMembers, inConference, peer, silence, type Phones } from '../support/scenario.ts';
import { switchUnderTest } from '../support/switch.ts';

const MOH = 'tone_stream://%(500,500,350);loops=-1';
const RINGBACK = 'tone_stream://%(2000,4000,440,480);loops=-1';

async function parkedLeg(c: EslClient, ext: string): Promise<string> {
  const uuid = randomUUID();
  const { result } = await c.bgapi(
    `originate {origination_uuid=${uuid},park_after_bridge=true}loopback/${ext}/default &park()`,
  );
  if ((await result) !== `+OK ${uuid}\n`) throw new Error(`originate failed: ${await result}`);
  await c.waitForEvent((e) => e.name === 'CHANNEL_PARK' && e.headers['Unique-ID'] === uuid);
  return uuid;
}

/**
 * The consultation as a transfer leaves it: A (transferor) bridged to C (target), B (transferee) parked on music; all
 * three with park_after_bridge, as holdForTransfer and the target's originate set it.
 */
async function consultation(
  t: ExecutionContext,
  body: (e: Phones, legs: { a: string; b: string; c: string }) => Promise<void>,
) {
  const sut = await switchUnderTest({ heartbeatMs: 0 });
  const phones = await EslClient.connect(sut);
  try {
    const e: Phones = { phones, sw: sut };
    const [a, b, c] = [
      await parkedLeg(phones, '2601'),
      await parkedLeg(phones, '2601'),
      await parkedLeg(phones, '2604'),
    ];
    await phones.api(`uuid_bridge ${a} ${b}`);
    await expectHearing(t, e, 'A and B talk', [['A', a, peer(b)]]);
    await phones.api(`uuid_park ${b}`);
    await phones.api(`uuid_broadcast ${b} ${MOH} aleg`);
    await phones.api(`uuid_broadcast ${a} ${RINGBACK} aleg`);
    await phones.api(`uuid_break ${a} all`);
    await phones.api(`uuid_bridge ${a} ${c}`);
    await expectHearing(t, e, 'consulting', [
      ['A', a, peer(c)],
      ['B', b, { kind: 'stream', stream: MOH }],
    ]);
    await body(e, { a, b, c });
  } finally {
    await phones.close();
    await sut.close();
  }
}

/** The activities on their own ESL connection, as a node worker runs them. */
async function activities(e: Phones) {
  const esl = await EslClient.connect(e.sw, null);
  return { sw: createSwitchActivities('fs1', { api: (cmd) => esl.api(cmd), bgapi: () => Promise.resolve() }), esl };
}

/** The activities with an event connection of their own too, as a node worker's (its ingest's) event stream. */
async function activitiesWithEvents(e: Phones) {
  const esl = await EslClient.connect(e.sw, null);
  const stream = await EslClient.connect(e.sw);
  const unsubscribe = new Map<(evt: Record<string, string>) => void, () => void>();
  const events: SwitchEvents = {
    on: (_, listener) =>
      unsubscribe.set(
        listener,
        stream.onEvent((ev) => listener(ev.headers)),
      ),
    off: (_, listener) => {
      unsubscribe.get(listener)?.();
      unsubscribe.delete(listener);
    },
  };
  const sent: string[] = [];
  const sw = createSwitchActivities(
    'fs1',
    { api: (cmd) => (sent.push(cmd), esl.api(cmd)), bgapi: () => Promise.resolve() },
    undefined,
    events,
  );
  return { sw, close: () => Promise.all([esl.close(), stream.close()]), listening: () => unsubscribe.size, sent };
}

test('joinConference: from the consultation all three are members and hear the other two', async (t) => {
  await consultation(t, async (e, { a, b, c }) => {
    const { sw, esl } = await activities(e);
    const name = threeWayConference(c);
    try {
      t.true(await sw.joinConference({ conference: name, profile: 'default', alone: b, transferor: a, peer: c }));
      await expectMembers(t, e, 'three-way', name, [a, b, c]);
      await expectHearing(t, e, 'three-way', [
        ['A', a, inConference(name, b, c)],
        ['B', b, inConference(name, a, c)],
        ['C', c, inConference(name, a, b)],
      ]);
      t.deepEqual((await sw.conferenceMembers(name)).sort(), [a, b, c].sort());
      // A retry with everyone in moves nobody.
      const before = e.phones.events.length;
      t.true(await sw.joinConference({ conference: name, profile: 'default', alone: b, transferor: a, peer: c }));
      t.false(e.phones.events.slice(before).some((ev) => ev.headers['Action'] === 'del-member'));

      // The transferor hangs up: B and C are bridged straight out of the conference (no parking in between).
      await e.phones.api(`uuid_kill ${a}`);
      await expectMembers(t, e, 'A left', name, [b, c]);
      t.regex((await sw.bridgeMembers(b, c)).reply, /^\+OK/);
      await expectMembers(t, e, 'bridged out', name, []);
      await expectHearing(t, e, 'completed', [
        ['B', b, peer(c)],
        ['C', c, peer(b)],
      ]);
      const parked = e.phones.events
        .slice(before)
        .filter((ev) => ev.name === 'CHANNEL_PARK' && [b, c].includes(ev.headers['Unique-ID'] ?? ''));
      t.deepEqual(parked, [], 'nobody parks on the way out of the conference');
    } finally {
      await esl.close();
    }
  });
});

test('joinConference: a dropped target leaves transferor and transferee, bridged out together', async (t) => {
  await consultation(t, async (e, { a, b, c }) => {
    const { sw, esl } = await activities(e);
    const name = threeWayConference(c);
    try {
      t.true(await sw.joinConference({ conference: name, profile: 'default', alone: b, transferor: a, peer: c }));
      await e.phones.api(`uuid_kill ${c}`);
      await expectMembers(t, e, 'C dropped', name, [a, b]);
      await expectHearing(t, e, 'A and B in the conference', [
        ['A', a, inConference(name, b)],
        ['B', b, inConference(name, a)],
      ]);
      t.regex((await sw.bridgeMembers(a, b)).reply, /^\+OK/);
      await expectHearing(t, e, 'taken back', [
        ['A', a, peer(b)],
        ['B', b, peer(a)],
      ]);
    } finally {
      await esl.close();
    }
  });
});

test('joinConference: a leg that never shows up is answered false after the wait', async (t) => {
  await consultation(t, async (e, { a, b, c }) => {
    const { sw, esl } = await activities(e);
    const name = threeWayConference(c);
    try {
      await e.phones.api(`uuid_kill ${b}`);
      const began = Date.now();
      t.false(
        await sw.joinConference({
          conference: name,
          profile: 'default',
          alone: b,
          transferor: a,
          peer: c,
          waitMs: 500,
        }),
      );
      t.true(Date.now() - began >= 500);
      await expectMembers(t, e, 'the two who could', name, [a, c]);
    } finally {
      await esl.close();
    }
  });
});

test('swap: the transferor talks to the transferee, the target parks and gets the music', async (t) => {
  await consultation(t, async (e, { a, b, c }) => {
    const { sw, esl } = await activities(e);
    try {
      t.regex(await sw.bridge(a, b), /^\+OK/);
      await e.phones.waitForEvent((ev) => ev.name === 'CHANNEL_PARK' && ev.headers['Unique-ID'] === c);
      await expectHearing(t, e, 'swapped, before the music', [
        ['A', a, peer(b)],
        ['C', c, silence],
      ]);
      t.regex(await sw.playMusic(c, MOH), /^\+OK/);
      await expectHearing(t, e, 'swapped', [
        ['A', a, peer(b)],
        ['B', b, peer(a)],
        ['C', c, { kind: 'stream', stream: MOH }],
      ]);
      // And back: the transferee parks and gets the music again.
      t.regex(await sw.bridge(a, c), /^\+OK/);
      await e.phones.waitForEvent((ev) => ev.name === 'CHANNEL_PARK' && ev.headers['Unique-ID'] === b);
      t.regex(await sw.playMusic(b, MOH), /^\+OK/);
      await expectHearing(t, e, 'swapped back', [
        ['A', a, peer(c)],
        ['C', c, peer(a)],
        ['B', b, { kind: 'stream', stream: MOH }],
      ]);
    } finally {
      await esl.close();
    }
  });
});

test('hold: the peer hears the music, the holder silence; unhold takes uuid_hold off, else a new bridge', async (t) => {
  const sut = await switchUnderTest({ heartbeatMs: 0 });
  const phones = await EslClient.connect(sut);
  const e: Phones = { phones, sw: sut };
  const { sw, esl } = await activities(e);
  try {
    const [a, b] = [await parkedLeg(phones, '2601'), await parkedLeg(phones, '2601')];
    await phones.api(`uuid_bridge ${a} ${b}`);
    await expectHearing(t, e, 'talking', [['A', a, peer(b)]]);
    // The music only starts once the bridge has carried ~200 ms of media.
    await new Promise((r) => setTimeout(r, 400));
    t.regex(await sw.holdWithMusic(a, MOH), /^\+OK/);
    await expectHearing(t, e, 'held', [
      ['A', a, silence],
      ['B', b, { kind: 'stream', stream: MOH }],
    ]);
    // A loopback leg (the simulator's, and a real switch's) refuses `uuid_hold off`: the pair is bridged again.
    t.is(await sw.unhold(a, b), 'rebridged');
    await expectHearing(t, e, 'unheld', [
      ['A', a, peer(b)],
      ['B', b, peer(a)],
    ]);
  } finally {
    await esl.close();
    await phones.close();
    await sut.close();
  }
});

/** The bridge's answer came after the switch's CHANNEL_BRIDGE of the pair: the bridge was up when it answered. */
function confirmedBySwitch(t: ExecutionContext, e: Phones, result: { reply: string }, x: string, y: string): void {
  t.regex(result.reply, /^\+OK/);
  t.true(
    e.phones.events.some(
      (ev) =>
        ev.name === 'CHANNEL_BRIDGE' &&
        [ev.headers['Unique-ID'], ev.headers['Other-Leg-Unique-ID']].sort().join() === [x, y].sort().join(),
    ),
  );
}

test('bridgeAndConfirm: the bridge answers once its CHANNEL_BRIDGE came, then puts the pair’s settings back', async (t) => {
  await consultation(t, async (e, { a, b, c }) => {
    const { sw, close, listening } = await activitiesWithEvents(e);
    try {
      await e.phones.api(`uuid_setvar ${b} park_after_bridge true`);
      const result = await sw.bridgeAndConfirm(a, b, { withinMs: 5000, legs: [a, b, c] }, undefined, [
        { leg: a, saved: {} },
        { leg: b, saved: { park_after_bridge: 'false' } },
      ]);
      t.like(result, { bridged: true, gone: [] });
      confirmedBySwitch(t, e, result, a, b);
      t.is(await e.phones.api(`uuid_getvar ${b} park_after_bridge`), 'false', 'the settings put back');
      t.is(listening(), 0, 'no listener left on the event stream');
    } finally {
      await close();
    }
  });
});

test('bridgeMembers: out of the three-way, answers once its CHANNEL_BRIDGE came, with nothing stopped first', async (t) => {
  await consultation(t, async (e, { a, b, c }) => {
    const { sw, close, listening, sent } = await activitiesWithEvents(e);
    const name = threeWayConference(c);
    try {
      t.true(await sw.joinConference({ conference: name, profile: 'default', alone: b, transferor: a, peer: c }));
      await e.phones.api(`uuid_kill ${a}`);
      await expectMembers(t, e, 'A left', name, [b, c]);
      const before = sent.length;
      const result = await sw.bridgeMembers(b, c, { withinMs: 5000, legs: [b, c] });
      t.like(result, { bridged: true });
      confirmedBySwitch(t, e, result, b, c);
      t.deepEqual(sent.slice(before), [`uuid_bridge ${b} ${c}`], 'no uuid_break to a conference member');
      t.is(listening(), 0, 'no listener left on the event stream');
    } finally {
      await close();
    }
  });
});

test('killThenBridge: the takeback in one activity, Carol hung up, then A and B bridged', async (t) => {
  await consultation(t, async (e, { a, b, c }) => {
    const { sw, esl } = await activities(e);
    try {
      const gone = randomUUID(); // a leg already gone answers -ERR: the bridge goes ahead
      const { reply, notKilled } = await sw.killThenBridge(
        [
          { leg: c, cause: 'NORMAL_CLEARING' },
          { leg: gone, cause: 'NORMAL_CLEARING' },
        ],
        a,
        b,
      );
      t.regex(reply, /^\+OK/);
      t.deepEqual(notKilled, []);
      await expectHearing(t, e, 'taken back', [
        ['A', a, peer(b)],
        ['B', b, peer(a)],
      ]);
      t.true(e.phones.events.some((ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === c));
    } finally {
      await esl.close();
    }
  });
});
