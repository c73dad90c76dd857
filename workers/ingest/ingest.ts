// The ESL ingest of one FreeSWITCH node: switch events → workflow signals, the live channels projection, and
// reconciliation on every (re)connect. This file wires the parts: events.ts routes each event (routing.ts says which
// channels are calls), queue.ts and deliver.ts deliver them in order, schedule.ts says when the node is reconciled.
import type { Client } from '@temporalio/client';
import type { LegPolicy } from '../../activities/policy.ts';
import type { KeyPressesHeld } from '../../activities/types.ts';
import { CALL_WORKFLOW_VARIABLE, WORKFLOW_TASK_QUEUE } from '../../contracts/ids.ts';
import { EslNode, quietLogger, type EslEvent, type EslNodeSpec, type Logger } from '../esl/index.ts';
import type { LegVariableNames } from './convert.ts';
import { temporalSender } from './deliver.ts';
import { CLOCKS_APART_MS } from './code-hold.ts';
import { EventRouter } from './events.ts';
import { ChannelMemory } from './memory.ts';
import { OnDemandCalls, type MetaflowSource } from './on-demand.ts';
import { ProjectionWriter, type ChannelProjection } from './projection.ts';
import { DeliveryQueues, type BatchSender, type Delivery } from './queue.ts';
import type { ReconcileOptions, ReconcileReport } from './reconcile.ts';
import { ReconcileSchedule, sleep } from './schedule.ts';
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
  /**
   * CALL_WORKFLOWS=on_demand: a leg's call workflow starts only when a binding digit of its metaflows (read from
   * `metaflows`, kept `cacheMs`) is pressed on it while bridged (on-demand.ts). Absent: every call leg has one.
   */
  onDemand?: { metaflows: MetaflowSource; cacheMs: number };
  /** Faults between the ingest and Temporal (tests: a leg's events held while others go through). */
  deliveries?: (send: BatchSender) => BatchSender;
  /** While Temporal is unreachable, how often the held events try again (INGEST_RECONNECT_MS). */
  reconnectMs?: number;
  /** How long a call workflow's events no caller waits on wait for the channel's next ones (INGEST_LINGER_MS). */
  lingerMs?: number;
  /**
   * A leg's feature codes, read as its call workflow reads them: with it, a code's key presses go as one signal
   * (code-hold.ts). Absent: one signal per press.
   */
  readCodes?: (leg: string) => Promise<LegPolicy>;
}

export interface Ingest {
  readonly esl: EslNode;
  /** Resolves after the first successful reconciliation. */
  ready(timeoutMs?: number): Promise<void>;
  reconcile(opts?: ReconcileOptions): Promise<ReconcileReport>;
  /** Resolves when every event received so far has been delivered (or dropped). */
  idle(): Promise<void>;
  stats(): IngestStats;
  /**
   * The leg's key presses not yet delivered to its call workflow, and whether the ingest can vouch for that: it has
   * listened to the switch since before `since` (the switch's time of a press, less a margin for the clocks) and is
   * not waiting for Temporal's return.
   */
  keyPressesHeld(leg: string, since: number): KeyPressesHeld;
  stop(): Promise<void>;
}

export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const ingest = new NodeIngest(opts);
  ingest.listen();
  return ingest;
}

class NodeIngest implements Ingest {
  readonly esl: EslNode;
  private readonly node: string;
  private readonly ownEsl: boolean;
  private readonly logger: Logger;
  private readonly counters = newCounters();
  private readonly batchSizes = new BatchSizes();
  private readonly memory: ChannelMemory;
  private readonly projection: ProjectionWriter;
  private readonly queues: DeliveryQueues;
  private readonly router: EventRouter;
  private readonly onDemand: OnDemandCalls | undefined;
  private readonly schedule: ReconcileSchedule;
  private readonly onEvent = (evt: EslEvent) => this.router.onEvent(evt);
  /** When the event connection to the switch was last made (this host's clock); 0: not yet. */
  private listeningSince = 0;
  private readonly onConnected = () => {
    this.listeningSince = Date.now();
    this.schedule.onConnected();
  };

