// The `conference` api command of mod_conference: `list` of every conference or of one (captures 20-0, 20a-20c).

import { conferences } from '../conference.ts';
import type { ApiHandler } from './types.ts';

export const conference: ApiHandler = ({ sw }, args) => {
  const w = args.trim().split(/\s+/).filter(Boolean);
  const confs = conferences(sw);
  if (w[0] === 'list' || !w.length) {
    if (!confs.byName.size) return '+OK No active conferences.\n';
    // Only the empty answer is captured; this header line per conference is assumed.
    return [...confs.byName.values()]
      .map((c) => {
        const n = c.members.length;
        return `+OK Conference ${c.name} (${n} member${n === 1 ? '' : 's'} rate: 8000 flags: running|answered|dynamic)\n${confs.list(c)}`;
      })
      .join('');
  }
  const [name, sub] = w;
  const conf = confs.byName.get(name!);
  if (!conf) return `-ERR Conference ${name} not found\n`;
  if (sub === 'list') return confs.list(conf);
  return `-ERR simulator: conference ${sub ?? ''} is not simulated\n`;
};
