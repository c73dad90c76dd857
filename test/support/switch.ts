// The switch a test talks to: a real FreeSWITCH when HANDOFF_TEST_FREESWITCH=esl://:PASSWORD@HOST:PORT is set,
// otherwise a fresh simulator on an ephemeral port (seeded from HANDOFF_SIM_SEED when set). A real switch outlives
// the test and is shared by every test file in turn, so closing it hangs up every leg created while it was open and
// undoes what the test changed of its global variables.

import { startSimulator, type DialplanEntry, type Simulator } from '../../simulator/index.ts';
import { DEFAULT_GLOBALS } from '../../simulator/switch.ts';
import { EslClient, parseEslUrl, type EslAddress, type EslEvent } from './esl-client.ts';

export interface SwitchUnderTest extends EslAddress {
  /** false against a real FreeSWITCH: skip simulator-only assertions (sim_* commands, exact timings). */
  simulated: boolean;
  /** The simulator, when simulated. */
  sim?: Simulator;
  /**
   * Stops the simulator; on a real switch, hangs up the legs created since switchUnderTest(), gives the switch its own
   * global variables back, and disconnects.
   */
  close(): Promise<void>;
}

export async function switchUnderTest(
  opts: { dialplan?: DialplanEntry[]; heartbeatMs?: number; globals?: Record<string, string> } = {},
): Promise<SwitchUnderTest> {
  const real = process.env.HANDOFF_TEST_FREESWITCH;
  if (real) {
    const address = parseEslUrl(real);
    // Sees every leg created from now on, whoever creates it (a test's own commands, the engine's originates).
    const janitor = await EslClient.connect(address, 'plain CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE');
    const restore = opts.globals ? await setGlobals(janitor, opts.globals) : async () => undefined;
    return {
      ...address,
      simulated: false,
      async close() {
        await hangUpLegs(janitor);
        await restore();
        await janitor.close();
      },
    };
  }
  const seedText = process.env.HANDOFF_SIM_SEED;
  const seed = seedText !== undefined && seedText !== '' ? Number(seedText) : undefined;
  if (seed !== undefined && !Number.isInteger(seed))
    throw new Error(`HANDOFF_SIM_SEED: expected an integer, got ${seedText}`);
  const sim = await startSimulator({
    port: 0,
    ...(seed !== undefined ? { seed } : {}),
    ...(opts.dialplan ? { dialplan: opts.dialplan } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.globals ? { globals: opts.globals } : {}),
  });
  return { host: sim.host, port: sim.port, password: sim.password, simulated: true, sim, close: () => sim.close() };
}

/**
 * Hangs up every leg created since `phones` connected that is still up, and waits until the switch reports each one
 * ended. The tests create only loopback legs (the calls they place, the legs the engine originates for them, the
 * capture replays' legs), so only those are touched. Against a real FreeSWITCH the next test file shares the switch:
 * nothing of this one may stay.
 */
export async function hangUpLegs(phones: EslClient, timeoutMs = 10_000): Promise<string[]> {
  if (phones.closed) return [];
  const created = new Set<string>();
  const ended = new Set<string>();
  for (const ev of phones.events) {
    const uuid = ev.headers['Unique-ID'];
    if (!uuid) continue;
    if (ev.name === 'CHANNEL_CREATE' && ev.headers['Channel-Name']?.startsWith('loopback/')) created.add(uuid);
    if (ev.name === 'CHANNEL_HANGUP_COMPLETE') ended.add(uuid);
  }
  const up = [...created].filter((uuid) => !ended.has(uuid));
  // A loopback half may already be going with its partner: "no such channel" is fine.
  for (const uuid of up) await phones.api(`uuid_kill ${uuid}`);
  const hungUp = (evs: EslEvent[]) =>
    up.every((uuid) => evs.some((ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === uuid));
  await phones.waitUntil(hungUp, timeoutMs).catch(() => undefined);
  return up;
}

/** The UUIDs `show channels` lists. */
export async function liveChannels(phones: EslClient): Promise<string[]> {
  const parsed = JSON.parse(await phones.api('show channels as json')) as { rows?: { uuid: string }[] };
  return (parsed.rows ?? []).map((r) => r.uuid);
}

/**
 * Gives a real switch the global variables a test asks for (the captures of steps 00-18 were recorded on a switch
 * without any, the later ones with the simulator's defaults), unsetting the simulator's default ones it does not list,
 * as `global_setvar NAME=` does; returns what puts the switch's own values back. The test files take the switch in
 * turn, so no other test sees the change.
 */
async function setGlobals(c: EslClient, globals: Readonly<Record<string, string>>): Promise<() => Promise<void>> {
  const before = new Map<string, string>();
  for (const name of new Set([...Object.keys(DEFAULT_GLOBALS), ...Object.keys(globals)])) {
    const value = await c.api(`global_getvar ${name}`);
    // An unset global answers `-ERR no reply`; restoring it is setting it empty.
    before.set(name, value.startsWith('-ERR') ? '' : value.trim());
    await c.api(`global_setvar ${name}=${globals[name] ?? ''}`);
  }
  return async () => {
    for (const [name, value] of before) await c.api(`global_setvar ${name}=${value}`);
  };
}
