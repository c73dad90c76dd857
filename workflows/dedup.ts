// Drops events already seen. FreeSWITCH numbers events with Event-Sequence, which grows per channel but is not in
// delivery order across channels, and restarts when the switch does (a new Core-UUID). Two ingest processes watching
// one node therefore deliver the same (Core-UUID, sequence) twice: the second is dropped here.
import type { ChannelEvent } from './messages.ts';

export interface DedupState {
  /** Per channel: the switch run and the highest sequence seen from it. */
  last: Record<string, { core: string; seq: number }>;
}

export class EventDeduplicator {
  constructor(private readonly state: DedupState = { last: {} }) {}

  isNew(event: Pick<ChannelEvent, 'uuid' | 'coreUuid' | 'seq' | 'name'>): boolean {
    // Synthetic events from the reconciler carry no sequence: always new.
    if (event.name === 'SNAPSHOT' || event.name === 'GONE') return true;
    const last = this.state.last[event.uuid];
    if (last && last.core === event.coreUuid && event.seq <= last.seq) return false;
    this.state.last[event.uuid] = { core: event.coreUuid, seq: event.seq };
    return true;
  }

  snapshot(): DedupState {
    return { last: { ...this.state.last } };
  }
}
