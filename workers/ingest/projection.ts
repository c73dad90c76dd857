// The live channels projection (store `channels`): one row per call channel, written as its events arrive, so the
// API can list live calls without asking Temporal. Only the first leg of a bridge gets CHANNEL_BRIDGE/UNBRIDGE, so
// those events update both rows: the leg's, and the one named by Other-Leg-Unique-ID.
// A channel seen hung up stays out, whatever arrives after its hangup: its own late events, a peer's event naming it
// (the switch's event threads do not keep order across channels), or a reconciliation's `show channels` taken just
// before. The store keeps a tombstone too (against a second ingest); the writer does not rely on it.
// Writes are batched: while one batch is in the store, the next gathers, one row per channel (its latest state), so a
// burst of events costs a few statements, not one each. When the store is away (a database restart) the batch is kept
// and tried again with backoff; past PROJECTION_BUFFER_MAX channels the writes are dropped and the node is reconciled
// from the switch (`show channels`) once the store answers again.
import type { ChannelOwnership, ChannelRecord, Store } from '../../store/index.ts';
import type { ChannelEvent } from '../../contracts/messages.ts';
import type { Logger } from '../esl/index.ts';

export type ChannelProjection = Pick<Store, 'writeChannels' | 'listNodeChannels'>;

export interface ProjectionOptions {
  store: ChannelProjection | undefined;
  node: string;
  defaultAccountId?: string;
  logger: Logger;
  /** A write that failed (it is kept and tried again). */
  onError: () => void;
  /** The writes held for an unavailable store outgrew the buffer and were dropped: the node needs a reconciliation. */
  onOverflow?: () => void;
  /** Most channels whose writes are held while the store is away (PROJECTION_BUFFER_MAX). */
  maxBuffered?: number;
  /** Most rows in one batch. */
  maxBatch?: number;
}

/** Held writes beyond this many channels are dropped (a reconciliation rebuilds the rows). */
export const PROJECTION_BUFFER_MAX = 100_000;
const BATCH_MAX = 500;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

/** How long, and how many, hung-up channels are remembered so that nothing after their hangup brings them back. */
const ENDED_MEMORY_MS = 10 * 60_000;
const ENDED_MEMORY_MAX = 100_000;

export class ProjectionWriter {
  private readonly rows = new Map<string, ChannelRecord>();
  /** Hung-up channels → when their hangup was seen (insertion order: oldest first). */
  private readonly ended = new Map<string, number>();
  /** bridged partner → the leg whose row names it, so a partner's hangup clears that row even if it is no call. */
  private readonly namedBy = new Map<string, string>();
  /** Writes not yet in the store: each channel's latest row, or null for its removal. */
  private readonly pending = new Map<string, ChannelRecord | null>();
  private flushing: Promise<void> | undefined;
  /** Consecutive failed batches (the current outage). */
  private failures = 0;
  private stopped = false;
  /** Writes dropped when the buffer overflowed, since the start. */
  dropped = 0;

  constructor(private readonly opts: ProjectionOptions) {}

  /** Channels whose writes wait for the store. */
  get buffered(): number {
    return this.pending.size;
  }

  /** A call channel's event, and (from the same switch event) who the channel belongs to. */
  apply(e: ChannelEvent, ownership?: ChannelOwnership): void {
    if (!this.opts.store) return;
    // After its hangup a channel has nothing more to say: a late event of its own is not a new channel.
    if (this.ended.has(e.uuid) && e.name !== 'CHANNEL_HANGUP_COMPLETE' && e.name !== 'GONE') return;
    switch (e.name) {
      case 'CHANNEL_CREATE':
      case 'SNAPSHOT':
        this.upsert(this.row(e, ownership), e.at);
        return;
      case 'CHANNEL_ANSWER': {
        const row = this.row(e, ownership);
        row.answered = true;
        this.upsert(row, e.at);
        return;
      }
      case 'CHANNEL_BRIDGE': {
        const other = partner(e);
        const row = this.row(e, ownership);
        row.answered = true;
        if (other) this.link(row, other, e.at);
        this.upsert(row, e.at);
        return;
      }
      case 'CHANNEL_UNBRIDGE':
      case 'CHANNEL_PARK': {
        // A parked channel is bridged to nobody; for the second leg of a uuid_bridge this is the only sign.
        const row = this.row(e, ownership);
        const other = row.bridgedTo ?? partner(e);
        if (other) this.unlink(other, e.uuid, e.at);
        if (row.bridgedTo !== null || e.name === 'CHANNEL_UNBRIDGE') {
          row.bridgedTo = null;
          this.upsert(row, e.at);
        }
        return;
      }
      case 'CHANNEL_HANGUP_COMPLETE':
      case 'GONE':
        this.remove(e.uuid, e.at);
        return;
      case 'DTMF':
        return;
    }
  }

