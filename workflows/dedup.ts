// Drops events already seen. FreeSWITCH numbers events with Event-Sequence, which grows per channel but is not in
// delivery order across channels, and restarts when the switch does (a new Core-UUID). Two ingest processes watching
// one node therefore deliver the same (Core-UUID, sequence) twice: the second is dropped here.
import type { ChannelEvent } from '../contracts/messages.ts';

export interface DedupState {
  /** Per channel, per switch run (Core-UUID): the highest sequence seen. A channel can outlive a switch restart. */
  last: Record<string, Record<string, number>>;
}

export class EventDeduplicator {
  constructor(private readonly state: DedupState = { last: {} }) {}

  isNew(event: Pick<ChannelEvent, 'uuid' | 'coreUuid' | 'seq' | 'name'>): boolean {
    // Synthetic events from the reconciler carry no sequence: always new.
    if (event.name === 'SNAPSHOT' || event.name === 'GONE') return true;
    const runs = (this.state.last[event.uuid] ??= {});
    const last = runs[event.coreUuid];
    if (last !== undefined && event.seq <= last) return false;
    runs[event.coreUuid] = event.seq;
    return true;
  }

  snapshot(): DedupState {
    return { last: Object.fromEntries(Object.entries(this.state.last).map(([k, v]) => [k, { ...v }])) };
  }
}
