// What the simulator believes each channel's caller hears (sim_hears). The test helper test/support/hearing.ts
// derives the same from events alone; comparing the two is a simulator-only cross-check.

import { conferences } from './conference.ts';
import type { Switch } from './switch.ts';
import { threeWays } from './threeway.ts';

/**
 * - `peer`: the one channel it is bridged to;
 * - `conference`: the other members of its conference (a member alone hears silence: no music in the profile);
 * - `three_way`: a `three_way` listener and the channels it listens to, hearing each other;
 * - `stream`: a playback (music, ringback), which wins over everything else;
 * - `silence`; `gone` (hung up).
 * Lists of channels are sorted, so that two views of the same thing compare equal.
 */
export type Hearing =
  | { kind: 'peer'; peer: string }
  | { kind: 'conference'; conference: string; others: string[] }
  | { kind: 'three_way'; parties: string[] }
  | { kind: 'stream'; stream: string }
  | { kind: 'silence' }
  | { kind: 'gone' };

export function hears(sw: Switch, uuid: string): Hearing {
  const ch = sw.channels.get(uuid);
  if (!ch || !ch.alive) return { kind: 'gone' };
  if (ch.playback) return { kind: 'stream', stream: ch.playback.path };
  const conf = conferences(sw).of(ch);
  if (conf) {
    const others = conferences(sw)
      .othersOf(ch)
      .map((o) => o.uuid)
      .sort();
    return others.length ? { kind: 'conference', conference: conf.name, others } : { kind: 'silence' };
  }
  const tw = threeWays(sw);
  const target = tw.targetOf(ch);
  if (target) {
    const parties = [target, target.peer].filter((x) => x?.alive).map((x) => x!.uuid);
    return { kind: 'three_way', parties: parties.sort() };
  }
  const peer = ch.peer;
  // uuid_hold: the bridge drops the audio both ways (captures 21a-21c).
  if (peer && ch.bridge?.hold) return { kind: 'silence' };
  if (peer && (ch.mode === 'bridged' || ch.mode === 'app' || ch.mode === 'dialplan')) {
    const listeners = [...tw.listenersOf(ch), ...tw.listenersOf(peer)].map((l) => l.uuid);
    if (listeners.length) return { kind: 'three_way', parties: [peer.uuid, ...listeners].sort() };
    return { kind: 'peer', peer: peer.uuid };
  }
  return { kind: 'silence' };
}