  /** Any channel hung up (a call or not): rows bridged to it are bridged no more, and no later event names it. */
  channelEnded(uuid: string, at: number): void {
    if (!this.opts.store) return;
    this.remember(uuid);
    const leg = this.namedBy.get(uuid);
    if (leg) this.unlink(leg, uuid, at);
    this.namedBy.delete(uuid);
  }

  /** Reconciliation: the live call channels are `live`; every other row of this node goes. */
  async reconcile(live: ChannelRecord[]): Promise<void> {
    const store = this.opts.store;
    if (!store) return;
    const stored = new Map((await store.listNodeChannels(this.opts.node)).map((r) => [r.callId, r]));
    // What `show channels` listed may have hung up since; its hangup event, already applied, has the last word.
    live = live
      .filter((r) => !this.ended.has(r.callId))
      .map((r) => (r.bridgedTo && this.ended.has(r.bridgedTo) ? { ...r, bridgedTo: null } : r));
    const liveIds = new Set(live.map((r) => r.callId));
    for (const id of this.rows.keys()) if (!liveIds.has(id)) this.rows.delete(id);
    this.namedBy.clear();
    for (const r of live) {
      // What events taught us (account, first caller ID) beats what `show channels` can say.
      const known = this.rows.get(r.callId) ?? stored.get(r.callId);
      const merged: ChannelRecord = known
        ? {
            ...known,
            ...definedOnly(r),
            accountId: r.accountId ?? known.accountId,
            callerIdName: known.callerIdName ?? r.callerIdName,
            callerIdNumber: known.callerIdNumber ?? r.callerIdNumber,
            createdAt: known.createdAt,
          }
        : { ...r, accountId: r.accountId ?? this.opts.defaultAccountId ?? null };
      this.rows.set(r.callId, merged);
      if (merged.bridgedTo) this.namedBy.set(merged.bridgedTo, merged.callId);
      this.queue(r.callId, { ...merged });
    }
    for (const id of stored.keys()) if (!liveIds.has(id)) this.queue(id, null);
    await this.flushed();
  }

