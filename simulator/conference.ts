// mod_conference as the captures show it (steps 20a-20c): the `conference` application, members joining and leaving,
// the floor, and the conference::maintenance and PRESENCE_IN events. The captured profile `default` has no sounds, no
// music for a lone member (moh-sound silence) and no caller controls, so a member hears the others and nothing else,
// a lone member hears silence, and a member's DTMF goes nowhere.

import type { Channel } from './channels.ts';
import type { Header } from './protocol.ts';
import type { Timer } from './scheduler.ts';
import type { Switch } from './switch.ts';

/** The conference thread's interval (the profile's `interval`): the floor moves on its ticks. */
const TICK_MS = 20;
/** The captured switch sets no `domain` param, so mod_conference names its default. */
const DOMAIN = 'cluecon.com';

interface Member {
  ch: Channel;
  id: number;
}

export interface Conference {
  name: string;
  profile: string;
  uuid: string;
  /** In joining order. */
  members: Member[];
  floor?: Member;
  tick?: Timer;
  destroyed: boolean;
}

/** The conferences of one switch, and its process-wide counters (Member-ID, the PRESENCE_IN event_count). */
export class Conferences {
  readonly byName = new Map<string, Conference>();
  private readonly byChannel = new Map<Channel, Conference>();
  private memberIds = 0;
  private presenceCount = 0;

  constructor(private readonly sw: Switch) {}

  of(ch: Channel): Conference | undefined {
    return this.byChannel.get(ch);
  }

  /** The members `ch` hears: the other members of its conference. */
  othersOf(ch: Channel): Channel[] {
    const conf = this.byChannel.get(ch);
    return conf ? conf.members.filter((m) => m.ch !== ch).map((m) => m.ch) : [];
  }

  /**
   * The `conference` application, `<name>@<profile>`: CHANNEL_EXECUTE, then (for a new conference) conference-create,
   * then add-member and PRESENCE_IN; with nobody holding the floor it goes to a member on the next tick (20a).
   */
  join(ch: Channel, data: string): void {
    const sw = this.sw;
    const at = data.indexOf('@');
    const name = at < 0 ? data : data.slice(0, at);
    const profile = at < 0 ? 'default' : (data.slice(at + 1).split('+')[0] ?? 'default');
    sw.execute(ch, 'conference', data);
    ch.mode = 'conference';
    let conf = this.byName.get(name);
    if (!conf) {
      conf = { name, profile, uuid: sw.rng.uuid(), members: [], destroyed: false };
      this.byName.set(name, conf);
      this.conferenceEvent(conf, 'conference-create', ['mod_conference.c', 'conference_new', 3848]);
    }
    const member: Member = { ch, id: ++this.memberIds };
    conf.members.push(member);
    this.byChannel.set(ch, conf);
    this.codec(ch);
    this.memberEvent(conf, member, 'add-member', ['conference_member.c', 'conference_member_add', 962]);
    this.presence(conf);
    this.scheduleFloor(conf);
  }

  /**
   * `ch` leaves its conference (moved, bridged or hung up): a floor-change to nobody first if it held the floor,
   * del-member, CODEC and the conference application's EXECUTE_COMPLETE (20a-20c). The last member out destroys it.
   */
  leave(ch: Channel): void {
    const conf = this.byChannel.get(ch);
    if (!conf) return;
    const member = conf.members.find((m) => m.ch === ch);
    if (!member) return;
    this.byChannel.delete(ch);
    conf.members = conf.members.filter((m) => m !== member);
    if (conf.floor === member) {
      conf.floor = undefined;
      this.floorChange(conf, undefined);
    }
    this.memberEvent(conf, member, 'del-member', ['conference_member.c', 'conference_member_del', 1355]);
    this.codec(ch);
    this.sw.executeComplete(ch);
    this.presence(conf);
    if (conf.members.length) this.scheduleFloor(conf);
    else this.destroySoon(conf);
  }

  /** `conference list` lines of one conference, newest member first (fields as captured in 20a). */
  list(conf: Conference): string {
    return [...conf.members]
      .reverse()
      .map((m) => {
        const p = m.ch.profile;
        const flags = ['hear', 'speak', ...(conf.floor === m ? ['floor'] : [])].join('|');
        return `${m.id};${m.ch.name};${m.ch.uuid};${p.callerIdName};${p.callerIdNumber};${flags};0;0;0\n`;
      })
      .join('');
  }

  /**
   * With nobody holding the floor, it goes on the next tick to the longest-present member that is not on its way
   * out: B got it 20 ms after joining alone (20a); when the holder left, the one member left got it (20a cleanup),
   * unless a command was already moving it (20b2).
   */
  private scheduleFloor(conf: Conference): void {
    if (conf.floor || conf.tick) return;
    conf.tick = this.sw.sched.after(
      TICK_MS,
      () => {
        conf.tick = undefined;
        if (conf.floor || conf.destroyed) return;
        const next = conf.members.find((m) => m.ch.alive && !m.ch.moving);
        if (!next) return;
        conf.floor = next;
        this.floorChange(conf, next);
      },
      0.2,
    );
  }

