// The ESL ingest of one FreeSWITCH node: switch events → workflow signals, the live channels projection, and
// reconciliation on every (re)connect. See routing.ts for which channels are calls.
import type { Client } from '@temporalio/client';
import { ACTIVE_TRANSFER_VARIABLE, callIdFromWorkflowId, WORKFLOW_TASK_QUEUE } from '../../contracts/ids.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import { EslNode, quietLogger, type EslEvent, type EslNodeSpec, type Logger } from '../esl/index.ts';
import { FORWARDED_EVENTS, channelOwnership, toChannelEvent, type LegVariableNames } from './convert.ts';
import { CALL_WORKFLOW_TYPE, temporalSender } from './deliver.ts';
import { routeOriginateJob } from './jobs.ts';
import { ChannelMemory } from './memory.ts';
import { ProjectionWriter, type ChannelProjection } from './projection.ts';
import { DeliveryQueues, type Delivery } from './queue.ts';
import { reconcile, type ReconcileOptions, type ReconcileReport } from './reconcile.ts';
import { carriesVariables, routeFromEvent, type Route } from './routing.ts';
import { sweepTransfers, type TransferSweepReport } from './transfers.ts';
import { BatchSizes, newCounters, type IngestStats } from './stats.ts';
import { ingestDeliverySeconds } from '../../observability/metrics.ts';

export interface IngestOptions {
  node: EslNodeSpec;
  client: Client;
  /** The live channels projection; without it the ingest only signals. */
  store?: ChannelProjection;
  config: LegVariableNames;
  /**
   * The node's connections, shared with the switch-command activities. Without it the ingest opens its own
   * (and closes them on stop).
   */
  esl?: EslNode;
  logger?: Logger;
  /** How long a channel's routing and dedup state outlive its hangup. */
  graceMs?: number;
  maxInFlight?: number;
  /** The call workflows' task queue (default WORKFLOW_TASK_QUEUE); tests use their own. */
  taskQueue?: string;
  /** How often transfers ended by hand are looked for (transfers.ts), besides every reconnect; 0: only then. */
  transferSweepMs?: number;
  /**
   * How often the node is reconciled while connected (reconcile.ts), besides every connect: a call workflow whose
   * hangup was lost ends within this. 0: only on connect.
   */
  reconcileMs?: number;
}

export interface Ingest {
  readonly esl: EslNode;
  /** Resolves after the first successful reconciliation. */
  ready(timeoutMs?: number): Promise<void>;
  reconcile(opts?: ReconcileOptions): Promise<ReconcileReport>;
  /** Resolves when every event received so far has been delivered (or dropped). */
  idle(): Promise<void>;
  stats(): IngestStats;
  stop(): Promise<void>;
}

