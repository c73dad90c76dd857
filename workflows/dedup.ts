// Drops events already seen. FreeSWITCH numbers events with Event-Sequence, which grows per channel but is not in
// delivery order across channels, and restarts when the switch does (a new Core-UUID). Two ingest processes watching
// one node therefore deliver the same (Core-UUID, sequence) twice: the second is dropped here.
//
// The two ingests do not deliver in step: one may be held back (Temporal restarting, its queue retrying) while the
// other, just reconnected, delivers a later event first. The call workflow therefore remembers a window of the
// sequences it has seen per channel, not only the highest, and tells an earlier event it never saw ("late") from a
// copy of one it has ("seen").
import type { ChannelEvent } from '../contracts/messages.ts';

/** Sequences remembered per channel and switch run: an event older than all of them counts as seen. */
export const DEDUP_WINDOW = 64;

export interface DedupState {
  /** Per channel, per switch run (Core-UUID): the highest sequence seen. A channel can outlive a switch restart. */
  last: Record<string, Record<string, number>>;
  /**
   * Per channel, per switch run: the latest sequences seen (at most DEDUP_WINDOW, ascending). A channel without them
   * (state kept before they were) counts everything up to `last` as seen.
   */
  seen?: Record<string, Record<string, number[]>>;
  /** Per channel, per switch run: the highest sequence of an event other than a key press (one that changes state). */
  lastState?: Record<string, Record<string, number>>;
}

/**
 * What an event is to the channel's history: `new` (after everything seen), `late` (earlier than events seen, never
 * seen itself), `stale` (late, and a later event that changes the call's state was seen: its own change is out of
 * date), or `seen` (a copy, or too old to tell).
 */
export type Arrival = 'new' | 'late' | 'stale' | 'seen';

type Event = Pick<ChannelEvent, 'uuid' | 'coreUuid' | 'seq' | 'name'>;

export class EventDeduplicator {
  private readonly state: DedupState;

  constructor(state: DedupState = { last: {} }) {
    this.state = { last: state.last, seen: state.seen ?? {}, lastState: state.lastState ?? {} };
  }

  /** The highest-sequence rule alone: an event at or below the highest seen is dropped (the transfer's legs). */
  isNew(event: Event): boolean {
    return this.arrival(event, false) === 'new';
  }

  /** The window rule (the call workflow): see Arrival. */
  classify(event: Event): Arrival {
    return this.arrival(event, true);
  }

  private arrival(event: Event, window: boolean): Arrival {
    // Synthetic events from the reconciler carry no sequence: always new.
    if (event.name === 'SNAPSHOT' || event.name === 'GONE') return 'new';
    const runs = (this.state.last[event.uuid] ??= {});
    const last = runs[event.coreUuid];
    if (!window) {
      if (last !== undefined && event.seq <= last) return 'seen';
      runs[event.coreUuid] = event.seq;
      return 'new';
    }
    const seenRuns = (this.state.seen![event.uuid] ??= {});
    // A channel first met here gets its window; one carried from before has none and keeps the old rule.
    const seen = last === undefined ? (seenRuns[event.coreUuid] ??= []) : seenRuns[event.coreUuid];
    const changesState = event.name !== 'DTMF';
    const lastStates = (this.state.lastState![event.uuid] ??= {});
    if (last !== undefined && event.seq <= last) {
      if (!seen || seen.includes(event.seq)) return 'seen';
      if (seen.length >= DEDUP_WINDOW && event.seq < seen[0]!) return 'seen';
      remember(seen, event.seq);
      const lastState = lastStates[event.coreUuid];
      if (changesState && lastState !== undefined && lastState > event.seq) return 'stale';
      if (changesState) lastStates[event.coreUuid] = event.seq;
      return 'late';
    }
    runs[event.coreUuid] = event.seq;
    if (seen) remember(seen, event.seq);
    if (changesState) lastStates[event.coreUuid] = event.seq;
    return 'new';
  }

  snapshot(): DedupState {
    const copy = <T>(r: Record<string, Record<string, T>> | undefined, f: (v: T) => T) =>
      Object.fromEntries(
        Object.entries(r ?? {}).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([c, x]) => [c, f(x)]))]),
      );
    const seen = copy(this.state.seen, (s) => [...s]);
    const lastState = copy(this.state.lastState, (n) => n);
    return {
      last: copy(this.state.last, (n) => n),
      ...(Object.keys(seen).length ? { seen } : {}),
      ...(Object.keys(lastState).length ? { lastState } : {}),
    };
  }
}

/** Inserts `seq` in order and keeps the latest DEDUP_WINDOW. */
function remember(seen: number[], seq: number): void {
  let i = seen.length;
  while (i > 0 && seen[i - 1]! > seq) i--;
  seen.splice(i, 0, seq);
  if (seen.length > DEDUP_WINDOW) seen.splice(0, seen.length - DEDUP_WINDOW);
}
