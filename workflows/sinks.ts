// What workflows tell their worker process without a command: the facts the process counts in its metrics. The
// worker calls these only when a workflow task runs for the first time, never on replay (workers/workflow-worker.ts).
import { proxySinks, type Sinks } from '@temporalio/workflow';

export interface HandoffSinks extends Sinks {
  handoffMetrics: {
    /** The transfer ended with this outcome (handoff_transfers_ended_total). */
    transferEnded(outcome: string): void;
  };
}

export const { handoffMetrics } = proxySinks<HandoffSinks>();
