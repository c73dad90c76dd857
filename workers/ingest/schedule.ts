// When the ingest looks at the switch and at Temporal, besides the events: a reconciliation (reconcile.ts) on every
// connect and every `reconcileMs` while connected, one at a time (and again when a connect came while one ran), retried
// with backoff until it succeeds; after a connect, an audit of the node's running transfers; every `transferSweepMs` a
// sweep for transfers ended by hand (transfers.ts); and the channel memory's sweep of channels long gone.
import type { Client } from '@temporalio/client';
import { callIdFromWorkflowId } from '../../contracts/ids.ts';
import type { EslNode, Logger } from '../esl/index.ts';
import type { LegVariableNames } from './convert.ts';
import { CALL_WORKFLOW_TYPE } from './deliver.ts';
import type { ChannelMemory } from './memory.ts';
import type { ProjectionWriter } from './projection.ts';
import type { DeliveryQueues } from './queue.ts';
import { reconcile, type ReconcileOptions, type ReconcileReport, type ReconcilerDeps } from './reconcile.ts';
import type { IngestCounters } from './stats.ts';
import { sweepTransfers, type TransferSweepReport } from './transfers.ts';

export interface ScheduleOptions {
  node: string;
  client: Client;
  /** The workflows' task queue, for the transfers the sweep resumes. */
  taskQueue: string;
  names: LegVariableNames;
  esl: EslNode;
  memory: ChannelMemory;
  projection: ProjectionWriter;
  queues: DeliveryQueues;
  counters: IngestCounters;
  logger: Logger;
  /** How long a channel's routing and dedup state outlive its hangup (the memory is swept twice as often). */
  graceMs?: number;
  transferSweepMs?: number;
  reconcileMs?: number;
  /** Call workflows start on demand (on-demand.ts): what the reconciler tells and leaves alone (reconcile.ts). */
  onDemand?: ReconcilerDeps['onDemand'];
}

export class ReconcileSchedule {
  private stopped = false;
  private reconciling: Promise<void> | undefined;
  private again: ReconcileOptions | undefined;
  private resolveReady: () => void = () => {};
  /** Resolves after the first successful reconciliation. */
  readonly ready = new Promise<void>((resolve) => (this.resolveReady = resolve));
  /** Transfers the sweep resumed, and when (so that one is not resumed twice in a row). */
  private readonly resumedTransfers = new Map<string, number>();
  private transferSweeping = false;
  private readonly timers: NodeJS.Timeout[] = [];
  /** When the last reconciliation ended and how long it took (periodicReconcileDue). */
  private last: LastReconcile | undefined;

  constructor(private readonly o: ScheduleOptions) {}

  /** The periodic work: the memory's sweep, the transfer sweep, the reconcile while connected. */
  start(): void {
    const o = this.o;
    this.every(Math.max(1000, (o.graceMs ?? 60_000) / 2), () => o.memory.sweep(Date.now()));
    this.every(o.transferSweepMs, () => {
      if (this.transferSweeping || this.stopped || !this.connected()) return;
      this.transferSweeping = true;
      void this.sweepTransfers(false).finally(() => (this.transferSweeping = false));
    });
    // While connected, events can still be lost (mod_event_socket drops them for a listener that falls behind): a
    // periodic reconcile ends the call workflows whose hangup never came. Cheap: it sends nothing when all agree.
    this.every(o.reconcileMs, () => {
      if (this.reconciling || this.stopped || !this.connected()) return;
      if (periodicReconcileDue(Date.now(), this.last)) this.request({});
    });
  }

  /**
   * The event connection is up. Events may have been missed while nobody listened, also before this process's first
   * connect (it restarted): running call workflows get a SNAPSHOT and running transfers audit their legs, every time.
   */
  onConnected(): void {
    this.request({ snapshotRunning: true });
  }

  /** A reconciliation, now or after the one running (options merged). */
  request(ro: ReconcileOptions): void {
    if (this.stopped || !this.connected()) return;
    if (this.reconciling) {
      this.again = { snapshotRunning: (this.again?.snapshotRunning ?? false) || !!ro.snapshotRunning };
      return;
    }
    this.reconciling = this.reconcileWithRetry(ro);
  }

