// What the ingest counts, for logs, tests and the benchmark's cost-per-call figures.

export interface IngestCounters {
  /** Every event that arrived on the event connection. */
  received: number;
  /** Channel events passed on to a workflow (after routing and deduplication). */
  forwarded: number;
  /** Events dropped as already seen (same Core-UUID, Event-Sequence not above the channel's last). */
  deduplicated: number;
  /** Events not forwarded: names the workflows do not act on, loopback `-b` halves, jobs that are not ours. */
  ignored: number;
  /** Originate results routed to transfers. */
  jobsRouted: number;
  /** Signals (or signal-with-starts) that reached Temporal. */
  signalsSent: number;
  signalRetries: number;
  /**
   * Refusals that no retry fixes by itself (an unregistered search attribute, a permission): the batch is held and
   * retried, and the ingest alarms in its log, until an operator puts the cluster right.
   */
  signalsRefused: number;
  /** Late events for a call whose workflow had closed (REJECT_DUPLICATE). */
  lateDropped: number;
  /** Events or results for a transfer workflow that no longer exists. */
  transferGone: number;
  reconciles: number;
  reconcileFailures: number;
  snapshots: number;
  gones: number;
  /** Running transfers told to audit their legs after a reconnect. */
  transfersAudited: number;
  /** Transfers ended by hand (terminated, cancelled) whose legs were waiting, resumed from the switch. */
  transfersResumed: number;
  transferSweepFailures: number;
  projectionErrors: number;
}

export interface IngestStats extends IngestCounters {
  batches: number;
  /** Events per channel-event signal: mean and max. */
  batchMean: number;
  batchMax: number;
  /** Batch sizes 1, 2, 3-4, 5-8, 9+. */
  batchHistogram: Record<'1' | '2' | '3-4' | '5-8' | '9+', number>;
  queueDepth: number;
  channelsRemembered: number;
  /** Channels whose projection writes wait for the store (it is away). */
  projectionBuffered: number;
  /** Projection writes dropped because too many waited (the node was reconciled instead). */
  projectionDropped: number;
}

export function newCounters(): IngestCounters {
  return {
    received: 0,
    forwarded: 0,
    deduplicated: 0,
    ignored: 0,
    jobsRouted: 0,
    signalsSent: 0,
    signalRetries: 0,
    signalsRefused: 0,
    lateDropped: 0,
    transferGone: 0,
    reconciles: 0,
    reconcileFailures: 0,
    snapshots: 0,
    gones: 0,
    transfersAudited: 0,
    transfersResumed: 0,
    transferSweepFailures: 0,
    projectionErrors: 0,
  };
}

export class BatchSizes {
  private count = 0;
  private total = 0;
  private max = 0;
  private readonly histogram: IngestStats['batchHistogram'] = { '1': 0, '2': 0, '3-4': 0, '5-8': 0, '9+': 0 };

  record(size: number): void {
    this.count++;
    this.total += size;
    this.max = Math.max(this.max, size);
    const bucket = size <= 1 ? '1' : size === 2 ? '2' : size <= 4 ? '3-4' : size <= 8 ? '5-8' : '9+';
    this.histogram[bucket]++;
  }

  snapshot(): Pick<IngestStats, 'batches' | 'batchMean' | 'batchMax' | 'batchHistogram'> {
    return {
      batches: this.count,
      batchMean: this.count ? this.total / this.count : 0,
      batchMax: this.max,
      batchHistogram: { ...this.histogram },
    };
  }
}
