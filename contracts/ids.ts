// Deterministic IDs. Every process derives the same ID from the same leg UUIDs, which is what makes starts
// idempotent (signal-with-start, child start) and the one-transfer-per-pair claim atomic.

/** The call workflow of one leg: Kazoo's call-id is the FreeSWITCH channel UUID. */
export function callWorkflowId(callId: string): string {
  return `call:${callId}`;
}

export function callIdFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith('call:') ? workflowId.slice('call:'.length) : undefined;
}

/** One transfer per pair of legs at a time: the ID is the pair, in a fixed order, whoever asks first. */
export function transferWorkflowId(legA: string, legB: string): string {
  const [first, second] = legA < legB ? [legA, legB] : [legB, legA];
  return `transfer:${first}:${second}`;
}

/**
 * One key press on one switch run (Core-UUID and Event-Sequence): the last key of a transfer code, by which a transfer
 * acts on the code once, whether its transferor's call workflow or its own copy of the press brought it first.
 */
export function keyPressId(event: { coreUuid: string; seq: number }): string {
  return `${event.coreUuid}/${event.seq}`;
}

/** The two legs (transferor and transferee, in the ID's order) of a transfer workflow ID; undefined if it is none. */
export function parseTransferId(workflowId: string): [string, string] | undefined {
  const m = /^transfer:([^:]+):([^:]+)$/.exec(workflowId);
  return m ? [m[1]!, m[2]!] : undefined;
}

/** The task queue whose workers run the switch commands of one FreeSWITCH node. */
export function nodeTaskQueue(node: string): string {
  return `handoff-node-${node}`;
}

/**
 * The workflow task timeout of call and transfer workflows: a task held by a workflow worker that died is handed to
 * another worker after this (Temporal's default is 10 s, and a caller waits on it). A task that really runs longer is
 * retried as if its worker had died, so workflow code must keep each task short (it does: no loop without an await).
 */
export const WORKFLOW_TASK_TIMEOUT = '2 seconds';

/**
 * Workflow tasks a workflow worker takes at once (WORKFLOW_TASK_SLOTS): enough to keep its one workflow thread busy
 * while a finished task's answer travels, few enough that the tasks it holds all run within WORKFLOW_TASK_TIMEOUT.
 */
export const DEFAULT_WORKFLOW_TASK_SLOTS = 2;

/**
 * Workflow tasks a workflow worker may take at once while the machine has CPU to spare (WORKFLOW_TASK_SLOTS_MAX; not
 * above DEFAULT_WORKFLOW_TASK_SLOTS: fixed slots).
 */
export const DEFAULT_WORKFLOW_TASK_SLOTS_MAX = 0;

/** The machine's CPU use (0–1) under which a workflow worker takes slots above WORKFLOW_TASK_SLOTS (WORKFLOW_TASK_SLOTS_CPU). */
export const DEFAULT_WORKFLOW_TASK_SLOTS_CPU = 0.8;

/**
 * How long a workflow task's code may run without yielding before the task fails as a potential deadlock
 * (WORKFLOW_DEADLOCK_TIMEOUT_MS): the SDK's own value.
 */
export const DEFAULT_WORKFLOW_DEADLOCK_TIMEOUT_MS = 5000;

/**
 * The machine's memory use (0–1) under which a workflow worker with the resource-based slot supplier takes slots above
 * WORKFLOW_TASK_SLOTS: the supplier needs a target; the workflow cache, not the slots, is what grows its memory.
 */
export const WORKFLOW_WORKER_MEMORY_TARGET = 0.9;

/**
 * ESL connections a node worker opens for the calls' commands on each node (ESL_COMMAND_CONNECTIONS). FreeSWITCH runs
 * one `api` at a time per connection, so a slow command (`api originate` runs until the call is answered) holds up only the
 * commands behind it on its connection, and one that misses its deadline fails only that connection's commands.
 */
export const DEFAULT_ESL_COMMAND_CONNECTIONS = 4;

/** Workflows (and database-only activities) run on one shared queue: their workers are stateless. */
export const WORKFLOW_TASK_QUEUE = 'handoff';

/** The channel variable a transfer puts on the legs it originates, so that the ingest routes their events to it. */
export const TRANSFER_ID_VARIABLE = 'handoff_transfer_id';

/**
 * The channel variable on a leg whose call workflow runs while call workflows start on demand (CALL_WORKFLOWS):
 * every later event of the leg that carries variables tells any ingest, even one started since, to deliver it.
 */
export const CALL_WORKFLOW_VARIABLE = 'handoff_call_workflow';

/** The channel variable a transfer puts on the two legs it holds (transferor, transferee) while it runs. */
export const ACTIVE_TRANSFER_VARIABLE = 'handoff_active_transfer';

/**
 * The channel variable a transfer puts on its transferee alone while it runs (the value: the transfer's ID). A
 * CHANNEL_BRIDGE carries only its own leg's variables, so this is how the ingest tells the transferee's bridge to the
 * target (which the transfer's end reports to the transferee's call workflow) from the transferor's.
 */
export const TRANSFEREE_VARIABLE = 'handoff_transferee_of';

/**
 * The conference of a transfer's three-way: one per transfer, named after its target leg (a fresh UUID), so that a
 * later transfer of the same legs never meets an old one. mod_conference destroys it when its last member leaves.
 */
export function threeWayConference(targetLeg: string): string {
  return `handoff-3way-${targetLeg}`;
}
