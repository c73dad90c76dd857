// Simulator-only commands, all prefixed `sim_` so they can never be mistaken for FreeSWITCH ones.

import { hears } from '../hears.ts';
import type { ApiHandler } from './types.ts';

export const sim_hears: ApiHandler = ({ sw }, args) => {
  const uuid = args.trim();
  if (uuid) return JSON.stringify(hears(sw, uuid));
  const all: Record<string, unknown> = {};
  for (const ch of sw.liveChannels()) all[ch.uuid] = hears(sw, ch.uuid);
  return JSON.stringify(all);
};

export const sim_journal: ApiHandler = ({ sw }) => JSON.stringify(sw.journal);

export const sim_fault: ApiHandler = (ctx, args) => {
  const [what, ...rest] = args.trim().split(/\s+/);
  switch (what) {
    case 'drop_clients': {
      const n = ctx.dropClients(ctx.clientId);
      return `+OK dropped ${n}\n`;
    }
    case 'delay_replies': {
      const ms = Number(rest[0]);
      if (!Number.isFinite(ms) || ms < 0) return '-ERR delay_replies needs milliseconds\n';
      ctx.faults.replyDelayMs = ms;
      return '+OK\n';
    }
    case 'refuse_auth':
      if (rest[0] !== 'on' && rest[0] !== 'off') return '-ERR refuse_auth on|off\n';
      ctx.faults.refuseAuth = rest[0] === 'on';
      return '+OK\n';
    case 'kill_channel': {
      const ch = ctx.sw.find(rest[0]);
      if (!ch) return '-ERR No such channel!\n';
      ctx.sw.hangupSoon(ch, rest[1] ?? 'NORMAL_CLEARING');
      return '+OK\n';
    }
    default:
      return '-USAGE: sim_fault drop_clients|delay_replies <ms>|refuse_auth on|off|kill_channel <uuid> [cause]\n';
  }
};
