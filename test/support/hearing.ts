// What each channel's caller hears right now, derived from ESL events alone, so it works the same against the
// simulator and a real FreeSWITCH. Rules, all read off the captures (README sections 5, 10, 12 and 13):
// - a channel between PLAYBACK_START and PLAYBACK_STOP hears that stream, even while bridged (hold music, 05);
// - CHANNEL_BRIDGE names both legs (Bridge-A/B) although only the first leg gets the event;
//   CHANNEL_UNBRIDGE (also only on the first leg) ends it for both;
// - CHANNEL_PARK means silence for that channel (park_after_bridge parks in silence; nothing comes back by itself);
// - a hangup makes the channel gone and leaves its bridge peer in silence until that peer's own PARK or HANGUP;
//   the hangup of an unbridged channel changes nobody else;
// - uuid_bridge and DTMF stop broadcasts by themselves, but that shows as PLAYBACK_STOP, so nothing special is needed;
// - conference membership is what the conference::maintenance events say: add-member puts a channel in, del-member
//   takes it out (a hangup too comes with a del-member). A member hears the other members; alone it hears silence
//   (the captured profile plays nothing to a lone member). The other members get no event of their own (20b);
// - CHANNEL_HOLD cuts the audio of the holder's bridge both ways until that bridge ends: both hear silence, unless
//   the peer plays the hold music (21a-21c). No event ever says a hold is over (there is no CHANNEL_UNHOLD on
//   loopback): a new CHANNEL_BRIDGE is what brings the audio back (21a);
// - CHANNEL_EXECUTE `three_way <uuid>` makes that channel listen to <uuid>: it hears the target and the target's
//   bridge peer, and they hear it, until its EXECUTE_COMPLETE (20d-20f). A target that is parked hears nothing (20f).

import type { Hearing } from '../../simulator/index.ts';
import type { EslEvent } from './esl-client.ts';

export type { Hearing } from '../../simulator/index.ts';

interface State {
  gone: boolean;
  stream?: string;
  peer?: string;
  /** The peer this channel's bridge was held with (CHANNEL_HOLD on either); void once the peer changes. */
  heldWith?: string;
  conference?: string;
  /** three_way: the channel it listens to. */
  listensTo?: string;
}

export class HearingTracker {
  private readonly channels = new Map<string, State>();
  /** Conference name -> its members, from add-member and del-member. */
  private readonly conferences = new Map<string, Set<string>>();

  private get(uuid: string): State {
    let s = this.channels.get(uuid);
    if (!s) {
      s = { gone: false };
      this.channels.set(uuid, s);
    }
    return s;
  }

  private setPeer(uuid: string, peer: string | undefined): void {
    const s = this.get(uuid);
    if (s.peer !== peer) s.heldWith = undefined;
    s.peer = peer;
  }

  feed(e: EslEvent): void {
    const h = e.headers;
    if (e.name === 'CUSTOM' && h['Event-Subclass'] === 'conference::maintenance') return this.conferenceEvent(e);
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
        this.setPeer(a, b);
        this.setPeer(b, a);
        break;
      }
      case 'CHANNEL_UNBRIDGE': {
        const a = h['Bridge-A-Unique-ID'] ?? uuid;
        const b = h['Bridge-B-Unique-ID'] ?? h['Other-Leg-Unique-ID'] ?? '';
        // Only undo this bridge: a newer one (uuid_bridge stealing a leg, 03d) may already be in place.
        if (this.get(a).peer === b) this.setPeer(a, undefined);
        if (this.get(b).peer === a) this.setPeer(b, undefined);
        break;
      }
      case 'CHANNEL_PARK':
        this.setPeer(uuid, undefined);
        break;
      case 'CHANNEL_HOLD':
        if (s.peer) {
          s.heldWith = s.peer;
          this.get(s.peer).heldWith = uuid;
        }
        break;
      case 'CHANNEL_EXECUTE':
        if (h['Application'] === 'three_way') s.listensTo = (h['Application-Data'] ?? '').trim();
        break;
      case 'CHANNEL_EXECUTE_COMPLETE':
        if (h['Application'] === 'three_way') s.listensTo = undefined;
        break;
      case 'CHANNEL_HANGUP':
      case 'CHANNEL_HANGUP_COMPLETE':
      case 'CHANNEL_DESTROY': {
        s.gone = true;
        s.stream = undefined;
        s.listensTo = undefined;
        const peer = s.peer;
        this.setPeer(uuid, undefined);
        if (peer && this.get(peer).peer === uuid) this.setPeer(peer, undefined);
        break;
      }
      default:
        break;
    }
  }

  private conferenceEvent(e: EslEvent): void {
    const h = e.headers;
    const name = h['Conference-Name'] ?? '';
    const uuid = h['Unique-ID'];
    switch (h['Action']) {
      case 'add-member':
        if (!uuid) break;
        if (!this.conferences.has(name)) this.conferences.set(name, new Set());
        this.conferences.get(name)!.add(uuid);
        this.get(uuid).conference = name;
        break;
      case 'del-member':
        if (!uuid) break;
        this.conferences.get(name)?.delete(uuid);
        if (this.get(uuid).conference === name) this.get(uuid).conference = undefined;
        break;
      case 'conference-destroy':
        this.conferences.delete(name);
        break;
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
    if (s.conference !== undefined) {
      const others = [...(this.conferences.get(s.conference) ?? [])].filter((u) => u !== uuid).sort();
      return others.length ? { kind: 'conference', conference: s.conference, others } : { kind: 'silence' };
    }
    if (s.listensTo) {
      const target = this.channels.get(s.listensTo);
      const parties = [s.listensTo, ...(target?.peer ? [target.peer] : [])].filter((u) => !this.channels.get(u)?.gone);
      return { kind: 'three_way', parties: parties.sort() };
    }
    if (s.peer && s.heldWith === s.peer) return { kind: 'silence' };
    if (s.peer) {
      const listeners = [...this.channels]
        .filter(([, o]) => !o.gone && (o.listensTo === uuid || o.listensTo === s.peer))
        .map(([u]) => u);
      if (listeners.length) return { kind: 'three_way', parties: [s.peer, ...listeners].sort() };
      return { kind: 'peer', peer: s.peer };
    }
    return { kind: 'silence' };
  }

  /** The conference a channel is a member of (from the conference::maintenance events), if any. */
  conferenceOf(uuid: string): string | undefined {
    return this.channels.get(uuid)?.conference;
  }

  /** A conference's members, sorted (empty when it does not exist). */
  members(conference: string): string[] {
    return [...(this.conferences.get(conference) ?? [])].sort();
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

/**
 * The parties whose voice reaches `h`'s listener: none for a stream, silence or a hung-up channel. A test that only
 * cares who hears whom, not how (bridge, conference, three_way), compares these.
 */
export function voicesIn(h: Hearing): string[] {
  switch (h.kind) {
    case 'peer':
      return [h.peer];
    case 'conference':
      return h.others;
    case 'three_way':
      return h.parties;
    default:
      return [];
  }
}
