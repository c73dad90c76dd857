// Per-channel FIFO delivery, parallel across channels. While one signal for a channel is in flight, that
// channel's next events wait and then leave together: one signal per batch, not per event. A failed send is
// retried with backoff before anything behind it, so a channel's events always arrive in switch order.
//
// Call storms: Temporal's rate limits answer RESOURCE_EXHAUSTED (the ingest's client does not retry those itself,
// temporal/connection.ts, so that this queue decides what goes first). A channel with a hangup, a key press or an
// originate result queued is urgent: it is sent before the others (its earlier events go with it, in order) and part
// of the slots are kept for it. The other channels back off together, as one sender: each RESOURCE_EXHAUSTED halves
// how many of them may be in flight and pauses them, growing back by one per accepted signal; so the server's budget
// is not spent on a flood's retries while a caller's hangup waits.
//
// Fair to every caller (no leg or tenant may starve another): Temporal's frontend serves a signal before the workers'
// polls and completions and charges it to their budget too (its namespace limiter has priorities, and a request takes
// a token from every class below its own), so an ingest that signals up to the namespace's limit leaves no workflow
// task or activity to anyone: no transfer moves, whoever's it is. So the first RESOURCE_EXHAUSTED paces every signal
// of the ingest at a quarter of what Temporal took a second over the last PACE_WINDOW_MS (a signal to a call workflow
// costs about three requests: itself, and its workflow task's poll and completion; the rest is left to other work; and
// over seconds, not the last one: Temporal's buckets allow a burst of twice their rate, so a flood's first second
// takes far more than the namespace can carry, and a pace set from it left the workers nothing), halved on a refusal
// while paced, and lifted once no send has waited for the pace for PACE_LIFT_MS, or once Temporal has refused nothing
// for PACE_QUIET_MS (else one refusal would pace a node whose traffic stays above the pace for good: every send
// waits, so the first rule never comes; a flood still going is refused again and paced again). A busy workflow
// (RESOURCE_EXHAUSTED with the cause BUSY_WORKFLOW: one workflow's requests queued on its lock) is no rate limit:
// only that channel retries, with its backoff, and nothing is paced. What waits for the pace is not
// dropped but coalesced: a channel's queued events leave in one signal. And a channel whose queue is deep (a leg
// pressing keys faster than its signals go: more than HEAVY_DEPTH waiting) goes after every other channel: a caller's
// few key presses or hangup take the next signal, not a place behind the flood; the heavy channels share what is left,
// in turn.
//
// Temporal unreachable (UNAVAILABLE, after the client's own retries): a channel whose send failed so waits for
// Temporal's return, not for a timer of its own. One of them (an urgent one first) tries again every `reconnectMs`
// for all; the first send Temporal accepts sends every waiting channel at once. So what was held during an outage
// leaves within about `reconnectMs` of Temporal's return, however long the outage, and once every channel waits, an
// outage with thousands of channels held costs one attempt per `reconnectMs`, not one per channel.
import { GRPC_STATUS, causeMessages, grpcCode, resourceExhaustedCause } from '../../contracts/grpc.ts';
import type { ChannelEvent, OriginateResult } from '../../contracts/messages.ts';
import type { Logger } from '../esl/index.ts';

export type Delivery =
  /**
   * To the channel's call workflow (signal-with-start). `allowNewRun`: the reconciler's SNAPSHOT may start a new run.
   * `signalOnly`: deliver only to a running workflow, never start one (a hangup of a leg that had no call of its own).
   * `initial`: the leg's state, for a workflow started on demand (workflows/call-start.ts); it heads its batch.
   * `startEnded`: the leg's hangup, when the leg may have no call workflow yet (a completed transfer's target): a
   * workflow is started with the events as its state, without a signal; one that runs already is signalled them.
   */
  | {
      kind: 'call';
      uuid: string;
      event?: ChannelEvent;
      allowNewRun?: boolean;
      signalOnly?: boolean;
      initial?: ChannelEvent[];
      startEnded?: boolean;
    }
  /**
   * To a transfer workflow: its target leg's events, or (`party`) a copy of a transferor's or transferee's event, which
   * is dropped if the transfer has ended (the leg's call workflow has it anyway).
   */
  | { kind: 'transfer'; workflowId: string; event: ChannelEvent; party?: boolean }
  | { kind: 'originate'; workflowId: string; result: OriginateResult };

