// api/bgapi originate. Results as captured in steps 01 and 04: `+OK <uuid>\n` or `-ERR <CAUSE>\n`.

import { originateLoopback, parseDialString, startALegApp } from '../loopback.ts';
import type { ApiHandler } from './types.ts';

const USAGE =
  '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n';

/** Split off the dial string: it runs to the first space that is not inside {...} / [...] or quotes. */
function splitFirst(args: string): [string, string] {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const c = args[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '{' || c === '[' || c === '<') depth++;
    else if (c === '}' || c === ']' || c === '>') depth--;
    else if (c === ' ' && depth <= 0) return [args.slice(0, i), args.slice(i + 1).trim()];
  }
  return [args, ''];
}

export const originate: ApiHandler = ({ sw }, args) => {
  const [dialText, rest] = splitFirst(args.trim());
  if (!dialText || !rest) return USAGE;
  const dial = parseDialString(dialText);
  if (!dial) return '-ERR INVALID_URL\n';
  if (dial.endpoint !== 'loopback') return '-ERR CHAN_NOT_IMPLEMENTED\n';
  const words = rest.split(/\s+/);
  const target = words[0]!;
  const appMatch = /^&([A-Za-z0-9_]+)(?:\((.*)\))?$/.exec(rest.startsWith('&') ? rest : target);
  const app = appMatch
    ? { name: appMatch[1]!, data: appMatch[2] ?? '' }
    : { ext: target, context: words[2] ?? 'default' };
  const vars = new Map(dial.vars);
  const timeoutArg = appMatch ? undefined : words[5];
  const timeoutSec = Number(vars.get('originate_timeout') ?? timeoutArg ?? 60) || 60;
  return {
    later: (done) => {
      originateLoopback(sw, dial, {
        timeoutSec,
        onFailed: (cause) => done(`-ERR ${cause}\n`),
        onAnswered: (a) => {
          done(`+OK ${a.uuid}\n`);
          startALegApp(sw, a, app);
        },
      });
    },
  };
};
