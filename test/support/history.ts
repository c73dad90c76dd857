// Workflows' histories, read by e2e tests that must know when to go on (a timer fired, digits arrived): the setup's
// own waits. What a caller hears is asserted from ESL, as on a real switch; what the engine did (its activities and
// their attempts) may be read here too.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { callWorkflowId } from '../../contracts/ids.ts';
import { channelEventsSignal, type ChannelEvent } from '../../contracts/messages.ts';
import type { Engine } from './engine.ts';
import { eventually, sleep } from './poll.ts';

export type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
export const EventType = proto.temporal.api.enums.v1.EventType;
type EventTypeValue = proto.temporal.api.enums.v1.EventType;

/** Waits until the leg's call workflow history satisfies `pred`. */
export async function historyReaches(
  e: Engine,
  leg: string,
  pred: (events: HistoryEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  await workflowHistoryReaches(e.client.workflow.getHandle(callWorkflowId(leg)), pred, timeoutMs);
}

/** Waits until a workflow's history satisfies `pred`, and returns that history's events. */
export async function workflowHistoryReaches(
  handle: { workflowId: string; fetchHistory(): Promise<{ events?: HistoryEvent[] | null }> },
  pred: (events: HistoryEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<HistoryEvent[]> {
  return eventually(
    `${handle.workflowId}'s history to get there`,
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      return pred(events) ? events : undefined;
    },
    { timeoutMs },
  );
}

/** Waits up to 15 s for a leg's call workflow to end. */
export async function callEnded(e: Engine, leg: string): Promise<void> {
  const result = e.client.workflow.getHandle(callWorkflowId(leg)).result();
  await Promise.race([result.catch(() => undefined), sleep(15_000)]);
}

/** The channel events a call workflow was signalled (`channelEvents`, the ingest's batches), in order. */
export function signalledChannelEvents(events: HistoryEvent[]): ChannelEvent[] {
  return events.flatMap((ev) => {
    const signaled = ev.workflowExecutionSignaledEventAttributes;
    const data = signaled?.signalName === channelEventsSignal.name ? signaled.input?.payloads?.[0]?.data : undefined;
    return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as ChannelEvent[]) : [];
  });
}

/** The DTMF digits the workflow was signalled, in order. */
export function signalledDigits(events: HistoryEvent[]): string {
  return signalledChannelEvents(events)
    .filter((ev) => ev.name === 'DTMF')
    .map((ev) => ev.digit ?? '')
    .join('');
}

/** What an event says of itself in the Temporal UI (a timer's or an activity's summary), if anything. */
export function summaryOf(ev: HistoryEvent): string | undefined {
  const data = ev.userMetadata?.summary?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : undefined;
}

/** Timers started and neither fired nor cancelled. */
export function timersRunning(events: HistoryEvent[]): number {
  const count = (type: EventTypeValue) => events.filter((ev) => ev.eventType === type).length;
  return (
    count(EventType.EVENT_TYPE_TIMER_STARTED) -
    count(EventType.EVENT_TYPE_TIMER_FIRED) -
    count(EventType.EVENT_TYPE_TIMER_CANCELED)
  );
}

/** The last event of this type comes after the last signal, and a completed workflow task after it. */
export function handledAfterSignals(events: HistoryEvent[], type: EventTypeValue): boolean {
  const types = events.map((ev) => ev.eventType);
  const lastSignal = types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  const at = types.lastIndexOf(type);
  return at > lastSignal && types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, at) > at;
}

/** A workflow task that started after the last signal has completed: the workflow took every signal so far. */
export function signalsTaken(events: HistoryEvent[]): boolean {
  const types = events.map((ev) => ev.eventType);
  const lastSignal = types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  const started = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, lastSignal);
  return started > lastSignal && types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, started) > started;
}

/** Whether a workflow of this ID exists, running or closed (a leg whose call workflow never started has none). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The activities a workflow's history shows run, each with its activity type and the attempt that completed it. */
export async function activityAttempts(e: Engine, workflowId: string): Promise<[string, number][]> {
  const events = (await e.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const types = new Map<string, string>();
  const attempts: [string, number][] = [];
  for (const ev of events) {
    const scheduled = ev.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(String(ev.eventId), scheduled.activityType?.name ?? '?');
    const started = ev.activityTaskStartedEventAttributes;
    if (started) attempts.push([types.get(String(started.scheduledEventId)) ?? '?', started.attempt ?? 1]);
  }
  return attempts;
}
