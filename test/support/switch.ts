// The switch a test talks to: a real FreeSWITCH when HANDOFF_TEST_FREESWITCH=esl://:PASSWORD@HOST:PORT is set,
// otherwise a fresh simulator on an ephemeral port (seeded from HANDOFF_SIM_SEED when set).

import { startSimulator, type DialplanEntry, type Simulator } from '../../simulator/index.ts';
import { parseEslUrl, type EslAddress } from './esl-client.ts';

export interface SwitchUnderTest extends EslAddress {
  /** false against a real FreeSWITCH: skip simulator-only assertions (sim_* commands, exact timings). */
  simulated: boolean;
  /** The simulator, when simulated. */
  sim?: Simulator;
  close(): Promise<void>;
}

export async function switchUnderTest(
  opts: { dialplan?: DialplanEntry[]; heartbeatMs?: number; globals?: Record<string, string> } = {},
): Promise<SwitchUnderTest> {
  const real = process.env.HANDOFF_TEST_FREESWITCH;
  if (real) {
    return { ...parseEslUrl(real), simulated: false, close: async () => undefined };
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
