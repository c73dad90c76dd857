// api/bgapi originate. Results as captured in steps 01 and 04: `+OK <uuid>\n` or `-ERR <CAUSE>\n`.

import { startALegApp } from '../apps.ts';
import { originateArguments, parseDialString } from '../dialstring.ts';
import { originateLoopback } from '../loopback.ts';
import type { ApiHandler } from './types.ts';

const USAGE =
  '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n';

export const originate: ApiHandler = ({ sw }, args) => {
  const [dialText, ...words] = originateArguments(args);
  if (!dialText || words.length < 1 || words.length > 6) return USAGE;
  const dial = parseDialString(dialText);
  if (!dial) return '-ERR INVALID_URL\n';
  if (dial.endpoint !== 'loopback') return '-ERR CHAN_NOT_IMPLEMENTED\n';
  const target = words[0]!;
  const appMatch = /^&([A-Za-z0-9_]+)(?:\((.*)\))?$/.exec(target);
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
