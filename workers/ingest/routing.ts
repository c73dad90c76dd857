// Which FreeSWITCH channels are calls, and where their events go.
//
// A channel is a call (it gets its own call workflow, `call:<Unique-ID>`) unless it is
// - the `-b` half of a loopback pair (Channel-Name `loopback/<ext>-b`): the engine reaches a transfer target with
//   `loopback/<target>/<context>`; the `-a` half is the leg the engine controls, the `-b` half runs the dialplan
//   towards the target and is not a call of its own; or
// - a leg carrying the channel variable `handoff_transfer_id` (TRANSFER_ID_VARIABLE): a target leg that a transfer
//   originated. Its events go to that transfer's workflow (the variable's value is the workflow ID).
// DTMF events carry no channel variables, so the route learned from a channel's earlier events is remembered.
import { TRANSFER_ID_VARIABLE } from '../../contracts/ids.ts';
import type { EslEvent } from '../esl/index.ts';

export type Route =
  /** `fromTransfer`: a transfer's target leg whose transfer has ended, now a call of its own. */
  { kind: 'call'; fromTransfer?: string } | { kind: 'transfer'; workflowId: string } | { kind: 'ignore'; why: string };

const LOOPBACK_B = /^loopback\/.+-b$/;

/** True when the event has the channel's variables (every channel event but DTMF, unless verbose_events). */
export function carriesVariables(evt: EslEvent): boolean {
  return 'variable_uuid' in evt || Object.keys(evt).some((k) => k.startsWith('variable_'));
}

/**
 * The route an event itself proves, or undefined when it cannot tell (an event without variables on a channel
 * that is not a loopback `-b` half).
 */
export function routeFromEvent(evt: EslEvent): Route | undefined {
  if (LOOPBACK_B.test(evt['Channel-Name'] ?? '')) return { kind: 'ignore', why: 'loopback-b' };
  return routeFromVariables(evt);
}

function routeFromVariables(evt: EslEvent): Route | undefined {
  if (!carriesVariables(evt)) return undefined;
  const transferId = evt[`variable_${TRANSFER_ID_VARIABLE}`];
  return transferId ? { kind: 'transfer', workflowId: transferId } : { kind: 'call' };
}

/** The route of a live channel from a `show channels` row and, if needed, its transfer variable. */
export function routeFromChannel(name: string, transferId: string | undefined): Route {
  if (LOOPBACK_B.test(name)) return { kind: 'ignore', why: 'loopback-b' };
  return transferId ? { kind: 'transfer', workflowId: transferId } : { kind: 'call' };
}