  private destroySoon(conf: Conference): void {
    conf.tick?.cancel();
    this.byName.delete(conf.name);
    conf.destroyed = true;
    this.sw.sched.after(
      20,
      () => {
        this.presence(conf);
        this.conferenceEvent(conf, 'conference-destroy', ['mod_conference.c', 'conference_thread_run', 863]);
      },
      0.5,
    );
  }

  // ---- events ------------------------------------------------------------------------------------------------

  private confHeaders(conf: Conference): Header[] {
    return [
      ['Conference-Name', conf.name],
      ['Conference-Domain', DOMAIN],
      ['Conference-Size', String(conf.members.length)],
      ['Conference-Ghosts', '0'],
      ['Conference-Profile-Name', conf.profile],
      ['Conference-Unique-ID', conf.uuid],
    ];
  }

  private memberHeaders(m: Member): Header[] {
    return [
      ['Video', 'false'],
      ['Hear', 'true'],
      ['See', 'true'],
      ['Speak', 'true'],
      ['Talking', 'false'],
      ['Mute-Detect', 'false'],
      ['Hold', 'false'],
      ['Member-ID', String(m.id)],
      ['Member-Type', 'member'],
      ['Member-Ghost', 'false'],
      ['Energy-Level', '0'],
      ['Current-Energy', '0'],
    ];
  }

  private fire(headers: Header[], calling: readonly [string, string, number]): void {
    this.sw.fire('CUSTOM', calling, headers, undefined, [['Event-Subclass', 'conference::maintenance']]);
  }

  private conferenceEvent(conf: Conference, action: string, calling: readonly [string, string, number]): void {
    this.fire([...this.confHeaders(conf), ['Action', action]], calling);
  }

  private memberEvent(conf: Conference, m: Member, action: string, calling: readonly [string, string, number]): void {
    this.fire(
      [
        ...this.confHeaders(conf),
        ['Floor', String(conf.floor === m)],
        ...m.ch.headers({ verbose: false }),
        ...this.memberHeaders(m),
        ['Action', action],
      ],
      calling,
    );
  }

  /** floor-change: to a member (its headers, `New-ID` last), or to nobody (no channel headers, `New-ID: none`). */
  private floorChange(conf: Conference, to: Member | undefined): void {
    const head: Header[] = [...this.confHeaders(conf), ['Action', 'floor-change'], ['Old-ID', 'none']];
    const calling = ['conference_member.c', 'conference_member_set_floor_holder', 1158] as const;
    if (!to) {
      this.fire([...head, ['New-ID', 'none']], calling);
      return;
    }
    this.fire(
      [
        ...head,
        ...this.confHeaders(conf),
        ['Floor', 'true'],
        ...to.ch.headers({ verbose: false }),
        ...this.memberHeaders(to),
        ['New-ID', String(to.id)],
      ],
      calling,
    );
  }

  /** The member's codec is set up for the conference as it joins and leaves (a CODEC event with channel headers). */
  private codec(ch: Channel): void {
    this.sw.channelEvent(ch, 'CODEC', ['switch_core_codec.c', 'switch_core_session_set_read_codec', 300], {
      verbose: false,
      post: [
        ['channel-read-codec-name', 'L16'],
        ['channel-read-codec-rate', '8000'],
        ['channel-read-codec-bit-rate', '128000'],
      ],
    });
  }

  /** PRESENCE_IN for the conference's size after every join and leave, and once more as it is destroyed (20a). */
  private presence(conf: Conference): void {
    const n = conf.members.length;
    const address = `${conf.name}@${DOMAIN}`;
    const headers: Header[] = [
      ['proto', 'conf'],
      ['login', conf.name],
      ['from', address],
      ['event_type', 'presence'],
      ['alt_event_type', 'dialog'],
      ['event_count', String(this.presenceCount++)],
      ['unique-id', conf.name],
    ];
    if (n > 0) {
      headers.push(
        ['force-status', `Active (${n} caller${n === 1 ? '' : 's'})`],
        ['channel-state', 'CS_ROUTING'],
        ['answer-state', n === 1 ? 'early' : 'confirmed'],
        ['presence-call-direction', 'outbound'],
      );
    } else {
      headers.push(
        ['force-status', 'Inactive'],
        ['channel-state', 'CS_HANGUP'],
        ['answer-state', 'terminated'],
        ['call-direction', 'inbound'],
      );
    }
    this.sw.fire('PRESENCE_IN', ['mod_conference.c', 'conference_send_presence', 3870], headers);
  }
}

const registries = new WeakMap<Switch, Conferences>();

/** The switch's conferences (created with installConference). */
export function conferences(sw: Switch): Conferences {
  const c = registries.get(sw);
  if (!c) throw new Error('simulator: mod_conference is not installed on this switch');
  return c;
}

/** A member leaves its conference when the core moves it or it hangs up. */
export function installConference(sw: Switch): void {
  const confs = new Conferences(sw);
  registries.set(sw, confs);
  sw.hooks.on('leaving', (ch, plan, phase) => {
    if (confs.of(ch)) plan.add(phase, ch, () => confs.leave(ch));
  });
  sw.hooks.on('hangingUp', (ch, plan, phase) => {
    if (confs.of(ch)) plan.add(phase, ch, () => confs.leave(ch));
  });
}
