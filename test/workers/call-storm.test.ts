// Call storms: above its rate limits Temporal's frontend answers RESOURCE_EXHAUSTED. A dev server of this file's own
// runs with a low per-namespace rate; the ingest's delivery (queue.ts with the real sender, deliver.ts, over a client
// made as the node worker makes the ingest's) takes a flood of new calls' events, then a key press and a hangup of two
// calls already up. Those two must not wait for the flood; every channel's events must reach its workflow, all of
// them, in switch order, and the ingest must have backed off (fewer channels at once than its maximum).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../config/index.ts';
import { callWorkflowId } from '../../contracts/ids.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { startDevServer, waitForTemporal, type DevServer } from '../../scripts/lib/temporal-dev-server.ts';
import { connectClient } from '../../temporal/connection.ts';
import { temporalSender } from '../../workers/ingest/deliver.ts';
import { DeliveryQueues, type Batch } from '../../workers/ingest/queue.ts';
import { newCounters } from '../../workers/ingest/stats.ts';
import { nodeName, startRecorders } from './ingest-harness.ts';
import { testLogger as logger } from './silent-logger.ts';

/** Requests per second the frontend takes for the namespace (Temporal's default is 2400). */
const NAMESPACE_RPS = 20;
/** New calls in the storm: one signal-with-start each, several seconds' worth of the rate above. */
const FLOOD = 200;
/** The ingest's maximum of signals in flight (production: 128; the flood is larger than it, as a storm would be). */
const MAX_IN_FLIGHT = 32;

interface Context {
  server: DevServer;
  config: Config;
  /** The ingest's kind of client: RESOURCE_EXHAUSTED is the queue's to handle. */
  client: Client;
  /** An ordinary client (it retries RESOURCE_EXHAUSTED itself), to read the histories back. */
  reader: Client;
}

const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-storm-'));
  const server = await startDevServer({
    cli: process.env.TEMPORAL_CLI,
    logFile: path.join(dir, 'temporal.log'),
    dynamicConfig: { 'frontend.namespaceRPS': NAMESPACE_RPS, 'frontend.namespaceBurstRatio': 1 },
  });
  await waitForTemporal(server.address);
  const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: server.address });
  const { client } = await connectClient(config, { retryWhenThrottled: false });
  const { client: reader } = await connectClient(config);
  t.context = { server, config, client, reader };
});

test.after.always(async (t) => {
  await t.context.client?.connection.close().catch(() => undefined);
  await t.context.reader?.connection.close().catch(() => undefined);
  await t.context.server?.stop();
});

const coreUuid = 'core-storm';
let seq = 0;
function event(uuid: string, name: ChannelEvent['name'], extra: Partial<ChannelEvent> = {}): ChannelEvent {
  seq++;
  return { name, uuid, coreUuid, seq, at: Date.now(), node: 'storm', ...extra };
}

/** The channel events the workflow `callId` was signalled with, in the order its history holds them. */
async function signalled(client: Client, uuid: string): Promise<number[]> {
  const history = await client.workflow.getHandle(callWorkflowId(uuid)).fetchHistory();
  const seqs: number[] = [];
  for (const e of history.events ?? []) {
    for (const p of e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []) {
      const events = JSON.parse(Buffer.from(p.data!).toString('utf8')) as ChannelEvent[];
      seqs.push(...events.map((ev) => ev.seq));
    }
  }
  return seqs;
}

test('a storm over the rate limit: hangups and key presses go first; nothing lost or out of order', async (t) => {
  t.timeout(180_000);
  const { client, reader } = t.context;
  const node = nodeName();
  const counters = newCounters();
  let throttled = 0;
  let lowestLimit = Infinity;
  const deliveredAt = new Map<string, number>();
  const sender = temporalSender({ client, node, taskQueue: `storm-${node}`, counters, logger });
  const queues: DeliveryQueues = new DeliveryQueues({
    logger,
    maxInFlight: MAX_IN_FLIGHT,
    send: async (batch: Batch) => {
      await sender(batch);
      if (batch.kind === 'call') deliveredAt.set(batch.uuid, performance.now());
    },
    onThrottled: () => {
      throttled++;
      lowestLimit = Math.min(lowestLimit, queues.sendLimit);
    },
  });
  const pushed = new Map<string, number[]>();
  const push = (ev: ChannelEvent) => {
    pushed.set(ev.uuid, [...(pushed.get(ev.uuid) ?? []), ev.seq]);
    queues.push(ev.uuid, { kind: 'call', uuid: ev.uuid, event: ev });
  };

  // Two calls already up, their workflows started.
  const pressing = `${node}-pressing`;
  const leaving = `${node}-leaving`;
  for (const uuid of [pressing, leaving]) {
    push(event(uuid, 'CHANNEL_CREATE'));
    push(event(uuid, 'CHANNEL_ANSWER'));
  }
  await queues.idle();

  // The storm: new calls, each a create and an answer (one signal-with-start per call).
  const flood = Array.from({ length: FLOOD }, (_, i) => `${node}-new-${i}`);
  const stormStart = performance.now();
  for (const uuid of flood) {
    push(event(uuid, 'CHANNEL_CREATE'));
    push(event(uuid, 'CHANNEL_ANSWER'));
  }
  // Half a second into it, the two calls already up: a key press, a hangup.
  await new Promise((r) => setTimeout(r, 500));
  const askedAt = performance.now();
  push(event(pressing, 'DTMF', { digit: '5' }));
  push(event(leaving, 'CHANNEL_HANGUP_COMPLETE', { hangupCause: 'NORMAL_CLEARING' }));
  await queues.idle();
  const stormEnd = Math.max(...flood.map((uuid) => deliveredAt.get(uuid) ?? 0));

  const pressWait = deliveredAt.get(pressing)! - askedAt;
  const hangupWait = deliveredAt.get(leaving)! - askedAt;
  const floodDelivered = (at: number) => flood.filter((uuid) => (deliveredAt.get(uuid) ?? Infinity) <= at).length;
  t.log(
    `storm of ${FLOOD} calls at ${NAMESPACE_RPS} req/s: delivered in ${((stormEnd - stormStart) / 1000).toFixed(1)} s; ` +
      `${throttled} RESOURCE_EXHAUSTED; ${counters.signalRetries} retries; channels at once down to ${lowestLimit}; ` +
      `key press delivered after ${pressWait.toFixed(0)} ms (${floodDelivered(deliveredAt.get(pressing)!)} of the ` +
      `flood before it), hangup after ${hangupWait.toFixed(0)} ms (${floodDelivered(deliveredAt.get(leaving)!)})`,
  );
  t.true(throttled > 0, 'the server refused some signals: it was a storm');
  t.true(lowestLimit < MAX_IN_FLIGHT, 'the ingest backed off: fewer channels at once');
  // Not starved: each reached Temporal while most of the flood still waited.
  for (const [what, at] of [
    ['key press', deliveredAt.get(pressing)!],
    ['hangup', deliveredAt.get(leaving)!],
  ] as const) {
    t.true(floodDelivered(at) < FLOOD / 2, `the ${what} waited for ${floodDelivered(at)} of ${FLOOD} new calls`);
  }

  // Nothing lost, nothing out of order: every workflow's signals hold its channel's events as pushed.
  for (const uuid of [pressing, leaving, ...flood]) {
    t.deepEqual(await signalled(reader, uuid), pushed.get(uuid), uuid);
  }
});

