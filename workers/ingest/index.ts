export { startIngest, type Ingest, type IngestOptions } from './ingest.ts';
export type { ChannelProjection } from './projection.ts';
export type { IngestStats } from './stats.ts';
export type { ReconcileOptions, ReconcileReport } from './reconcile.ts';
export { CALL_WORKFLOW_TYPE, type CallWorkflowInput } from './deliver.ts';
export { EslNode } from '../esl/index.ts';