  /** One reconciliation now, counted; after a connect, the node's transfers audit their legs too. */
  async reconcile(ro: ReconcileOptions = {}): Promise<ReconcileReport> {
    const { node, logger, counters, queues } = this.o;
    const started = Date.now();
    try {
      const report = await reconcile(
        {
          node,
          names: this.o.names,
          api: (cmd) => this.o.esl.api(cmd),
          list: (cmd) => this.o.esl.list(cmd),
          listRunningCalls: () => this.listRunningCalls(),
          memory: this.o.memory,
          projection: this.o.projection,
          enqueue: (key, d) => {
            counters[d.kind === 'call' && d.event?.name === 'GONE' ? 'gones' : 'snapshots']++;
            queues.push(key, d);
          },
          logger,
          ...(this.o.onDemand ? { onDemand: this.o.onDemand } : {}),
        },
        ro,
      );
      counters.reconciles++;
      logger.info(`ingest ${node}: reconciled`, { ...report });
      // After a connect, transfers audit their legs too (the periodic transfer sweep looks for the rest).
      if (ro.snapshotRunning) await this.sweepTransfers(true);
      return report;
    } catch (err) {
      counters.reconcileFailures++;
      throw err;
    } finally {
      const endedAt = Date.now();
      this.last = { endedAt, tookMs: endedAt - started };
    }
  }

  /** No more reconciliations or sweeps; the one running may finish (see settled). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
  }

  /** The reconciliation running now, if any, has ended. */
  async settled(): Promise<void> {
    await this.reconciling?.catch(() => undefined);
  }

  private connected(): boolean {
    return this.o.esl.eventConnection.connected;
  }

  private every(ms: number | undefined, fn: () => void): void {
    if (!ms || ms <= 0) return;
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async reconcileWithRetry(ro: ReconcileOptions): Promise<void> {
    for (let attempt = 0; !this.stopped && this.connected(); attempt++) {
      try {
        await this.reconcile(ro);
        this.resolveReady();
        break;
      } catch (err) {
        const delay = Math.min(10_000, 500 * 2 ** attempt);
        this.o.logger.warn(`ingest ${this.o.node}: reconciliation failed, again in ${delay} ms`, {
          error: String(err),
        });
        await sleep(delay);
      }
    }
    this.reconciling = undefined;
    if (this.again && !this.stopped) {
      const next = this.again;
      this.again = undefined;
      this.reconciling = this.reconcileWithRetry(next);
    }
  }

  private async listRunningCalls(): Promise<Set<string>> {
    const ids = new Set<string>();
    // Node names are [A-Za-z0-9_-] (config), so they need no escaping in the query.
    const query = `WorkflowType = '${CALL_WORKFLOW_TYPE}' AND HandoffNode = '${this.o.node}' AND ExecutionStatus = 'Running'`;
    for await (const wf of this.o.client.workflow.list({ query })) {
      const callId = callIdFromWorkflowId(wf.workflowId);
      if (callId) ids.add(callId);
    }
    return ids;
  }

  /** Transfers: an audit after a reconnect, and a resumption of those ended by hand. Never fails the reconcile. */
  private async sweepTransfers(audit: boolean): Promise<TransferSweepReport | undefined> {
    const { node, logger, counters } = this.o;
    try {
      const report = await sweepTransfers(
        { client: this.o.client, node, taskQueue: this.o.taskQueue, logger, resumed: this.resumedTransfers },
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
}

interface LastReconcile {
  endedAt: number;
  tookMs: number;
}

/**
 * The share of time periodic reconciliations may take. Each lists every running call workflow of the node from
 * Temporal's visibility store and every channel of the switch: with thousands of calls on a node that takes seconds
 * (30 s for 20,000 call workflows on the dev server's SQLite), and at a fixed period the next would start as the last
 * ends, keeping the visibility store busy for nothing. Reconciliations after a connect are not paced.
 */
export const RECONCILE_DUTY = 0.1;

/** Whether a periodic reconciliation may start now: the pause since the last is at least (1/duty − 1) × its length. */
export function periodicReconcileDue(now: number, last: LastReconcile | undefined): boolean {
  if (!last) return true;
  return now - last.endedAt >= last.tookMs * (1 / RECONCILE_DUTY - 1);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