export type Batch =
  | {
      kind: 'call';
      uuid: string;
      events: ChannelEvent[];
      allowNewRun: boolean;
      signalOnly: boolean;
      initial?: ChannelEvent[];
      startEnded?: boolean;
    }
  | { kind: 'transfer'; workflowId: string; events: ChannelEvent[]; party?: boolean }
  | { kind: 'originate'; workflowId: string; result: OriginateResult };

/**
 * Sends a batch; throws to have it retried (after backoff, still ahead of what queued behind it). May return
 * deliveries to send instead (re-routed): they go back at the head of the queue, so the channel's order holds.
 */
export type BatchSender = (batch: Batch) => Promise<void | Delivery[]>;

/** Takes the longest run at the head of `items` that fits one signal: same kind and same target. */
export function takeBatch(items: Delivery[], maxBatch: number): { batch: Batch; taken: Delivery[] } {
  const head = items[0];
  if (!head) throw new Error('takeBatch on an empty queue');
  if (head.kind === 'originate') {
    items.shift();
    return { batch: { kind: 'originate', workflowId: head.workflowId, result: head.result }, taken: [head] };
  }
  const taken: Delivery[] = [];
  while (taken.length < maxBatch) {
    const next = items[0];
    if (!next || next.kind !== head.kind) break;
    // A start on demand (`initial`) heads its batch, and one with no event of its own goes alone: a batch's events are
    // then its deliveries', in order.
    if (
      next.kind === 'call' &&
      head.kind === 'call' &&
      (next.uuid !== head.uuid || (taken.length && (next.initial || !head.event)))
    )
      break;
    if (next.kind === 'transfer' && head.kind === 'transfer') {
      if (next.workflowId !== head.workflowId || !!next.party !== !!head.party) break;
    }
    taken.push(items.shift() as Delivery);
  }
  const events = taken.flatMap((d) => (d as Exclude<Delivery, { kind: 'originate' }>).event ?? []);
  const batch: Batch =
    head.kind === 'call'
      ? {
          kind: 'call',
          uuid: head.uuid,
          events,
          allowNewRun: taken.some((d) => d.kind === 'call' && d.allowNewRun),
          signalOnly: taken.every((d) => d.kind === 'call' && d.signalOnly),
          ...(head.initial ? { initial: head.initial } : {}),
          ...(taken.every((d) => d.kind === 'call' && d.startEnded) ? { startEnded: true } : {}),
        }
      : { kind: 'transfer', workflowId: head.workflowId, events, ...(head.party ? { party: true } : {}) };
  return { batch, taken };
}

/**
 * A key press that waited in the ingest longer than this before the send that delivers it began was held: Temporal
 * was away or refusing. A healthy ingest sends within milliseconds of the event, and the channel's previous signal
 * being in flight costs tens of ms, not this.
 */
export const HELD_AFTER_MS = 1000;

/**
 * The batch as sent: each key press says whether the ingest held it (ChannelEvent.held): `held(i)` for the i-th
 * event; and, while the ingest is paced, that it is (ChannelEvent.paced). Only key presses are stamped (the collector
 * reads them; other events keep their shape).
 */
export function stampKeys(batch: Batch, held: (i: number) => boolean, paced: boolean): Batch {
  if (batch.kind === 'originate' || !batch.events.some((e) => e.name === 'DTMF')) return batch;
  const events = batch.events.map((e, i) =>
    e.name === 'DTMF' ? { ...e, held: held(i), ...(paced ? { paced: true } : {}) } : e,
  );
  return { ...batch, events };
}