/** Legs pressing keys without end in the test below (each 50 a second), and for how long. */
const FLOOD_LEGS = 20;
const FLOOD_S = 12;
/** Within this of its hangup a quiet leg's workflow must have ended, though the flood goes on long after. */
const QUIET_WITHIN_MS = 8_000;

test.serial('a flood of key presses leaves Temporal to the other callers: their workflows still run', async (t) => {
  // Temporal's frontend serves signals before the workers' polls and completions, and charges them to their budget:
  // an ingest that signals up to the namespace's limit leaves no workflow task to anyone, the quiet caller's included.
  t.timeout(240_000);
  const { config, client, reader } = t.context;
  const recorders = await startRecorders({ config });
  try {
    const node = nodeName();
    const counters = newCounters();
    const sender = temporalSender({ client, node, taskQueue: recorders.taskQueue, counters, logger });
    let lowestPace = Infinity;
    const queues = new DeliveryQueues({
      logger,
      send: sender,
      onPace: (pace) => (lowestPace = Math.min(lowestPace, pace)),
    });
    const pushed = new Map<string, number[]>();
    const push = (ev: ChannelEvent) => {
      pushed.set(ev.uuid, [...(pushed.get(ev.uuid) ?? []), ev.seq]);
      queues.push(ev.uuid, { kind: 'call', uuid: ev.uuid, event: ev });
    };
    const quiet = `${node}-quiet`;
    const flooding = Array.from({ length: FLOOD_LEGS }, (_, i) => `${node}-flood-${i}`);
    for (const uuid of [quiet, ...flooding]) {
      push(event(uuid, 'CHANNEL_CREATE'));
      push(event(uuid, 'CHANNEL_ANSWER'));
    }
    await queues.idle();

    const floodStart = Date.now();
    const presses = setInterval(() => {
      for (const uuid of flooding) for (let k = 0; k < 5; k++) push(event(uuid, 'DTMF', { digit: '0' }));
    }, 100);
    await new Promise((r) => setTimeout(r, 3000));
    // The quiet caller presses a key and hangs up: its workflow ends once a workflow task has taken them.
    const askedAt = Date.now();
    push(event(quiet, 'DTMF', { digit: '5' }));
    push(event(quiet, 'CHANNEL_HANGUP_COMPLETE', { hangupCause: 'NORMAL_CLEARING' }));
    await new Promise((r) => setTimeout(r, floodStart + FLOOD_S * 1000 - Date.now()));
    clearInterval(presses);
    const floodEnd = Date.now();
    for (const uuid of flooding) push(event(uuid, 'CHANNEL_HANGUP_COMPLETE', { hangupCause: 'NORMAL_CLEARING' }));
    await queues.idle();

    const closed = (await reader.workflow.getHandle(callWorkflowId(quiet)).describe()).closeTime?.getTime();
    await Promise.all(flooding.map((uuid) => reader.workflow.getHandle(callWorkflowId(uuid)).result()));
    t.log(
      `${FLOOD_LEGS} legs at 50 key presses/s for ${FLOOD_S} s at ${NAMESPACE_RPS} req/s: the quiet leg's workflow ` +
        `ended ${closed === undefined ? 'never' : `${closed - askedAt} ms`} after its hangup was pushed ` +
        `(the flood ended ${floodEnd - askedAt} ms after it); signals paced down to ${lowestPace.toFixed(1)}/s; ` +
        `${counters.signalsSent} signals, ${counters.signalRetries} refused and retried`,
    );
    t.true(closed !== undefined && closed - askedAt < QUIET_WITHIN_MS, 'the quiet leg waited for the flood');
    // Nothing lost, nothing out of order.
    for (const uuid of [quiet, ...flooding]) t.deepEqual(await signalled(reader, uuid), pushed.get(uuid), uuid);
  } finally {
    await recorders.stop();
  }
});
