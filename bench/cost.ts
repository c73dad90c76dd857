// Temporal cost per call, read from the workflows' own histories: what each workflow received and scheduled.
import type { Client } from '@temporalio/client';

export interface HistoryCount {
  workflowId: string;
  status: string;
  /** WorkflowExecutionStarted: 1 per run (a signal-with-start, a child start or a continue-as-new). */
  starts: number;
  /** WorkflowExecutionSignaled (the ingest's signal-with-starts count here once each). */
  signals: number;
  /** WorkflowExecutionUpdateAccepted. */
  updates: number;
  /** WorkflowTaskCompleted. */
  workflowTasks: number;
  /** ActivityTaskScheduled. */
  activities: number;
  /** Retries hidden inside those activities (ActivityTaskStarted attempt − 1). */
  activityRetries: number;
  /** TimerStarted. */
  timers: number;
  /** StartChildWorkflowExecutionInitiated. */
  children: number;
  /** SignalExternalWorkflowExecutionInitiated. */
  signalsSent: number;
  /** UpsertWorkflowSearchAttributes. */
  upserts: number;
  /** MarkerRecorded (patch markers, side effects): shown apart, not counted among the actions. */
  markers: number;
  /** WorkflowTaskFailed or WorkflowTaskTimedOut (should be 0). */
  taskProblems: number;
  events: number;
  /** Every event: ms since the epoch and its type (from the attributes it carries). */
  timeline: { at: number; type: string }[];
}

export type HistoryEvent = Record<string, unknown>;

const has = (ev: HistoryEvent, attributes: string): boolean => ev[attributes] != null;

/** A history event's time (ms since the epoch), from the server's `eventTime`. */
export function eventTime(ev: HistoryEvent): number {
  const ts = ev['eventTime'] as { seconds?: unknown; nanos?: number } | null | undefined;
  const s = ts?.seconds;
  const seconds =
    typeof s === 'object' && s !== null && 'toNumber' in s ? (s as { toNumber(): number }).toNumber() : Number(s ?? 0);
  return seconds * 1000 + (ts?.nanos ?? 0) / 1e6;
}

/** A history event's type, as its attributes' name without `EventAttributes` (`workflowTaskStarted`). */
export function eventType(ev: HistoryEvent): string {
  const key = Object.keys(ev).find((k) => k.endsWith('EventAttributes') && ev[k] != null);
  return key ? key.slice(0, -'EventAttributes'.length) : 'unknown';
}

export async function countHistory(client: Client, workflowId: string): Promise<HistoryCount> {
  const handle = client.workflow.getHandle(workflowId);
  const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  const events = (history.events ?? []) as HistoryEvent[];
  const count = (attributes: string) => events.filter((ev) => has(ev, attributes)).length;
  const retries = events
    .map((ev) => ev['activityTaskStartedEventAttributes'] as { attempt?: number } | null | undefined)
    .reduce((s, a) => s + (a?.attempt && a.attempt > 1 ? a.attempt - 1 : 0), 0);
  return {
    workflowId,
    status: description.status.name,
    starts: count('workflowExecutionStartedEventAttributes'),
    signals: count('workflowExecutionSignaledEventAttributes'),
    updates: count('workflowExecutionUpdateAcceptedEventAttributes'),
    workflowTasks: count('workflowTaskCompletedEventAttributes'),
    activities: count('activityTaskScheduledEventAttributes'),
    activityRetries: retries,
    timers: count('timerStartedEventAttributes'),
    children: count('startChildWorkflowExecutionInitiatedEventAttributes'),
    signalsSent: count('signalExternalWorkflowExecutionInitiatedEventAttributes'),
    upserts: count('upsertWorkflowSearchAttributesEventAttributes'),
    markers: count('markerRecordedEventAttributes'),
    taskProblems: count('workflowTaskFailedEventAttributes') + count('workflowTaskTimedOutEventAttributes'),
    events: events.length,
    timeline: events.map((ev) => ({ at: eventTime(ev), type: eventType(ev) })),
  };
}

export function totalOf(label: string, counts: readonly HistoryCount[]): HistoryCount {
  const sum = (k: keyof HistoryCount) => counts.reduce((s, c) => s + (c[k] as number), 0);
  return {
    workflowId: label,
    status: `${counts.length} workflows`,
    starts: sum('starts'),
    signals: sum('signals'),
    updates: sum('updates'),
    workflowTasks: sum('workflowTasks'),
    activities: sum('activities'),
    activityRetries: sum('activityRetries'),
    timers: sum('timers'),
    children: sum('children'),
    signalsSent: sum('signalsSent'),
    upserts: sum('upserts'),
    markers: sum('markers'),
    taskProblems: sum('taskProblems'),
    events: sum('events'),
    timeline: [],
  };
}

