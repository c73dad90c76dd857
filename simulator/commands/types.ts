import type { Faults } from '../faults.ts';
import type { Switch } from '../switch.ts';

/** A finished api body, or one that arrives later (originate): `start` must call `done` exactly once. */
export type ApiResult = string | { later: (done: (body: string) => void) => void };

export interface CommandContext {
  sw: Switch;
  faults: Faults;
  /** The ESL client that sent the command (for sim_fault drop_clients, which spares it). */
  clientId: number;
  /** Close every client connection except `except` (sim_fault drop_clients). */
  dropClients(except: number): number;
}

export type ApiHandler = (ctx: CommandContext, args: string) => ApiResult;
