// What the simulator believes each channel's caller hears (sim_hears). The test helper test/support/hearing.ts
// derives the same from events alone; comparing the two is a simulator-only cross-check.

import type { Switch } from './switch.ts';

export type Hearing =
  { kind: 'peer'; peer: string } | { kind: 'stream'; stream: string } | { kind: 'silence' } | { kind: 'gone' };

export function hears(sw: Switch, uuid: string): Hearing {
  const ch = sw.channels.get(uuid);
  if (!ch || !ch.alive) return { kind: 'gone' };
  if (ch.playback) return { kind: 'stream', stream: ch.playback.path };
  const peer = ch.peer;
  if (peer && (ch.mode === 'bridged' || ch.mode === 'app' || ch.mode === 'dialplan'))
    return { kind: 'peer', peer: peer.uuid };
  return { kind: 'silence' };
}
