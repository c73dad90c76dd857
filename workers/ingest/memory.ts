// What the ingest remembers per channel: its route (DTMF events carry no variables) and the last event it passed
// (for deduplication). Bounded: a channel is forgotten a grace period after its hangup, and the least recently
// active channels go first when the cap is reached (a hangup missed during a disconnect must not leak).
import type { Route } from './routing.ts';

interface Entry {
  route?: Route;
  /** The transfer whose handoff_active_transfer the leg's last event with variables carried (it is a party of it). */
  activeTransfer?: string;
  coreUuid?: string;
  lastSeq?: number;
  endedAt?: number;
  /** memory's event counter when this channel last had an event. */
  tick?: number;
}

export interface ChannelMemoryOptions {
  /** How long a channel is remembered after its hangup, so late duplicates are still recognised. */
  graceMs?: number;
  maxChannels?: number;
}

export class ChannelMemory {
  private readonly entries = new Map<string, Entry>();
  private readonly graceMs: number;
  private readonly maxChannels: number;
  private ticks = 0;

  constructor(opts: ChannelMemoryOptions = {}) {
    this.graceMs = opts.graceMs ?? 60_000;
    this.maxChannels = opts.maxChannels ?? 200_000;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * False for an event already seen. Event-Sequence increases per channel within one switch run (it is global to
   * the FreeSWITCH process, so it is not in delivery order across channels); a new Core-UUID means the switch
   * restarted and its sequence started again.
   */
  accept(uuid: string, coreUuid: string, seq: number): boolean {
    const e = this.touch(uuid);
    if (e.coreUuid === coreUuid && e.lastSeq !== undefined && seq <= e.lastSeq) return false;
    e.coreUuid = coreUuid;
    e.lastSeq = seq;
    e.tick = ++this.ticks;
    return true;
  }

  /** A counter that moves with every accepted event: compare with lastEventTick(uuid) to spot newer events. */
  get tick(): number {
    return this.ticks;
  }

  lastEventTick(uuid: string): number | undefined {
    return this.entries.get(uuid)?.tick;
  }

  route(uuid: string): Route | undefined {
    return this.entries.get(uuid)?.route;
  }

  setRoute(uuid: string, route: Route): void {
    this.touch(uuid).route = route;
  }

  /** The transfer the leg is a party of, as its last event with variables said (DTMF carry none). */
  activeTransfer(uuid: string): string | undefined {
    return this.entries.get(uuid)?.activeTransfer;
  }

  setActiveTransfer(uuid: string, transferId: string | undefined): void {
    const e = this.entries.get(uuid);
    if (transferId !== undefined) this.touch(uuid).activeTransfer = transferId;
    else if (e) delete e.activeTransfer;
  }

  /** The channel hung up (or was found gone, though never seen): forget it after the grace period. */
  ended(uuid: string, now: number): void {
    this.touch(uuid).endedAt ??= now;
  }

  /** Did this channel's hangup reach us (within the grace period)? */
  hasEnded(uuid: string): boolean {
    return this.entries.get(uuid)?.endedAt !== undefined;
  }

  /** Drops channels whose grace period is over; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const [uuid, e] of this.entries) {
      if (e.endedAt !== undefined && now - e.endedAt >= this.graceMs) {
        this.entries.delete(uuid);
        n++;
      }
    }
    return n;
  }

  private touch(uuid: string): Entry {
    let e = this.entries.get(uuid);
    if (e) {
      this.entries.delete(uuid); // re-insert: Map order is then least recently active first
    } else {
      e = {};
      if (this.entries.size >= this.maxChannels) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
    }
    this.entries.set(uuid, e);
    return e;
  }
}