/** A channel with more deliveries than this waiting when it is made ready goes after every other channel (a flood). */
export const HEAVY_DEPTH = 16;
/** The least pace (signals/s) a refusal sets. */
export const MIN_PACE = 2;
/** A refusal paces the signals at a quarter of what Temporal took a second over this long (see the top of the file). */
export const PACE_WINDOW_MS = 5_000;
/** Pacing ends once no send has waited for it this long. */
export const PACE_LIFT_MS = 10_000;
/** Pacing also ends once Temporal has refused no signal for this long (the default of `paceQuietMs`). */
export const PACE_QUIET_MS = 30_000;

/**
 * A delivery that may wait INGEST_LINGER_MS for the channel's next events, to leave with them in one signal (one action,
 * one workflow task): a call workflow's events that no caller waits on (a leg's create, answer, bridge, unbridge). A
 * switch sends them in bursts a few milliseconds apart (the answer and the bridge of a leg, a bridge and the park
 * after it), which one signal each would bill one by one. Never a transfer's (its steps wait on its legs' answers), nor
 * what a caller waits on (isUrgent): those go at once and take what lingered with them, in order.
 */
export function lingers(delivery: Delivery): boolean {
  return delivery.kind === 'call' && !isUrgent(delivery);
}

/** What a caller waits on: its hangup, its key presses, the result of a leg dialled for it. */
export function isUrgent(delivery: Delivery): boolean {
  if (delivery.kind === 'originate') return true;
  const name = delivery.event?.name;
  return name === 'CHANNEL_HANGUP_COMPLETE' || name === 'GONE' || name === 'DTMF';
}

export interface DeliveryQueuesOptions {
  send: BatchSender;
  /** Signals in flight at once, across channels. */
  maxInFlight?: number;
  /** Of those, how many only urgent channels may use (default an eighth, at least one). */
  urgentReserve?: number;
  maxBatch?: number;
  retry?: { initialMs?: number; maxMs?: number };
  logger: Logger;
  onBatch?: (batch: Batch) => void;
  /** Each delivery Temporal accepted, with how long it waited since it was pushed (ms): the ingest's delivery time. */
  onDelivered?: (waitedMs: number) => void;
  /** A send was refused with RESOURCE_EXHAUSTED (after the client's own retries): the queues pause. */
  onThrottled?: () => void;
  /** The pace of signals changed (signals/s; Infinity: not paced). */
  onPace?: (signalsPerS: number) => void;
  /** While Temporal is unreachable, how often one held channel tries again for all (default 500 ms). */
  reconnectMs?: number;
  /** How long a call workflow's first non-urgent event waits for the channel's next ones (INGEST_LINGER_MS; 0: never). */
  lingerMs?: number;
  /** Pacing ends once Temporal has refused no signal for this long (default PACE_QUIET_MS). */
  paceQuietMs?: number;
}

interface Queue {
  items: Delivery[];
  /** Scheduled, in flight, or waiting to retry: not to be scheduled again. */
  busy: boolean;
  /** Waiting in a ready lane (not in flight, not waiting to retry). */
  ready: boolean;
  /** Holds an urgent delivery (isUrgent). */
  urgent: boolean;
  attempt: number;
  /** Key presses in the signal in flight (taken from `items` until it is accepted or put back). */
  sending?: number;
  /** Waiting `lingerMs` for more of the channel's events before it is made ready (see `lingers`). */
  lingering?: NodeJS.Timeout;
}

