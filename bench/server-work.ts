// What the Temporal server itself did for a call, from its own Prometheus metrics (the dev server's `--metrics-port`):
// the requests each of its services served and the persistence operations they made, by operation. A call's share is
// the difference of two readings around it, less what the same server did idle for as long right after (its
// namespace refreshes, task-queue bookkeeping, idle polls). The histories (bench/cost.ts) say what the workflows
// asked for; this says what it cost the server's services and its database to give it, which is what a cluster's
// frontend, history shards and persistence are sized by.
import { metricSeries } from './load-plan.ts';

/** One reading: `kind service operation` → count since the server started. */
export type ServerReading = Map<string, number>;

/** The server's own system namespace: its internal workflows (scanners, schedulers), not the calls'. */
const SYSTEM_NAMESPACE = 'temporal_system';

/**
 * Requests only an observer makes (the benchmark waiting for a workflow's result, listing and describing workflows,
 * reading histories to count them), left out of a call's work, at the frontend and where the frontend passes them on.
 * The engine makes one of them for a star-code transfer (its resolve asks whether the transferee's call workflow runs:
 * a describe), left out with them: one request of about a hundred. The persistence reads they cause cannot be told
 * apart: reads are shown, not counted on.
 */
const OBSERVER_OPERATIONS = new Set([
  'DescribeWorkflowExecution',
  'GetWorkflowExecutionHistory',
  'PollWorkflowExecutionHistory',
  'ListWorkflowExecutions',
  'CountWorkflowExecutions',
  'QueryWorkflow',
  'DescribeNamespace',
  'GetSystemInfo',
]);

export async function readServer(metricsUrl: string): Promise<ServerReading> {
  return serverReading(await (await fetch(metricsUrl)).text());
}

/** A reading from the server's metrics in Prometheus' text format. */
export function serverReading(text: string): ServerReading {
  const out: ServerReading = new Map();
  const add = (kind: string, labels: Record<string, string>, value: number) => {
    if (labels.namespace === SYSTEM_NAMESPACE) return;
    const key = `${kind} ${labels.service_name ?? '?'} ${labels.operation ?? '?'}`;
    out.set(key, (out.get(key) ?? 0) + value);
  };
  for (const s of metricSeries(text, 'service_requests'))
    if (!OBSERVER_OPERATIONS.has(s.labels.operation ?? '')) add('request', s.labels, s.value);
  for (const s of metricSeries(text, 'persistence_requests')) add('persistence', s.labels, s.value);
  return out;
}

/** `after − before`, series by series (a series missing from `before` counts from 0). */
export function difference(after: ServerReading, before: ServerReading): ServerReading {
  const out: ServerReading = new Map();
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d !== 0) out.set(key, d);
  }
  return out;
}

/** A call's work: its window's difference less an idle window's of the same length, never below 0 per series. */
export function callWork(during: ServerReading, idle: ServerReading): ServerReading {
  return new Map([...difference(during, idle)].filter(([, d]) => d > 0));
}

/** A persistence operation that writes (creates, updates, appends, deletes, completes) rather than reads. */
export function isWrite(operation: string): boolean {
  return /^(Create|Update|Upsert|Delete|Append|Complete|RangeComplete|RangeDelete|Put|Set|Add|Insert|Conflict|Record)/.test(
    operation,
  );
}

/** The kinds of work a reading's series count, in the order the tables list them. */
export const WORK_KINDS = ['request', 'persistence write', 'persistence read'] as const;

/** What a reading's series is: its kind of work, the service that did it, the operation. */
export interface Series {
  kind: (typeof WORK_KINDS)[number];
  service: string;
  operation: string;
}

/** A reading's key (`kind service operation`, as serverReading writes it) read back. */
export function seriesOf(key: string): Series {
  const [kind, service = '?', operation = '?'] = key.split(' ');
  return {
    kind: kind === 'request' ? 'request' : isWrite(operation) ? 'persistence write' : 'persistence read',
    service,
    operation,
  };
}

/** The figures the tables show of one call's work. */
export interface ServerTotals {
  /** Requests the frontend served (the SDKs' calls: signals, starts, polls, task completions). */
  frontend: number;
  /** Requests between the server's own services (frontend → history and matching, history → matching, …). */
  internal: number;
  persistenceWrites: number;
  persistenceReads: number;
}

export function totals(work: ServerReading): ServerTotals {
  const t: ServerTotals = { frontend: 0, internal: 0, persistenceWrites: 0, persistenceReads: 0 };
  for (const [key, value] of work) {
    const { kind, service } = seriesOf(key);
    if (kind === 'request') {
      if (service === 'frontend') t.frontend += value;
      else t.internal += value;
    } else if (kind === 'persistence write') t.persistenceWrites += value;
    else t.persistenceReads += value;
  }
  return t;
}

/** The mean of several calls' work, series by series. */
export function meanWork(works: readonly ServerReading[]): ServerReading {
  const out: ServerReading = new Map();
  for (const w of works) for (const [key, value] of w) out.set(key, (out.get(key) ?? 0) + value / works.length);
  return out;
}
