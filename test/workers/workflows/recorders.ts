// Stand-ins for the engine's workflows, registered under the names the ingest uses: they only record what the
// ingest delivers, so the ingest's tests check delivery, order and deduplication without the real call logic.
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import {
  auditLegsSignal,
  channelEventsSignal,
  originateResultSignal,
  transferLegEventsSignal,
  type ChannelEvent,
  type OriginateResult,
} from '../../../contracts/messages.ts';

export interface Recorded {
  events: ChannelEvent[];
  /** Events per signal, in arrival order. */
  batches: number[];
  results: OriginateResult[];
  /** The events the workflow was started with (its start's `initial`), when there were any. */
  initial?: ChannelEvent[];
  /** auditLegs signals received (a transfer's look at the switch after events may have been lost). */
  audits?: number;
}

export const recordedQuery = defineQuery<Recorded>('recorded');
export const finishSignal = defineSignal<[]>('finish');

/** Ends at the leg's hangup (or GONE), like a real call workflow: signalled, or in the events it started with. */
export async function callWorkflow(start: {
  callId: string;
  node: string;
  initial?: ChannelEvent[];
}): Promise<Recorded> {
  const rec: Recorded = { events: [], batches: [], results: [], ...(start.initial ? { initial: start.initial } : {}) };
  setHandler(channelEventsSignal, (events) => {
    rec.events.push(...events);
    rec.batches.push(events.length);
  });
  setHandler(recordedQuery, () => rec);
  const ends = (e: ChannelEvent) => e.name === 'CHANNEL_HANGUP_COMPLETE' || e.name === 'GONE';
  await condition(() => rec.events.some(ends) || (start.initial ?? []).some(ends));
  return rec;
}

/** A transfer that only listens: its target leg's events and its originate results. */
export async function recordingTransfer(): Promise<Recorded> {
  const rec: Recorded = { events: [], batches: [], results: [] };
  let done = false;
  setHandler(transferLegEventsSignal, (events) => {
    rec.events.push(...events);
    rec.batches.push(events.length);
  });
  setHandler(originateResultSignal, (r) => void rec.results.push(r));
  setHandler(auditLegsSignal, () => void (rec.audits = (rec.audits ?? 0) + 1));
  setHandler(recordedQuery, () => rec);
  setHandler(finishSignal, () => void (done = true));
  await condition(() => done);
  return rec;
}

/** The same stand-in under the transfer workflow's own type name, for the queries that look transfers up by type. */
export const transferWorkflow = recordingTransfer;
