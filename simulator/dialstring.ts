// Dial strings as FreeSWITCH's originate and bridge read them: `{k=v,...}loopback/<ext>[/<context>]`, the channel
// variables in front (`<...>`, `{...}`, `[...]`), and the arguments of an originate command line.

import { parseOriginateTarget, separate } from './fs-strings.ts';

export interface DialString {
  vars: [string, string][];
  endpoint: string;
  ext: string;
  context: string;
}

/**
 * Parse `<k=v>{k=v,...}[k=v]loopback/<ext>[/<context>]` as the switch's originate does (fs-strings.ts); anything that
 * is not loopback is `endpoint` only. Undefined when the switch could not parse it.
 */
export function parseDialString(s: string): DialString | undefined {
  const target = parseOriginateTarget(s.trim());
  if (!target) return undefined;
  const parts = target.endpoint.split('/');
  const endpoint = parts[0] ?? '';
  const vars = target.vars;
  if (endpoint !== 'loopback') return { vars, endpoint, ext: parts.slice(1).join('/'), context: '' };
  return { vars, endpoint, ext: parts[1] ?? '', context: parts[2] || 'default' };
}

/** An originate command's arguments as the switch splits them: at spaces outside quotes, each piece cleaned. */
export function originateArguments(args: string): string[] {
  return separate(args.trim(), ' ', 10);
}
