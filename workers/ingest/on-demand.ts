// Call workflows on demand (CALL_WORKFLOWS=on_demand): a call leg's events go to its call workflow only once the leg
// has one, and the ingest starts one only when a digit on a bridged leg is the binding digit of one of the leg's
// metaflows (its own, or its peer's that listen to it). The leg and its bridged peer are started together, each with
// its state as the ingest saw it (a SNAPSHOT in the workflow's input): a feature code's transfer signals the
// transferee's call workflow, which must be there. The legs of a plain call cost Temporal nothing: their events only
// feed the channel projection.
//
// Which legs have a workflow, known three ways, so that an ingest restarted since (or the other ingest of an HA pair)
// knows too: the legs this ingest started; the channel variable CALL_WORKFLOW_VARIABLE, which it sets on both legs (and
// the policy activities set on a leg started by a REST request), carried by every later event of the leg but its key
// presses; and the running call workflows every reconciliation lists. Both ingests of a pair start the same legs on
// the same key press: the workflow ID is the leg's, so the second start is a signal that the workflow's dedup window
// drops, and the state in the input is read only by the run it starts.
import { CALL_WORKFLOW_VARIABLE } from '../../contracts/ids.ts';
import { bridgedPeer, snapshotEvent, type ChannelEvent, type LegInfo } from '../../contracts/messages.ts';
import type { Metaflows } from '../../contracts/metaflows.ts';
import type { EslEvent, Logger } from '../esl/index.ts';
import type { Delivery } from './queue.ts';

type CallDelivery = Extract<Delivery, { kind: 'call' }>;

/** Where the metaflows of an account, a device and a user are read (the store's effective metaflows). */
export type MetaflowSource = (accountId: string, deviceId?: string, userId?: string) => Promise<Metaflows | undefined>;

export interface OnDemandOptions {
  node: string;
  metaflows: MetaflowSource;
  /** How long metaflows read for a leg serve the next ones (METAFLOW_CACHE_MS). */
  cacheMs: number;
  /** Marks a leg whose call workflow now runs (`uuid_setvar <leg> CALL_WORKFLOW_VARIABLE true`). */
  mark: (uuid: string) => Promise<unknown>;
  push: (key: string, delivery: Delivery) => void;
  logger: Logger;
  /** How long a leg is remembered after its hangup (its late duplicates still find their way). */
  graceMs?: number;
}

/** What the ingest knows of a call leg from its events: enough for the SNAPSHOT its workflow starts with. */
interface LegView {
  answered: boolean;
  bridgedTo?: string;
  /** The switch's time of the leg's last bridge: the SNAPSHOT is as of then. */
  bridgedAt?: number;
  leg: LegInfo;
}

const MAX_LEGS = 200_000;

export class OnDemandCalls {
  private readonly legs = new Map<string, LegView>();
  private readonly started = new Set<string>();
  /** Legs whose key press waits for their metaflows: their later events wait behind it, in order. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly cache: MetaflowCache;

  constructor(private readonly o: OnDemandOptions) {
    this.cache = new MetaflowCache(o.metaflows, o.cacheMs);
  }

  /** Every channel event, whatever its route: the leg's state, and whether its workflow runs. */
  observe(evt: EslEvent, event: ChannelEvent): void {
    const uuid = event.uuid;
    let view = this.legs.get(uuid);
    if (!view) {
      view = { answered: false, leg: {} };
      this.legs.set(uuid, view);
      if (this.legs.size > MAX_LEGS) this.forget(this.legs.keys().next().value as string);
    }
    if (event.leg) {
      const { accountId, authorizingId, ownerId, ...who } = event.leg;
      // Who the leg is, as its first event says (an outbound leg's caller ID flips on answer); whose, as the last.
      view.leg = { ...who, ...view.leg, ...defined({ accountId, authorizingId, ownerId }) };
    }
    if (evt[`variable_${CALL_WORKFLOW_VARIABLE}`] === 'true') this.started.add(uuid);
    switch (event.name) {
      case 'CHANNEL_ANSWER':
        view.answered = true;
        break;
      case 'CHANNEL_BRIDGE': {
        view.bridgedTo = bridgedPeer(event);
        view.bridgedAt = event.at;
        view.answered = true;
        break;
      }
      case 'CHANNEL_UNBRIDGE':
        view.bridgedTo = undefined;
        break;
      case 'CHANNEL_HANGUP_COMPLETE':
        setTimeout(() => this.forget(uuid), this.o.graceMs ?? 60_000).unref();
        break;
    }
  }

  /** The running call workflows a reconciliation listed: their legs' events go to them. */
  running(callIds: Iterable<string>): void {
    for (const id of callIds) this.started.add(id);
  }

  isStarted(uuid: string): boolean {
    return this.started.has(uuid);
  }

  /** An event for a call leg's workflow: delivered if the leg has one, else it may start one, else only projected. */
  deliver(delivery: CallDelivery): void {
    const uuid = delivery.uuid;
    if (this.pending.has(uuid)) return this.after(uuid, () => this.decide(delivery));
    if (this.started.has(uuid)) return this.o.push(uuid, delivery);
    if (!this.mayStart(delivery)) return;
    this.after(uuid, () => this.decide(delivery));
  }