export class DeliveryQueues {
  private readonly queues = new Map<string, Queue>();
  /** Channels waiting for a slot: the urgent lane is served first. A key may be in both; the first pop wins. */
  private readonly urgentReady: string[] = [];
  private readonly ready: string[] = [];
  /** Channels with a deep queue (HEAVY_DEPTH), served after the others. */
  private readonly heavyReady: string[] = [];
  /**
   * Signals per second while paced (after a RESOURCE_EXHAUSTED); Infinity: not paced. `nextSendAt`: the earliest the
   * next send may begin; `lastPaceWait`: when a send last waited for the pace (or the pace was set).
   */
  private pace = Infinity;
  /** When the pace was last set (a refusal). */
  private pacedAt = 0;
  private readonly paceQuietMs: number;
  private nextSendAt = 0;
  private lastPaceWait = 0;
  private paceTimer: NodeJS.Timeout | undefined;
  /** When Temporal accepted each signal of the last PACE_WINDOW_MS (from `acceptedFrom` on): what a refusal measures. */
  private acceptedAt: number[] = [];
  private acceptedFrom = 0;
  /** Until when channels without anything urgent wait (RESOURCE_EXHAUSTED), and how many in a row backed off. */
  private pausedUntil = 0;
  private exhausted = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  /** Sends in flight for channels without anything urgent, and how many of those may be (lowered while throttled). */
  private inFlightOthers = 0;
  private othersLimit: number;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Channels waiting for Temporal's return (their send failed with UNAVAILABLE), and the next attempt for all. */
  private readonly unreachable: string[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  /** A send failed with UNAVAILABLE and none succeeded since (the outage is logged once). */
  private away = false;
  private readonly reconnectMs: number;
  private readonly lingerMs: number;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly pushedAt = new WeakMap<Delivery, number>();
  private inFlight = 0;
  private pumpScheduled = false;
  private stopped = false;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private readonly urgentReserve: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly opts: DeliveryQueuesOptions) {
    this.maxInFlight = opts.maxInFlight ?? 128;
    this.maxBatch = opts.maxBatch ?? 100;
    this.urgentReserve = Math.min(
      this.maxInFlight - 1,
      opts.urgentReserve ?? Math.max(1, Math.floor(this.maxInFlight / 8)),
    );
    this.othersLimit = this.maxInFlight - this.urgentReserve;
    this.retryInitialMs = opts.retry?.initialMs ?? 200;
    this.retryMaxMs = opts.retry?.maxMs ?? 5000;
    this.reconnectMs = opts.reconnectMs ?? 500;
    this.lingerMs = opts.lingerMs ?? 0;
    this.paceQuietMs = opts.paceQuietMs ?? PACE_QUIET_MS;
  }

  /** Deliveries not yet sent (queued, in flight or waiting to retry). */
  get depth(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.items.length;
    return n;
  }

  push(key: string, delivery: Delivery): void {
    if (this.stopped) return;
    let q = this.queues.get(key);
    if (!q) {
      q = { items: [], busy: false, ready: false, urgent: false, attempt: 0 };
      this.queues.set(key, q);
    }
    q.items.push(delivery);
    this.pushedAt.set(delivery, performance.now());
    const urgent = isUrgent(delivery);
    if (!q.busy) {
      q.busy = true;
      q.urgent = urgent;
      if (this.lingerMs > 0 && lingers(delivery)) {
        q.lingering = setTimeout(() => {
          q.lingering = undefined;
          this.makeReady(key, q);
          this.schedulePump();
        }, this.lingerMs);
        return;
      }
      this.makeReady(key, q);
      this.schedulePump();
    } else if (q.lingering && !lingers(delivery)) {
      // What a caller waits on (a key press, a hangup), or a delivery to a transfer: the channel goes now, with the
      // events that lingered ahead of it in the same signal.
      clearTimeout(q.lingering);
      q.lingering = undefined;
      q.urgent = urgent;
      this.makeReady(key, q);
      this.schedulePump();
    } else if (urgent && !q.urgent) {
      q.urgent = true;
      // Already waiting among the others: it moves to the urgent lane (its place in the other lane is skipped), unless
      // its queue is deep: then it waits with the heavy ones.
      if (q.ready && q.items.length <= HEAVY_DEPTH) {
        this.urgentReady.push(key);
        this.schedulePump();
      }
    }
  }

