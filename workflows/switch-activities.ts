// The switch and policy activities as workflows call them: on the task queue of the node that hosts the legs, quick to
// time out (a dead node worker is noticed in seconds, not minutes) and retried with a short backoff.
//
// Timeouts, and what a dead node worker costs:
// - A command held by a node worker that dies is retried after NODE_WORKER_SILENCE, on the node's other worker (the
//   HA pair) or on the restarted one: a node worker's activities report that they are alive every half second while
//   they run (workers/heartbeat.ts). How long a command may take is a different question: a switch under load can
//   take a second a command, and the longest activity sends a few dozen, so a running one is given COMMAND_TIME.
// - A command waits in the queue while no node worker of its node runs (a single worker restarting), up to the
//   caller's `giveUpAfter`: a restart within that time fails nothing, it only delays. No schedule-to-start timeout
//   on purpose: with two node workers a queued command goes to the live one at once, and with one, such a timeout
//   shorter than its restart would only fail commands that could have waited.
// - An originate is never retried: see originateOnce.
import { ActivityFailure, ApplicationFailure, TimeoutFailure, proxyActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../activities/ingest.ts';
import type { PolicyActivities } from '../activities/policy.ts';
import type { SwitchActivities } from '../activities/switch.ts';
import { nodeTaskQueue } from '../contracts/ids.ts';

/** An activity held by a node worker that died (no heartbeat) is given to another after this. */
const NODE_WORKER_SILENCE = '2 seconds';
/** An activity still running after this is stuck (the ESL wrapper gives each command 5 s): it is tried again. */
const COMMAND_TIME = '20 seconds';
/** How long an originate waits for a node worker before the workflow knows it was not sent (and may send it). */
const ORIGINATE_WAITS_FOR_A_WORKER = '5 seconds';

export function switchActivities(node: string, opts: { giveUpAfter: '30 seconds' | '60 seconds' | '10 minutes' }) {
  return proxyActivities<SwitchActivities & PolicyActivities>({
    taskQueue: nodeTaskQueue(node),
    startToCloseTimeout: COMMAND_TIME,
    heartbeatTimeout: NODE_WORKER_SILENCE,
    scheduleToCloseTimeout: opts.giveUpAfter,
    retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '2 seconds' },
  });
}

/**
 * `bgapi originate` with one attempt: a retry cannot tell "the first one went out and its leg has already failed" from
 * "it never went out", and would dial the target twice with the same UUIDs. The workflow reads the outcome with
 * originateOutcome: when it is unknown it looks at the switch and at what the switch told it of the leg, and sends the
 * command again only when neither shows it ever went out (workflows/transfer.ts `dial`).
 */
export function originateOnce(node: string) {
  return proxyActivities<Pick<SwitchActivities, 'originateTarget'>>({
    taskQueue: nodeTaskQueue(node),
    startToCloseTimeout: COMMAND_TIME,
    heartbeatTimeout: NODE_WORKER_SILENCE,
    scheduleToStartTimeout: ORIGINATE_WAITS_FOR_A_WORKER,
    retry: { maximumAttempts: 1 },
  }).originateTarget;
}

/**
 * What a failed originate activity says about the command:
 * - `not_sent`: no node worker took it (schedule-to-start timeout): sending it now is safe;
 * - `refused`: the activity refused it before sending (an unsafe value): it never will be sent;
 * - `unknown`: it may have gone out (the worker died, the reply was lost, the command got stuck).
 */
export function originateOutcome(err: unknown): 'not_sent' | 'refused' | 'unknown' {
  if (!(err instanceof ActivityFailure)) return 'unknown';
  if (err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START') return 'not_sent';
  if (err.cause instanceof ApplicationFailure && err.cause.nonRetryable) return 'refused';
  return 'unknown';
}

/**
 * The node worker's ingest asked what it holds (activities/ingest.ts): it answers from memory at once, or not at all:
 * one attempt, given up after `giveUpAfterMs` (the asker waits no longer than that anyway).
 */
export function ingestActivities(node: string, giveUpAfterMs: number) {
  return proxyActivities<IngestActivities>({
    taskQueue: nodeTaskQueue(node),
    startToCloseTimeout: '2 seconds',
    scheduleToCloseTimeout: Math.max(giveUpAfterMs, 1000),
    retry: { maximumAttempts: 1 },
  });
}