  /** Resolves once every key press waiting for its metaflows has been decided. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending.values());
  }

  private mayStart(delivery: CallDelivery): boolean {
    const event = delivery.event;
    return event?.name === 'DTMF' && !!event.digit && !!this.legs.get(delivery.uuid)?.bridgedTo;
  }

  private async decide(delivery: CallDelivery): Promise<void> {
    const uuid = delivery.uuid;
    if (this.started.has(uuid)) return this.o.push(uuid, delivery);
    if (!this.mayStart(delivery)) return;
    const view = this.legs.get(uuid)!;
    let binding: Set<string>;
    try {
      binding = await this.bindingDigits(view);
    } catch (err) {
      // The store is away: a key press that may be a feature code is not left unheard for it.
      this.o.logger.warn('ingest: metaflows unreadable; the call workflow is started anyway', {
        uuid,
        error: String(err),
      });
      binding = new Set([delivery.event!.digit!]);
    }
    if (!binding.has(delivery.event!.digit!) || this.started.has(uuid)) {
      if (this.started.has(uuid)) this.o.push(uuid, delivery);
      return;
    }
    this.start(uuid, view, delivery);
  }

  /** The leg's workflow starts with its state and the key press; its bridged peer's with its own state. */
  private start(uuid: string, view: LegView, delivery: CallDelivery): void {
    const at = delivery.event?.at ?? Date.now();
    this.started.add(uuid);
    this.o.push(uuid, { ...delivery, initial: [this.snapshot(uuid, view, at)] });
    this.markLeg(uuid);
    const peer = view.bridgedTo;
    if (!peer || this.started.has(peer)) return;
    this.started.add(peer);
    const peerView = this.legs.get(peer) ?? { answered: true, bridgedTo: uuid, leg: {} };
    this.o.push(peer, { kind: 'call', uuid: peer, initial: [this.snapshot(peer, peerView, at)] });
    this.markLeg(peer);
  }

  private snapshot(uuid: string, view: LegView, at: number): ChannelEvent {
    return snapshotEvent({
      uuid,
      node: this.o.node,
      at: (view.bridgedTo && view.bridgedAt) || at,
      answered: view.answered,
      bridgedTo: view.bridgedTo,
      leg: view.leg,
    });
  }

  private markLeg(uuid: string): void {
    this.o
      .mark(uuid)
      .catch((err: unknown) =>
        this.o.logger.warn('ingest: could not mark a leg whose call workflow runs', { uuid, error: String(err) }),
      );
  }

  /**
   * The digits that begin a feature code on this leg: the binding digit of its own metaflows (unless they listen to
   * the peer only) and of its peer's that listen to it (`peer` or `both`). A peer of another account tree is not
   * asked about here: the workflow's policy decides that, and a workflow started for nothing costs only itself.
   */
  private async bindingDigits(view: LegView): Promise<Set<string>> {
    const digits = new Set<string>();
    const own = await this.metaflowsOf(view.leg);
    if (own && (own.listen_on ?? 'self') !== 'peer') digits.add(own.binding_digit);
    const peer = view.bridgedTo ? this.legs.get(view.bridgedTo) : undefined;
    const theirs = peer && (await this.metaflowsOf(peer.leg));
    if (theirs && (theirs.listen_on === 'peer' || theirs.listen_on === 'both')) digits.add(theirs.binding_digit);
    return digits;
  }

  private metaflowsOf(leg: LegInfo): Promise<Metaflows | undefined> {
    if (!leg.accountId) return Promise.resolve(undefined);
    return this.cache.get(leg.accountId, leg.authorizingId, leg.ownerId);
  }

  private after(uuid: string, step: () => Promise<void>): void {
    const next = (this.pending.get(uuid) ?? Promise.resolve()).then(step).catch((err: unknown) => {
      this.o.logger.error('ingest: on-demand delivery failed', { uuid, error: String(err) });
    });
    this.pending.set(uuid, next);
    void next.then(() => {
      if (this.pending.get(uuid) === next) this.pending.delete(uuid);
    });
  }

  private forget(uuid: string): void {
    this.legs.delete(uuid);
    this.started.delete(uuid);
  }
}

/**
 * Metaflows per account, device and user, kept `ttlMs` (an operator's change reaches the next key press after that at
 * the latest), at most `max` of them (the oldest read goes first). A failed read is not kept.
 */
export class MetaflowCache {
  private readonly entries = new Map<string, { at: number; value: Promise<Metaflows | undefined> }>();

  constructor(
    private readonly read: MetaflowSource,
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(accountId: string, deviceId?: string, userId?: string): Promise<Metaflows | undefined> {
    const key = JSON.stringify([accountId, deviceId ?? '', userId ?? '']);
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = this.read(accountId, deviceId, userId);
    this.entries.delete(key);
    if (this.ttlMs > 0) {
      const entry = { at: now, value };
      this.entries.set(key, entry);
      value.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
      if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    }
    return value;
  }
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}