export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const logger = opts.logger ?? quietLogger;
  const node = opts.node.name;
  const ownEsl = !opts.esl;
  const esl = opts.esl ?? new EslNode(opts.node, { logger });
  const counters = newCounters();
  const batchSizes = new BatchSizes();
  const memory = new ChannelMemory({ graceMs: opts.graceMs });
  const projection = new ProjectionWriter({
    store: opts.store,
    node,
    defaultAccountId: opts.config.DEFAULT_ACCOUNT_ID,
    logger,
    onError: () => counters.projectionErrors++,
    // The writes held while the store was away were dropped: the switch's `show channels` rewrites the node's rows
    // (retried until the store answers).
    onOverflow: () => requestReconcile({}),
  });
  const queues = new DeliveryQueues({
    send: temporalSender({
      client: opts.client,
      node,
      taskQueue: opts.taskQueue ?? WORKFLOW_TASK_QUEUE,
      counters,
      logger,
      // After a completed transfer its target leg is a call like any other (its DTMF carry no variables, so the
      // route learnt during the transfer would otherwise stick). The events go back at the head of their queue.
      onTransferGone: (batch) => {
        endedTransfers.add(batch.workflowId);
        // A party's copy is dropped: its call workflow had the original.
        if (batch.party) return [];
        return batch.events.map((event) => {
          memory.setRoute(event.uuid, { kind: 'call', fromTransfer: batch.workflowId });
          return adoptedDelivery(event, batch.events);
        });
      },
    }),
    maxInFlight: opts.maxInFlight,
    logger,
    onBatch: (b) => {
      if (b.kind !== 'originate') batchSizes.record(b.events.length);
    },
    onDelivered: (waitedMs) => ingestDeliverySeconds.observe({ node }, waitedMs / 1000),
  });

  /** Transfers known to have ended; bounded (oldest first out). */
  const endedTransfers = new BoundedSet(10_000);

  // A hangup alone of a leg that had no call of its own starts no workflow (the channel is gone).
  function adoptedDelivery(event: ChannelEvent, batch: readonly ChannelEvent[]): Delivery {
    const signalOnly = batch.every((e) => e.name === 'CHANNEL_HANGUP_COMPLETE');
    return { kind: 'call', uuid: event.uuid, event, signalOnly };
  }

  function onEvent(evt: EslEvent): void {
    counters.received++;
    const name = evt['Event-Name'] ?? '';
    if (name === 'BACKGROUND_JOB') return onJob(evt);
    const uuid = evt['Unique-ID'];
    if (!uuid || !FORWARDED_EVENTS.has(name)) {
      counters.ignored++;
      return;
    }
    if (!memory.accept(uuid, evt['Core-UUID'] ?? '', Number(evt['Event-Sequence'] ?? 0) || 0)) {
      counters.deduplicated++;
      return;
    }
    const route = learnRoute(uuid, evt);
    const event = toChannelEvent(evt, node, opts.config);
    if (!event) return;
    const hungUp = name === 'CHANNEL_HANGUP_COMPLETE';
    if (hungUp) memory.ended(uuid, Date.now());
    switch (route.kind) {
      case 'ignore':
        counters.ignored++;
        return;
      case 'call':
        if (route.fromTransfer) {
          queues.push(uuid, adoptedDelivery(event, [event]));
          break;
        }
        projection.apply(event, carriesVariables(evt) ? channelOwnership(evt, opts.config) : undefined);
        sendToActiveTransfer(uuid, evt, event);
        queues.push(uuid, { kind: 'call', uuid, event });
        break;
      case 'transfer':
        if (hungUp) projection.channelEnded(uuid, event.at);
        queues.push(uuid, { kind: 'transfer', workflowId: route.workflowId, event });
        break;
    }
    counters.forwarded++;
  }

  /**
   * A transferor's or transferee's hangup and bridges go straight to its transfer (the leg carries
   * handoff_active_transfer while one runs), on a queue of their own: one hop less than through the leg's call
   * workflow, and the transfer hears its parties even if a call workflow is lost. `alsoTo` tells the call workflow.
   */
  function sendToActiveTransfer(uuid: string, evt: EslEvent, event: ChannelEvent): void {
    if (event.name !== 'CHANNEL_HANGUP_COMPLETE' && event.name !== 'CHANNEL_BRIDGE') return;
    const transferId = evt[`variable_${ACTIVE_TRANSFER_VARIABLE}`];
    if (!transferId || endedTransfers.has(transferId)) return;
    event.alsoTo = transferId;
    queues.push(`party:${uuid}`, { kind: 'transfer', workflowId: transferId, event, party: true });
  }

  // Events without variables (DTMF) cannot say where they go: the channel's earlier events did.
  function learnRoute(uuid: string, evt: EslEvent): Route {
    let proven = routeFromEvent(evt);
    if (proven?.kind === 'transfer' && endedTransfers.has(proven.workflowId))
      proven = { kind: 'call', fromTransfer: proven.workflowId };
    if (proven) {
      memory.setRoute(uuid, proven);
      return proven;
    }
    const known = memory.route(uuid);
    if (known) return known;
    logger.debug('ingest: event for a channel not seen before, taken as a call', { uuid, name: evt['Event-Name'] });
    return { kind: 'call' };
  }

  function onJob(evt: EslEvent): void {
    const routed = routeOriginateJob(evt);
    if (!routed) {
      counters.ignored++;
      return;
    }
    counters.jobsRouted++;
    // Same queue as the target leg's own events, so the transfer sees them in the order the switch sent them.
    const key = routed.legUuid ?? `job:${routed.result.jobUuid}`;
    queues.push(key, { kind: 'originate', workflowId: routed.workflowId, result: routed.result });
  }

  async function listRunningCalls(): Promise<Set<string>> {
    const ids = new Set<string>();
    // Node names are [A-Za-z0-9_-] (config), so they need no escaping in the query.
    const query = `WorkflowType = '${CALL_WORKFLOW_TYPE}' AND HandoffNode = '${node}' AND ExecutionStatus = 'Running'`;
    for await (const wf of opts.client.workflow.list({ query })) {
      const callId = callIdFromWorkflowId(wf.workflowId);
      if (callId) ids.add(callId);
    }
    return ids;
  }

  const resumedTransfers = new Map<string, number>();
  /** Transfers: an audit after a reconnect, and a resumption of those ended by hand. Never fails the reconcile. */
  async function runTransferSweep(audit: boolean): Promise<TransferSweepReport | undefined> {
    try {
      const report = await sweepTransfers(
        {
          client: opts.client,
          node,
          taskQueue: opts.taskQueue ?? WORKFLOW_TASK_QUEUE,
          logger,
          resumed: resumedTransfers,
        },
        { audit },
      );
      counters.transfersAudited += report.audited;
      counters.transfersResumed += report.resumed;
      if (report.audited || report.endedByHand) logger.info(`ingest ${node}: transfers`, { ...report });
      return report;
    } catch (err) {
      counters.transferSweepFailures++;
      logger.warn(`ingest ${node}: transfer sweep failed`, { error: String(err) });
      return undefined;
    }
  }

  async function runReconcile(ro: ReconcileOptions = {}): Promise<ReconcileReport> {
    try {
      const report = await reconcile(
        {
          node,
          names: opts.config,
          api: (cmd) => esl.api(cmd),
          listRunningCalls,
          memory,
          projection,
          enqueue: (key, d) => {
            counters[d.kind === 'call' && d.event.name === 'GONE' ? 'gones' : 'snapshots']++;
            queues.push(key, d);
          },
          logger,
        },
        ro,
      );
      counters.reconciles++;
      logger.info(`ingest ${node}: reconciled`, { ...report });
      // After a connect, transfers audit their legs too (the periodic transfer sweep looks for the rest).
      if (ro.snapshotRunning) await runTransferSweep(true);
      return report;
    } catch (err) {
      counters.reconcileFailures++;
      throw err;
    }
  }

  // Reconcile on every connect and every reconcileMs; one at a time, and again if a connect happened while one ran.
  let stopped = false;
  let reconciling: Promise<void> | undefined;
  let again: ReconcileOptions | undefined;
  let resolveReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));

  function onConnected(): void {
    // Events may have been missed while nobody listened, also before this process's first connect (it restarted):
    // running call workflows get a SNAPSHOT and running transfers audit their legs, every time.
    requestReconcile({ snapshotRunning: true });
  }

  function requestReconcile(ro: ReconcileOptions): void {
    if (stopped || !esl.eventConnection.connected) return;
    if (reconciling) {
      again = { snapshotRunning: (again?.snapshotRunning ?? false) || !!ro.snapshotRunning };
      return;
    }
    reconciling = reconcileWithRetry(ro);
  }

  async function reconcileWithRetry(ro: ReconcileOptions): Promise<void> {
    for (let attempt = 0; !stopped && esl.eventConnection.connected; attempt++) {
      try {
        await runReconcile(ro);
        resolveReady();
        break;
      } catch (err) {
        const delay = Math.min(10_000, 500 * 2 ** attempt);
        logger.warn(`ingest ${node}: reconciliation failed, again in ${delay} ms`, { error: String(err) });
        await sleep(delay);
      }
    }
    reconciling = undefined;
    if (again && !stopped) {
      const next = again;
      again = undefined;
      reconciling = reconcileWithRetry(next);
    }
  }

  const sweeper = setInterval(() => memory.sweep(Date.now()), Math.max(1000, (opts.graceMs ?? 60_000) / 2));
  sweeper.unref();
  let transferSweeping = false;
  const transferSweeper =
    opts.transferSweepMs && opts.transferSweepMs > 0
      ? setInterval(() => {
          if (transferSweeping || stopped || !esl.eventConnection.connected) return;
          transferSweeping = true;
          void runTransferSweep(false).finally(() => (transferSweeping = false));
        }, opts.transferSweepMs)
      : undefined;
  transferSweeper?.unref();
  // While connected, events can still be lost (mod_event_socket drops them for a listener that falls behind): a
  // periodic reconcile ends the call workflows whose hangup never came. Cheap: it sends nothing when all agree.
  const reconciler =
    opts.reconcileMs && opts.reconcileMs > 0
      ? setInterval(() => {
          if (!reconciling && !stopped && esl.eventConnection.connected) requestReconcile({});
        }, opts.reconcileMs)
      : undefined;
  reconciler?.unref();
  esl.on('event', onEvent);
  esl.on('connected', onConnected);
  if (ownEsl) esl.start();
  else if (esl.eventConnection.connected) onConnected();

  return {
    esl,
    ready: (timeoutMs = 30_000) =>
      Promise.race([
        readyPromise,
        sleep(timeoutMs).then(() => {
          throw new Error(`ingest ${node}: not reconciled within ${timeoutMs} ms`);
        }),
      ]),
    reconcile: (ro) => runReconcile(ro),
    idle: async () => {
      await queues.idle();
      await projection.flushed();
    },
    stats: () => ({
      ...counters,
      ...batchSizes.snapshot(),
      queueDepth: queues.depth,
      channelsRemembered: memory.size,
      projectionBuffered: projection.buffered,
      projectionDropped: projection.dropped,
    }),
    async stop() {
      stopped = true;
      esl.off('event', onEvent);
      esl.off('connected', onConnected);
      clearInterval(sweeper);
      if (transferSweeper) clearInterval(transferSweeper);
      if (reconciler) clearInterval(reconciler);
      // Let what is queued leave (bounded), then drop the rest: the next ingest's reconciliation covers it.
      await Promise.race([queues.idle(), sleep(2000)]);
      const dropped = queues.stop();
      if (dropped) logger.warn(`ingest ${node}: stopped with ${dropped} undelivered events`);
      await Promise.race([reconciling?.catch(() => undefined), sleep(2000)]);
      const unwritten = await projection.stop(2000);
      if (unwritten) logger.warn(`ingest ${node}: stopped with ${unwritten} channel projection writes unwritten`);
      if (ownEsl) await esl.close();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    return this.items.has(key);
  }
  add(key: string): void {
    this.items.delete(key);
    this.items.add(key);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as string);
  }
}