/**
 * Temporal Cloud's billable actions as the histories show them: each workflow run started (the ingest's
 * signal-with-start, a child start), each signal and Update received, each search-attribute upsert, activity and timer.
 * A workflow-to-workflow signal counts once, where it is received. Workflow tasks are not actions (they are the
 * history service's and the workers' load, counted apart); markers are shown apart.
 */
export function actionsOf(c: HistoryCount): number {
  return c.starts + c.signals + c.updates + c.upserts + c.activities + c.timers;
}

/**
 * Actions per call at commit 961f9fe (bench/RESULTS.md of that commit, one ingest): plain 2 starts + 7 signals + 10
 * upserts; transferred 4 starts + 29 signals + 21 upserts + 7 activities + 9 timers. The HA pair's: the same plus the
 * second ingest's copy of every signal the ingest sent (7 and 25).
 */
export const BEFORE_961F9FE = {
  plain: { one: 19, pair: 26 },
  transferred: { one: 70, pair: 95 },
} as const;

export const COST_HEAD = [
  'workflow',
  'status',
  'signals in',
  'workflow tasks',
  'activities',
  'timers',
  'child wfs',
  'signals out',
  'SA upserts',
  'markers',
  'history events',
  'actions',
] as const;

export function costRow(c: HistoryCount, name = c.workflowId): (string | number)[] {
  return [
    name,
    c.status,
    c.signals + (c.updates ? ` (+${c.updates} upd)` : ''),
    c.workflowTasks + (c.taskProblems ? ` (${c.taskProblems} failed)` : ''),
    c.activities + (c.activityRetries ? ` (+${c.activityRetries} retries)` : ''),
    c.timers,
    c.children,
    c.signalsSent,
    c.upserts,
    c.markers,
    c.events,
    actionsOf(c),
  ];
}

/** The histories of several workflows merged on one clock, as text: `+ms  workflow  event`. */
export function mergedTimeline(counts: readonly HistoryCount[], names: (id: string) => string): string {
  const rows = counts.flatMap((c) => c.timeline.map((t) => ({ ...t, wf: names(c.workflowId) })));
  rows.sort((a, b) => a.at - b.at);
  const t0 = rows[0]?.at ?? 0;
  const width = Math.max(...rows.map((r) => r.wf.length));
  return rows.map((r) => `+${(r.at - t0).toFixed(0).padStart(6)} ms  ${r.wf.padEnd(width)}  ${r.type}`).join('\n');
}

function long(v: unknown): number {
  return typeof v === 'object' && v !== null && 'toNumber' in v
    ? (v as { toNumber(): number }).toNumber()
    : Number(v ?? 0);
}

/** For every timer that fired: how much later than asked (TimerFired − TimerStarted − startToFireTimeout), in ms. */
export async function timerLateness(client: Client, workflowId: string): Promise<number[]> {
  return (await timersFired(client, workflowId)).map((t) => t.lateMs);
}

/** Every timer of the workflow that fired: how long it was asked for, and how much later than that it fired (ms). */
export async function timersFired(client: Client, workflowId: string): Promise<{ askedMs: number; lateMs: number }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = (history.events ?? []) as HistoryEvent[];
  const started = new Map<number, { at: number; timeoutMs: number }>();
  const out: { askedMs: number; lateMs: number }[] = [];
  for (const ev of events) {
    const s = ev['timerStartedEventAttributes'] as {
      startToFireTimeout?: { seconds?: unknown; nanos?: number };
    } | null;
    if (s) {
      const d = s.startToFireTimeout;
      started.set(long(ev['eventId']), {
        at: eventTime(ev),
        timeoutMs: long(d?.seconds) * 1000 + (d?.nanos ?? 0) / 1e6,
      });
    }
    const f = ev['timerFiredEventAttributes'] as { startedEventId?: unknown } | null;
    if (f) {
      const st = started.get(long(f.startedEventId));
      if (st) out.push({ askedMs: st.timeoutMs, lateMs: eventTime(ev) - st.at - st.timeoutMs });
    }
  }
  return out;
}