  constructor(opts: IngestOptions) {
    const { counters, batchSizes } = this;
    const logger = (this.logger = opts.logger ?? quietLogger);
    const node = (this.node = opts.node.name);
    const taskQueue = opts.taskQueue ?? WORKFLOW_TASK_QUEUE;
    this.ownEsl = !opts.esl;
    const esl = (this.esl = opts.esl ?? new EslNode(opts.node, { logger }));
    const memory = (this.memory = new ChannelMemory({ graceMs: opts.graceMs }));
    const projection = (this.projection = new ProjectionWriter({
      store: opts.store,
      node,
      defaultAccountId: opts.config.DEFAULT_ACCOUNT_ID,
      logger,
      onError: () => counters.projectionErrors++,
      // The writes held while the store was away were dropped: the switch's `show channels` rewrites the node's rows
      // (retried until the store answers).
      onOverflow: () => this.schedule.request({}),
    }));
    const push = (key: string, d: Delivery) => this.queues.push(key, d);
    const onDemand = (this.onDemand =
      opts.onDemand &&
      new OnDemandCalls({
        node,
        ...opts.onDemand,
        mark: (uuid) => esl.api(`uuid_setvar ${uuid} ${CALL_WORKFLOW_VARIABLE} true`),
        push,
        logger,
        graceMs: opts.graceMs,
      }));
    this.router = new EventRouter({
      node,
      names: opts.config,
      memory,
      projection,
      counters,
      logger,
      push,
      onDemand,
      readCodes: opts.readCodes,
      listeningSince: () => this.listeningSince,
    });
    const sender = temporalSender({
      client: opts.client,
      node,
      taskQueue,
      counters,
      logger,
      onTransferGone: (batch) => this.router.onTransferGone(batch),
    });
    const queues = (this.queues = new DeliveryQueues({
      send: opts.deliveries?.(sender) ?? sender,
      maxInFlight: opts.maxInFlight,
      reconnectMs: opts.reconnectMs,
      lingerMs: opts.lingerMs,
      logger,
      onBatch: (b) => {
        if (b.kind !== 'originate') batchSizes.record(b.events.length);
      },
      onDelivered: (waitedMs) => ingestDeliverySeconds.observe({ node }, waitedMs / 1000),
    }));
    this.schedule = new ReconcileSchedule({
      node,
      client: opts.client,
      taskQueue,
      names: opts.config,
      esl,
      memory,
      projection,
      queues,
      counters,
      logger,
      graceMs: opts.graceMs,
      transferSweepMs: opts.transferSweepMs,
      reconcileMs: opts.reconcileMs,
      onDemand,
    });
  }

  /** The schedule's timers, then the node's events (and its connection, when the ingest owns it). */
  listen(): void {
    this.schedule.start();
    this.esl.on('event', this.onEvent);
    this.esl.on('connected', this.onConnected);
    if (this.ownEsl) this.esl.start();
    else if (this.esl.eventConnection.connected) this.onConnected();
  }

  ready(timeoutMs = 30_000): Promise<void> {
    return Promise.race([
      this.schedule.ready,
      sleep(timeoutMs).then(() => {
        throw new Error(`ingest ${this.node}: not reconciled within ${timeoutMs} ms`);
      }),
    ]);
  }

  reconcile(ro?: ReconcileOptions): Promise<ReconcileReport> {
    return this.schedule.reconcile(ro);
  }

  async idle(): Promise<void> {
    // A code's presses held here leave within its digit timeout.
    while (this.router.codes.held) await sleep(20);
    await this.onDemand?.settled();
    await this.queues.idle();
    await this.projection.flushed();
  }

  keyPressesHeld(leg: string, since: number): KeyPressesHeld {
    const listening =
      this.listeningSince > 0 && this.esl.eventConnection.connected && this.listeningSince <= since - CLOCKS_APART_MS;
    const held = this.queues.keyPressesPending(leg) + this.router.codes.heldFor(leg);
    return { held, sure: listening && !this.queues.waitingForTemporal };
  }

  stats(): IngestStats {
    return {
      ...this.counters,
      ...this.batchSizes.snapshot(),
      queueDepth: this.queues.depth,
      channelsRemembered: this.memory.size,
      projectionBuffered: this.projection.buffered,
      projectionDropped: this.projection.dropped,
    };
  }

  async stop(): Promise<void> {
    const { logger, node } = this;
    this.schedule.stop();
    this.esl.off('event', this.onEvent);
    this.esl.off('connected', this.onConnected);
    this.router.codes.flushAll();
    // Let what is queued leave (bounded), then drop the rest: the next ingest's reconciliation covers it.
    await Promise.race([this.queues.idle(), sleep(2000)]);
    const dropped = this.queues.stop();
    if (dropped) logger.warn(`ingest ${node}: stopped with ${dropped} undelivered events`);
    await Promise.race([this.schedule.settled(), sleep(2000)]);
    const unwritten = await this.projection.stop(2000);
    if (unwritten) logger.warn(`ingest ${node}: stopped with ${unwritten} channel projection writes unwritten`);
    if (this.ownEsl) await this.esl.close();
  }
}
