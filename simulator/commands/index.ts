// The api command table.

import { conference } from './conference.ts';
import { originate } from './originate.ts';
import { sim_fault, sim_hears, sim_journal } from './sim.ts';
import { global_getvar, global_setvar, module_exists, reloadxml, show, status, version } from './system.ts';
import type { ApiHandler, ApiResult, CommandContext } from './types.ts';
import * as uuid from './uuid.ts';

const TABLE: Record<string, ApiHandler> = {
  originate,
  status,
  version,
  reloadxml,
  show,
  global_getvar,
  global_setvar,
  module_exists,
  conference,
  uuid_bridge: uuid.uuid_bridge,
  uuid_kill: uuid.uuid_kill,
  uuid_park: uuid.uuid_park,
  uuid_transfer: uuid.uuid_transfer,
  uuid_broadcast: uuid.uuid_broadcast,
  uuid_break: uuid.uuid_break,
  uuid_hold: uuid.uuid_hold,
  uuid_drop_dtmf: uuid.uuid_drop_dtmf,
  uuid_setvar: uuid.uuid_setvar,
  uuid_getvar: uuid.uuid_getvar,
  uuid_exists: uuid.uuid_exists,
  uuid_dump: uuid.uuid_dump,
  uuid_recv_dtmf: uuid.uuid_recv_dtmf,
  uuid_send_dtmf: uuid.uuid_send_dtmf,
  uuid_answer: uuid.uuid_answer,
  sim_hears,
  sim_journal,
  sim_fault,
};

export function runApi(ctx: CommandContext, command: string, args: string): ApiResult {
  const h = TABLE[command];
  if (!h) return `-ERR ${command} Command not found!\n`;
  return h(ctx, args);
}

export type { ApiResult, CommandContext } from './types.ts';
