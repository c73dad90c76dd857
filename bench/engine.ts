// The engine the benchmark measures: its roles (ingest, node worker with the switch activities, workflow worker) in
// the benchmark's process, as test/support/engine.ts starts them, on a switch whose simulator and phones run in a
// process of their own (bench/switch-process.ts), as FreeSWITCH and the phones would in a deployment.
import { startEngineRoles, type EngineRoles } from '../test/support/engine.ts';
import { startSwitchProcess, type BenchPhones } from './switch-process.ts';

export type Engine = EngineRoles & {
  phones: BenchPhones;
  /** The switch's process (simulator and phones), for its CPU. */
  switchPid: number;
};

export async function startBenchEngine(env: Record<string, string>): Promise<Engine> {
  const seedText = process.env.HANDOFF_SIM_SEED;
  const seed = seedText ? Number(seedText) : undefined;
  if (seed !== undefined && !Number.isInteger(seed))
    throw new Error(`HANDOFF_SIM_SEED: expected an integer, got ${seedText}`);
  const { sw, phones, pid } = await startSwitchProcess({ seed });
  const roles = await startEngineRoles(sw, env).catch(async (err: unknown) => {
    await sw.close();
    throw err;
  });
  return {
    ...roles,
    phones,
    switchPid: pid,
    async stop() {
      // While the workers still run, so that the engine sees the hangups as a switch would show them.
      await phones.hangUpLegs().catch(() => undefined);
      await roles.stop();
      await sw.close();
    },
  };
}
