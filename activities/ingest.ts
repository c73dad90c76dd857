// What a node worker's ingest holds, asked by a call workflow whose digit timer fired late: the presses pressed in
// time may still be in the ingest's queue (Temporal was away), or may all have come already (the workflow worker was
// the one behind). Only the ingest can tell; it answers from memory, without a command to the switch.
import type { KeyPressesHeld } from './types.ts';

/** The node worker's ingest, as these activities see it (workers/ingest: `Ingest.keyPressesHeld`). */
export interface IngestView {
  keyPressesHeld(leg: string, since: number): KeyPressesHeld;
}

/** `ingest()`: the node worker's ingest once it runs (it starts after the worker's activities are built). */
export function createIngestActivities(ingest: () => IngestView | undefined) {
  return {
    /** `since`: the switch's time of the collection's last press (ms); the ingest must have listened before it. */
    async keyPressesHeld(leg: string, since: number): Promise<KeyPressesHeld> {
      return ingest()?.keyPressesHeld(leg, since) ?? { held: 0, sure: false };
    },
  };
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;
