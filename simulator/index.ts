// Library entry: start a simulated FreeSWITCH that speaks ESL on a TCP port.

import { randomInt } from 'node:crypto';
import { installApps } from './apps.ts';
import { installBridging } from './bridge.ts';
import { installConference } from './conference.ts';
import type { DialplanEntry } from './dialplan.ts';
import { hears, type Hearing } from './hears.ts';
import { installMedia } from './media.ts';
import { EslServer } from './server.ts';
import { Switch, type JournalEntry, type SwitchOptions } from './switch.ts';
import { installThreeWay } from './threeway.ts';

export type { DialplanEntry } from './dialplan.ts';
export type { Hearing } from './hears.ts';
export { loadDialplanFile } from './dialplan.ts';

export interface SimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  password?: string;
  /** Decides generated UUIDs, jitter and the interleaving of concurrent channels. */
  seed?: number;
  dialplan?: DialplanEntry[];
  hostname?: string;
  /** HEARTBEAT interval; 20 s like FreeSWITCH. 0 disables it. */
  heartbeatMs?: number;
  /** Global variables (DEFAULT_GLOBALS when not given: the captured switch's from step 20 on). */
  globals?: Record<string, string>;
}

export interface Simulator {
  host: string;
  port: number;
  password: string;
  coreUuid: string;
  seed: number;
  /** `esl://:password@host:port`, the form HANDOFF_TEST_FREESWITCH uses. */
  url: string;
  /** What the simulator believes a channel's caller hears (same as `api sim_hears`). */
  hears(uuid: string): Hearing;
  journal(): readonly JournalEntry[];
  close(): Promise<void>;
}

/** The switch with its modules subscribed to its hooks (the core imports none of them). */
export function createSwitch(opts: SwitchOptions): Switch {
  const sw = new Switch(opts);
  installMedia(sw);
  installBridging(sw);
  installApps(sw);
  installConference(sw);
  installThreeWay(sw);
  return sw;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const seed = opts.seed ?? randomInt(1, 2 ** 31 - 1);
  const password = opts.password ?? 'ClueCon';
  const sw = createSwitch({
    seed,
    hostname: opts.hostname ?? 'handoff-sim',
    dialplan: opts.dialplan ?? [],
    ...(opts.globals ? { globals: opts.globals } : {}),
  });
  const server = new EslServer(sw, password, opts.heartbeatMs ?? 20000);
  const addr = await server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return {
    host: addr.host,
    port: addr.port,
    password,
    coreUuid: sw.coreUuid,
    seed,
    url: `esl://:${password}@${addr.host}:${addr.port}`,
    hears: (uuid) => hears(sw, uuid),
    journal: () => sw.journal,
    close: async () => {
      sw.close();
      await server.close();
    },
  };
}
