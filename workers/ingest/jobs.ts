// BACKGROUND_JOB → OriginateResult. A BACKGROUND_JOB has no Unique-ID, and some originate failures produce no
// channel event at all, so results are routed by what the originate itself carried: the transfer's ID, in the
// `{...}` variables of `Job-Command-Arg`.
import type { OriginateResult } from '../../contracts/messages.ts';
import { TRANSFER_ID_VARIABLE } from '../../contracts/ids.ts';
import type { EslEvent } from '../esl/index.ts';
import { eventTimeMs } from './convert.ts';

export interface RoutedOriginate {
  /** The transfer workflow to signal. */
  workflowId: string;
  /** The leg's origination_uuid when the originate named one: its events and this result share one queue. */
  legUuid?: string;
  result: OriginateResult;
}

/**
 * The `{k=v,...}` block of an originate argument, as a map. The switch reads a `<...>` block first (it ends at the `>`
 * that balances its first `<`), and the engine puts one there only for a value whose braces do not balance
 * (activities/originate-vars.ts); origination_uuid and the transfer's ID come first in the `{...}` block, with nothing
 * to quote, so the `{...}` block is read up to its first `}`.
 */
export function originateVariables(arg: string): Record<string, string> {
  let rest = arg.trimStart();
  if (rest.startsWith('<')) {
    let depth = 0;
    let end = -1;
    for (let i = 0; i < rest.length && end < 0; i++) {
      if (rest[i] === '<') depth++;
      else if (rest[i] === '>' && --depth === 0) end = i;
    }
    rest = end < 0 ? '' : rest.slice(end + 1);
  }
  const m = /^\{([^}]*)\}/.exec(rest);
  const vars: Record<string, string> = {};
  if (!m?.[1]) return vars;
  for (const pair of m[1].split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) vars[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return vars;
}

/** `+OK <uuid>` → uuid; `-ERR <CAUSE>` → cause; anything else → its text as the cause. */
export function parseOriginateBody(body: string): { uuid?: string; cause?: string } {
  const text = body.trim();
  const ok = /^\+OK\s+(\S+)/.exec(text);
  if (ok?.[1]) return { uuid: ok[1] };
  const err = /^-ERR\s*(\S*)/.exec(text);
  if (err) return { cause: err[1] || 'UNKNOWN' };
  return { cause: text || 'UNKNOWN' };
}

/** The originate result of a transfer, or undefined for any other job (not an originate, or not ours). */
export function routeOriginateJob(evt: EslEvent): RoutedOriginate | undefined {
  if (evt['Event-Name'] !== 'BACKGROUND_JOB' || evt['Job-Command'] !== 'originate') return undefined;
  const jobUuid = evt['Job-UUID'];
  const vars = originateVariables(evt['Job-Command-Arg'] ?? '');
  const workflowId = vars[TRANSFER_ID_VARIABLE];
  if (!jobUuid || !workflowId) return undefined;
  const routed: RoutedOriginate = {
    workflowId,
    result: { jobUuid, ...parseOriginateBody(evt._body ?? ''), at: eventTimeMs(evt) },
  };
  if (vars.origination_uuid) routed.legUuid = vars.origination_uuid;
  return routed;
}