  /** Resolves when every write so far is in the store (while the store is away: when it is back). */
  async flushed(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Stops writing: what is still held after `graceMs` is dropped (the next ingest's reconciliation covers it). */
  async stop(graceMs: number): Promise<number> {
    await Promise.race([this.flushed(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    this.stopped = true;
    const left = this.pending.size;
    this.pending.clear();
    return left;
  }

  private row(e: ChannelEvent, ownership?: ChannelOwnership): ChannelRecord {
    let row = this.rows.get(e.uuid);
    if (!row) {
      row = {
        callId: e.uuid,
        node: this.opts.node,
        accountId: this.opts.defaultAccountId ?? null,
        answered: false,
        bridgedTo: null,
        createdAt: e.at,
        updatedAt: e.at,
      };
      this.rows.set(e.uuid, row);
    }
    const leg = e.leg;
    if (leg) {
      row.accountId = leg.accountId ?? row.accountId;
      // The first values are kept: FreeSWITCH flips an originated leg's caller ID after answer.
      row.direction ??= leg.direction;
      row.callerIdName ??= leg.callerIdName;
      row.callerIdNumber ??= leg.callerIdNumber;
      row.calleeIdNumber ??= leg.calleeIdNumber;
    }
    // Kazoo sets its variables as the call goes (an owner once a device is found): the latest values stand.
    if (ownership) Object.assign(row, ownership);
    if (e.answerState === 'answered') row.answered = true;
    if (e.name === 'SNAPSHOT') row.bridgedTo = e.otherLeg ?? null;
    return row;
  }

  private link(row: ChannelRecord, other: string, at: number): void {
    // A bridge to a channel that has already hung up (its hangup came first) is over already.
    if (this.ended.has(other)) {
      row.bridgedTo = null;
      return;
    }
    row.bridgedTo = other;
    this.namedBy.set(other, row.callId);
    const peer = this.rows.get(other);
    if (peer) {
      peer.bridgedTo = row.callId;
      peer.answered = true;
      this.namedBy.set(row.callId, other);
      this.upsert(peer, at);
    }
  }

  private unlink(uuid: string, from: string, at: number): void {
    const row = this.rows.get(uuid);
    if (row?.bridgedTo === from) {
      row.bridgedTo = null;
      this.upsert(row, at);
    }
  }

  private upsert(row: ChannelRecord, at: number): void {
    const store = this.opts.store;
    if (!store) return;
    row.updatedAt = Math.max(row.updatedAt, at);
    this.queue(row.callId, { ...row });
  }

  private remove(uuid: string, at: number): void {
    const store = this.opts.store;
    const row = this.rows.get(uuid);
    this.rows.delete(uuid);
    if (row?.bridgedTo) this.unlink(row.bridgedTo, uuid, at);
    this.channelEnded(uuid, at);
    if (store) this.queue(uuid, null);
  }

  private remember(uuid: string): void {
    const now = Date.now();
    this.ended.delete(uuid);
    this.ended.set(uuid, now);
    for (const [id, at] of this.ended) {
      if (this.ended.size <= ENDED_MEMORY_MAX && now - at < ENDED_MEMORY_MS) break;
      this.ended.delete(id);
    }
  }

  /** A channel's next write: its row, or null to remove it. A removal is not undone by a later row. */
  private queue(callId: string, row: ChannelRecord | null): void {
    if (this.stopped) return;
    if (row && this.pending.get(callId) === null) return;
    this.pending.set(callId, row);
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
  }

  /** Writes the held rows in batches, one batch at a time, until none is left; a failed batch is tried again. */
  private async flush(): Promise<void> {
    const store = this.opts.store;
    const maxBatch = this.opts.maxBatch ?? BATCH_MAX;
    // The events of this turn (one socket read carries many) go in the first batch together.
    await new Promise((resolve) => setImmediate(resolve));
    while (store && this.pending.size > 0 && !this.stopped) {
      const batch = new Map<string, ChannelRecord | null>();
      for (const [id, row] of this.pending) {
        batch.set(id, row);
        this.pending.delete(id);
        if (batch.size >= maxBatch) break;
      }
      const writes = { upserts: [] as ChannelRecord[], removals: [] as string[] };
      for (const [id, row] of batch) {
        if (row) writes.upserts.push(row);
        else writes.removals.push(id);
      }
      try {
        await store.writeChannels(writes);
        if (this.failures > 0) {
          this.opts.logger.info('ingest: channel projection written again after the store came back', {
            failedAttempts: this.failures,
          });
          this.failures = 0;
        }
      } catch (err) {
        this.failures++;
        this.opts.onError();
        // Kept, unless the channel has a newer write meanwhile (or a removal, which a row never undoes).
        for (const [id, row] of batch) {
          const newer = this.pending.get(id);
          if (newer === undefined) this.pending.set(id, row);
          else if (row === null && newer !== null) this.pending.set(id, null);
        }
        if (this.failures === 1) {
          this.opts.logger.warn('ingest: channel projection write failed; holding the writes and trying again', {
            error: String(err),
            held: this.pending.size,
          });
        }
        if (this.pending.size > (this.opts.maxBuffered ?? PROJECTION_BUFFER_MAX)) this.overflow();
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.failures - 1))).unref(),
        );
      }
    }
  }

  /** Too much held: dropping it is safe only because a reconciliation rewrites the node's rows from the switch. */
  private overflow(): void {
    this.dropped += this.pending.size;
    this.opts.logger.error('ingest: channel projection buffer full; writes dropped, the node will be reconciled', {
      dropped: this.pending.size,
    });
    this.pending.clear();
    this.opts.onOverflow?.();
  }
}

/** The other leg of a bridge event: Other-Leg-Unique-ID, else whichever Bridge-*-Unique-ID is not this leg. */
function partner(e: ChannelEvent): string | undefined {
  if (e.otherLeg) return e.otherLeg;
  if (e.bridgeA === e.uuid) return e.bridgeB;
  if (e.bridgeB === e.uuid) return e.bridgeA;
  return undefined;
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
