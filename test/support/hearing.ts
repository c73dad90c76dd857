// What each channel's caller hears right now, derived from ESL events alone, so it works the same against the
// simulator and a real FreeSWITCH. Rules, all read off the captures (README sections 5 and 10):
// - a channel between PLAYBACK_START and PLAYBACK_STOP hears that stream, even while bridged (hold music, 05);
// - CHANNEL_BRIDGE names both legs (Bridge-A/B) although only the first leg gets the event;
//   CHANNEL_UNBRIDGE (also only on the first leg) ends it for both;
// - CHANNEL_PARK means silence for that channel (park_after_bridge parks in silence; nothing comes back by itself);
// - a hangup makes the channel gone and leaves its bridge peer in silence until that peer's own PARK or HANGUP;
//   the hangup of an unbridged channel changes nobody else;
// - uuid_bridge and DTMF stop broadcasts by themselves, but that shows as PLAYBACK_STOP, so nothing special is needed.

import type { EslEvent } from './esl-client.ts';

export type Hearing =
  { kind: 'peer'; peer: string } | { kind: 'stream'; stream: string } | { kind: 'silence' } | { kind: 'gone' };

interface State {
  gone: boolean;
  stream?: string;
  peer?: string;
}

export class HearingTracker {
  private readonly channels = new Map<string, State>();

  private get(uuid: string): State {
    let s = this.channels.get(uuid);
    if (!s) {
      s = { gone: false };
      this.channels.set(uuid, s);
    }
    return s;
  }

  feed(e: EslEvent): void {
    const h = e.headers;
    const uuid = h['Unique-ID'];
    if (!uuid) return;
    const s = this.get(uuid);
    switch (e.name) {
      case 'PLAYBACK_START':
        s.stream = h['Playback-File-Path'] ?? '';
        break;
      case 'PLAYBACK_STOP':
        s.stream = undefined;
        break;
      case 'CHANNEL_BRIDGE': {
        const a = h['Bridge-A-Unique-ID'] ?? uuid;
        const b = h['Bridge-B-Unique-ID'] ?? h['Other-Leg-Unique-ID'];
        if (!b) break;
        this.get(a).peer = b;
        this.get(b).peer = a;
        break;
      }
      case 'CHANNEL_UNBRIDGE': {
        const a = h['Bridge-A-Unique-ID'] ?? uuid;
        const b = h['Bridge-B-Unique-ID'] ?? h['Other-Leg-Unique-ID'] ?? '';
        // Only undo this bridge: a newer one (uuid_bridge stealing a leg, 03d) may already be in place.
        if (this.get(a).peer === b) this.get(a).peer = undefined;
        if (this.get(b).peer === a) this.get(b).peer = undefined;
        break;
      }
      case 'CHANNEL_PARK':
        s.peer = undefined;
        break;
      case 'CHANNEL_HANGUP':
      case 'CHANNEL_HANGUP_COMPLETE':
      case 'CHANNEL_DESTROY': {
        s.gone = true;
        s.stream = undefined;
        const peer = s.peer;
        s.peer = undefined;
        if (peer && this.get(peer).peer === uuid) this.get(peer).peer = undefined;
        break;
      }
      default:
        break;
    }
  }

  feedAll(events: Iterable<EslEvent>): this {
    for (const e of events) this.feed(e);
    return this;
  }

  hears(uuid: string): Hearing {
    const s = this.channels.get(uuid);
    if (!s) return { kind: 'silence' };
    if (s.gone) return { kind: 'gone' };
    if (s.stream !== undefined) return { kind: 'stream', stream: s.stream };
    if (s.peer) return { kind: 'peer', peer: s.peer };
    return { kind: 'silence' };
  }

  /** Every channel seen so far. */
  all(): Map<string, Hearing> {
    return new Map([...this.channels.keys()].map((u) => [u, this.hears(u)]));
  }
}

/** Convenience: what `uuid` hears after `events`. */
export function hearing(events: Iterable<EslEvent>, uuid: string): Hearing {
  return new HearingTracker().feedAll(events).hears(uuid);
}