  private makeReady(key: string, q: Queue): void {
    q.ready = true;
    (q.items.length > HEAVY_DEPTH ? this.heavyReady : q.urgent ? this.urgentReady : this.ready).push(key);
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.queues.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending; what is still queued is dropped (returns how many). */
  stop(): number {
    this.stopped = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    clearTimeout(this.pauseTimer);
    clearTimeout(this.paceTimer);
    clearTimeout(this.probeTimer);
    this.unreachable.length = 0;
    const dropped = this.depth;
    for (const q of this.queues.values()) clearTimeout(q.lingering);
    this.queues.clear();
    this.ready.length = 0;
    this.urgentReady.length = 0;
    this.heavyReady.length = 0;
    this.notifyIdle();
    return dropped;
  }

  // Deferred to the next turn so that the events of one socket read (e.g. UNBRIDGE + PARK) leave in one batch.
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.maxInFlight) {
      const key = this.next();
      if (key === undefined) return;
      const q = this.queues.get(key)!;
      q.ready = false;
      if (q.items.length > 0) void this.run(key, q, q.urgent);
    }
  }

  /** How many channels without anything urgent may be in flight now (for tests and the ingest's stats). */
  get sendLimit(): number {
    return this.othersLimit;
  }

  /** Key presses of channel `key` not yet delivered: queued, waiting to retry, or in the signal in flight. */
  keyPressesPending(key: string): number {
    const q = this.queues.get(key);
    if (!q) return 0;
    return (q.sending ?? 0) + q.items.filter((d) => d.kind !== 'originate' && d.event?.name === 'DTMF').length;
  }

  /** Temporal did not answer the last send (UNAVAILABLE): what is queued waits for its return. */
  get waitingForTemporal(): boolean {
    return this.away;
  }

  /** Signals per second the ingest allows itself now (Infinity: not paced). For tests and the ingest's stats. */
  get signalsPerSecond(): number {
    return this.currentPace(performance.now());
  }

  /**
   * The next channel to send: urgent ones first; the others only outside a pause and the urgent reserve; heavy ones
   * last. While paced, a send waits for its turn (the channel keeps its place, and what queues meanwhile joins it).
   */
  private next(): string | undefined {
    const lane = this.nextLane();
    if (!lane) return undefined;
    const now = performance.now();
    const pace = this.currentPace(now);
    if (pace !== Infinity) {
      if (now < this.nextSendAt) {
        this.lastPaceWait = now;
        if (!this.paceTimer) {
          this.paceTimer = setTimeout(() => {
            this.paceTimer = undefined;
            this.pump();
          }, this.nextSendAt - now);
        }
        return undefined;
      }
      this.nextSendAt = Math.max(now, this.nextSendAt) + 1000 / pace;
    }
    return lane.shift();
  }

  /** The lane whose head is sent next (its head waits to be sent), or none. */
  private nextLane(): string[] | undefined {
    // A channel keeps its place in a lane while its queue grows: one that has grown deep meanwhile joins the heavy ones.
    const waiting = (lane: string[]) => {
      while (lane.length > 0) {
        const q = this.queues.get(lane[0]!);
        if (q?.ready !== true) lane.shift();
        else if (lane !== this.heavyReady && q.items.length > HEAVY_DEPTH) this.heavyReady.push(lane.shift()!);
        else return true;
      }
      return false;
    };
    if (waiting(this.urgentReady)) return this.urgentReady;
    if (this.inFlightOthers < this.othersLimit && waiting(this.ready)) {
      const wait = this.pausedUntil - Date.now();
      if (wait <= 0) return this.ready;
      if (!this.pauseTimer) {
        this.pauseTimer = setTimeout(() => {
          this.pauseTimer = undefined;
          this.pump();
        }, wait);
      }
    }
    return waiting(this.heavyReady) ? this.heavyReady : undefined;
  }

  /** The pace now; lifted once no send waited for it for PACE_LIFT_MS, or nothing was refused for `paceQuietMs`. */
  private currentPace(now: number): number {
    if (this.pace === Infinity) return this.pace;
    const why =
      now - this.lastPaceWait > PACE_LIFT_MS
        ? { msg: 'none waited for the pace', forMs: PACE_LIFT_MS }
        : now - this.pacedAt > this.paceQuietMs
          ? { msg: 'Temporal refused none', forMs: this.paceQuietMs }
          : undefined;
    if (why) {
      this.pace = Infinity;
      this.opts.logger.info(`ingest: signals no longer paced: ${why.msg}`, { forMs: why.forMs });
      this.opts.onPace?.(Infinity);
    }
    return this.pace;
  }

  /** Signals Temporal accepted in the last PACE_WINDOW_MS; `count`: one more now. */
  private accepted(now: number, count = false): number {
    if (count) this.acceptedAt.push(now);
    while (this.acceptedFrom < this.acceptedAt.length && this.acceptedAt[this.acceptedFrom]! <= now - PACE_WINDOW_MS)
      this.acceptedFrom++;
    if (this.acceptedFrom > 1024) {
      this.acceptedAt = this.acceptedAt.slice(this.acceptedFrom);
      this.acceptedFrom = 0;
    }
    return this.acceptedAt.length - this.acceptedFrom;
  }

  /**
   * Temporal refused a signal over its rate limit (a send begun at `began`): pace the signals (see the top of this
   * file). A refusal of a send begun before the pace was set says nothing of the pace: it does not lower it again.
   */
  private slowDown(now: number, began: number): void {
    const pace = this.currentPace(now);
    if (pace !== Infinity && began < this.pacedAt) return;
    // What Temporal took a second: the signals it accepted over the window, and those still in flight (a burst of sends
    // refused before most of their replies came).
    const took = ((this.accepted(now) + this.inFlight) * 1000) / PACE_WINDOW_MS;
    this.pace = Math.max(MIN_PACE, pace === Infinity ? took / 4 : pace / 2);
    this.pacedAt = now;
    this.lastPaceWait = now;
    this.opts.onPace?.(this.pace);
  }

  private async run(key: string, q: Queue, urgent: boolean): Promise<void> {
    this.inFlight++;
    if (!urgent) this.inFlightOthers++;
    const { batch, taken } = takeBatch(q.items, this.maxBatch);
    const started = performance.now();
    const retried = q.attempt > 0;
    const held = (i: number) => retried || started - (this.pushedAt.get(taken[i]!) ?? started) > HELD_AFTER_MS;
    const sent = stampKeys(batch, held, this.pace !== Infinity);
    q.sending = batch.kind === 'originate' ? 0 : batch.events.filter((e) => e.name === 'DTMF').length;
    let failed = false;
    try {
      const instead = await this.opts.send(sent);
      this.exhausted = 0;
      this.accepted(performance.now(), true);
      if (!urgent) this.othersLimit = Math.min(this.maxInFlight - this.urgentReserve, this.othersLimit + 1);
      if (instead?.length) q.items.unshift(...instead);
      else {
        this.opts.onBatch?.(sent);
        const now = performance.now();
        for (const d of taken) this.opts.onDelivered?.(now - (this.pushedAt.get(d) ?? now));
      }
      q.attempt = 0;
      // Temporal took a signal: it is back for the channels that waited for it.
      if (this.away) this.reachable();
    } catch (err) {
      failed = true;
      q.items.unshift(...taken);
      q.attempt++;
      const delay = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** (q.attempt - 1));
      const code = grpcCode(err);
      const cause = code === GRPC_STATUS.RESOURCE_EXHAUSTED ? resourceExhaustedCause(err) : undefined;
      if (code === GRPC_STATUS.UNAVAILABLE) this.waitForTemporal(key, err);
      else if (code === GRPC_STATUS.RESOURCE_EXHAUSTED && cause !== 'BUSY_WORKFLOW') this.overLimit(started, cause);
      else {
        // A busy workflow (BUSY_WORKFLOW: requests queued on its lock) is retried here without pacing the rest.
        this.opts.logger.warn(`ingest: signal failed, retrying in ${delay} ms`, {
          key,
          kind: batch.kind,
          attempt: q.attempt,
          error: causeMessages(err),
          ...(code !== undefined ? { grpcCode: code } : {}),
          ...(cause ? { cause } : {}),
        });
      }
      if (code !== GRPC_STATUS.UNAVAILABLE) {
        // Another failure is no news of Temporal's return: the channels waiting for it keep trying.
        if (this.unreachable.length > 0) this.scheduleProbe();
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          if (this.stopped) return;
          this.makeReady(key, q);
          this.pump();
        }, delay);
        this.retryTimers.add(timer);
      }
    } finally {
      q.sending = 0;
      this.inFlight--;
      if (!urgent) this.inFlightOthers--;
    }
    if (this.stopped) return;
    if (!failed) {
      q.urgent = q.items.some(isUrgent);
      if (q.items.length > 0) this.makeReady(key, q);
      else {
        q.busy = false;
        this.queues.delete(key);
      }
    }
    this.pump();
    this.notifyIdle();
  }

  /** Temporal refused a send begun at `started` over a rate limit (`cause`, when it said): back off, and pace. */
  private overLimit(started: number, cause: string | undefined): void {
    // Temporal is over its rate limit. The first refusal of a pause halves the other channels' sends and pauses
    // them (longer while it lasts); the refusals of sends already under way count as the same one.
    this.opts.onThrottled?.();
    const now = Date.now();
    if (now >= this.pausedUntil) {
      this.slowDown(performance.now(), started);
      this.exhausted++;
      this.othersLimit = Math.max(1, Math.floor(this.othersLimit / 2));
      const pause = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** (this.exhausted - 1));
      this.pausedUntil = now + pause;
      this.opts.logger.warn('ingest: Temporal is over its rate limit (RESOURCE_EXHAUSTED): backing off', {
        pauseMs: pause,
        channelsAtOnce: this.othersLimit,
        signalsPerS: Math.round(this.pace * 10) / 10,
        queued: this.depth,
        ...(cause ? { cause } : {}),
      });
    }
  }

  /** A channel's send failed with UNAVAILABLE: it waits for Temporal's return with the others. */
  private waitForTemporal(key: string, err: unknown): void {
    if (!this.away) {
      this.away = true;
      this.opts.logger.warn('ingest: Temporal is unreachable: events are held until it answers', {
        retryEveryMs: this.reconnectMs,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    this.unreachable.push(key);
    this.scheduleProbe();
  }

  /** In `reconnectMs`, one channel waiting for Temporal (an urgent one first) is sent again, for all of them. */
  private scheduleProbe(): void {
    if (this.probeTimer || this.stopped) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      const i = Math.max(
        0,
        this.unreachable.findIndex((k) => this.queues.get(k)?.urgent),
      );
      const key = this.unreachable.splice(i, 1)[0];
      const q = key === undefined ? undefined : this.queues.get(key);
      if (key !== undefined && q) {
        this.makeReady(key, q);
        this.pump();
      } else if (this.unreachable.length > 0) this.scheduleProbe();
    }, this.reconnectMs);
  }

  /** Temporal answers again: every channel that waited for it is sent now. */
  private reachable(): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.away = false;
    const waiting = this.unreachable.splice(0);
    this.opts.logger.info('ingest: Temporal answers again: sending the held events', { channels: waiting.length });
    for (const key of waiting) {
      const q = this.queues.get(key);
      if (q) this.makeReady(key, q);
    }
    this.schedulePump();
  }

  private notifyIdle(): void {
    if (this.queues.size > 0 || this.inFlight > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
