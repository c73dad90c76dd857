// A feature code's key presses, delivered together. Each press of `*22600` was a signal and a workflow task of the
// leg's call workflow, and the code's timer a task more each time a later press moved its deadline. At a leg's first
// key press this ingest reads the leg's feature codes as the call workflow reads them (the same policy read, in this
// process: no Temporal action) and runs the same collector over the leg's presses. A code's binding digit goes at
// once (the call workflow reads the leg's codes at it, well before the code ends); the presses after it are held, and
// go as one delivery when
// - the collector decides at a press (a terminator, a code nothing can extend, the digit cap), or
// - no press came for the shortest digit timeout of the leg's codes: the last press then says how long the leg was
//   quiet after it (ChannelEvent.quietMs), and the call workflow ends the code at once instead of starting a timer, or
// - any other event of the leg comes (it goes after the presses, in the switch's order), or the ingest stops.
// The workflow's timer ends the lone binding digit as no code first; the held presses, stamped within the timeout of
// it, take the collection up again (workflows/collector.ts `press`), as after any timer that fired before its digits.
// The call workflow still collects every press itself and decides what they are: this only chooses when they travel.
//
// Holding starts only after a binding digit, never inside a code the workflow has more of: it ends what it has by its
// own timer, and the rest held here would come after that timer (a `*226` that it already had would be dialled).
// A leg is left to the old way, a signal per press, whenever holding could change what the caller gets:
// - its codes are private (the peer's ear is masked at the binding digit, which must reach the workflow at once);
// - it is a party of a running transfer (its presses go to the transfer too, which acts on the takeback at once);
// - its codes could not be read, or its bridge changed since they were (they are read again at its next press).
// The leg's first press waits for the read (a uuid_dump or two and the store's metaflows, a few ms; READ_WAIT_MS at
// most), and its later events wait behind it, in order. A press held here is lost if this process dies before the
// code goes, as is any event the ingest had not sent yet; an HA pair's other ingest has it too, and sends it.
//
// An ingest that has just (re)connected cannot tell a press that starts nothing from the middle of a code whose start
// it did not hear: restarted in the middle of `*22600`, it hears `2600` only; reconnected in the middle of it, it holds
// `*2` and hears `600`. Sent at once, or with a quiet, those presses may reach the call workflow before the pair's other
// ingest sends the code it held whole, and the workflow, which has the `*`, would take `*2600`: its timer, a quiet, or
// a code they complete as they come (`*1`) acts before the whole code arrives, and an act cannot be taken back. So a
// press made within the longest digit timeout (at most UNSURE_TIMEOUT_MAX_MS; give or take CLOCKS_APART_MS) of the
// start of listening, on a leg whose last press this ingest heard came before it (or none did), is held, with the
// presses chained to it within the timeout, until the leg has been quiet for the timeout plus UNSURE_WAIT_MS, and they
// go without a quiet: the other ingest's code is in the workflow by then, and these are its copies, which the
// workflow drops. Another event of the leg sends them at once, in order. Without a pair, the workflow takes them when
// they come, as it would have taken them at once.
import type { LegPolicy } from '../../activities/policy.ts';
import { bridgedPeer, type ChannelEvent } from '../../contracts/messages.ts';
import type { FeatureCodeSet } from '../../contracts/metaflows.ts';
import {
  digitTimeoutOf,
  emptyCollector,
  press,
  type CollectorOptions,
  type CollectorState,
} from '../../workflows/collector.ts';
import { collectorOptions } from '../../workflows/key-press.ts';
import type { Delivery } from './queue.ts';

type CallDelivery = Extract<Delivery, { kind: 'call' }>;

/**
 * How much longer than the digit timeout the ingest waits before it sends a code with its quiet: a press made just
 * inside the timeout reaches the ingest a little after its stamp (the switch's event queue and the network), and the
 * quiet it reports leaves this out, so a press it has not seen yet cannot fall inside it. What waits in this process's
 * socket is read first (`quiet` runs after the event loop's next read of its sockets), so a busy event loop needs no
 * margin of its own. Every ms of it is a ms of the caller's wait for a code the timeout ends.
 */
export const QUIET_MARGIN_MS = 5;

/**
 * How long a leg's first press waits for the read of its codes: a switch slow to answer `uuid_dump` (or a store slow
 * to answer) must not hold the caller's presses and the leg's other events for its commands' deadlines. Past it the
 * leg's presses go one by one, as if it had no codes to hold, until its bridge changes.
 */
export const READ_WAIT_MS = 250;

/**
 * How far the switch's clock may be behind this host's: an ingest that connected after a press may have missed the
 * presses before it (the switch does not send events again). NTP keeps the two within a few ms; a switch further
 * behind makes the ingest unsure for longer, which costs nothing but a wait.
 */
export const CLOCKS_APART_MS = 250;

/**
 * How much longer than the digit timeout presses an ingest could not place (they may continue a code begun before it
 * listened) wait for their leg to be quiet: the pair's other ingest sends the code it held the timeout plus
 * QUIET_MARGIN_MS after its last press, and its signal must reach the call workflow first, behind a queue or a retry.
 * Only presses made just after a (re)connect wait for it.
 */
export const UNSURE_WAIT_MS = 1000;

/**
 * The longest digit timeout the wait after a (re)connect covers: a press is taken for the tail of a code begun unheard
 * within this (or the leg's longest timeout, when shorter) of the connect, and such presses wait this long plus
 * UNSURE_WAIT_MS. Kazoo's default timeout is 800 ms; a site with a minute's timeout would otherwise have every code
 * pressed in the minute after an ingest's restart wait a minute more.
 */
export const UNSURE_TIMEOUT_MAX_MS = 3000;

/** Presses kept per leg: whether the call workflow has a code under way when the codes are read again. */
const RECENT_PRESSES = 24;
/** Legs remembered at most (a hangup lost while the ingest was away would keep its leg): the oldest goes first. */
const MAX_LEGS = 100_000;

interface LegCodes {
  sets: FeatureCodeSet[];
  options: CollectorOptions;
  /** The bridged peer when the codes were read: a bridge to another leg changes them (the workflow reads again). */
  peer?: string;
  state: CollectorState;
  /** The call workflow has this code's first presses: its presses go one by one until it ends. */
  passing: boolean;
}

interface Leg {
  /** Undefined: not read (or to be read again); null: nothing to hold (no codes, private ones, a failed read). */
  codes?: LegCodes | null;
  /** The read under way: the leg's deliveries wait behind it, in order. */
  waiting?: { delivery: CallDelivery; party: boolean }[];
  /** The leg's last presses the call workflow has (switch time). */
  recent: { digit: string; at: number }[];
  held: CallDelivery[];
  timer?: NodeJS.Timeout;
  /** This host's time of the last held press's arrival. */
  lastArrival: number;
  /**
   * The presses held may continue a code begun before this ingest listened: they wait for the leg's quiet plus
   * UNSURE_WAIT_MS, and go without a quiet.
   */
  unsure?: boolean;
}

export interface CodeHoldOptions {
  /** Where a delivery goes once it leaves (the leg's delivery queue). */
  send: (delivery: CallDelivery) => void;
  /** The leg's feature codes, as its call workflow reads them (activities/policy.ts `loadLegPolicy`). Absent: no hold. */
  read?: (leg: string) => Promise<LegPolicy>;
  onReadError?: (leg: string, err: unknown) => void;
  /** READ_WAIT_MS (tests). */
  readWaitMs?: number;
  /**
   * When this ingest last began to hear the switch's events (this host's clock, ms; 0 before): presses just after it
   * may continue a code it did not hear begin. Absent: every press is placed as if this ingest heard all before it.
   */
  listeningSince?: () => number;
  /** UNSURE_WAIT_MS and UNSURE_TIMEOUT_MAX_MS (tests). */
  unsureWaitMs?: number;
  unsureTimeoutMaxMs?: number;
}

export class CodeHold {
  private readonly legs = new Map<string, Leg>();
  private readonly readWaitMs: number;
  private readonly unsureWaitMs: number;
  private readonly unsureTimeoutMaxMs: number;

  constructor(private readonly o: CodeHoldOptions) {
    this.readWaitMs = o.readWaitMs ?? READ_WAIT_MS;
    this.unsureWaitMs = o.unsureWaitMs ?? UNSURE_WAIT_MS;
    this.unsureTimeoutMaxMs = o.unsureTimeoutMaxMs ?? UNSURE_TIMEOUT_MAX_MS;
  }

  /** A delivery to a call workflow. `party`: the leg is a party of a running transfer. Sent now, held, or queued. */
  offer(delivery: CallDelivery, party: boolean): void {
    const waiting = this.legs.get(delivery.uuid)?.waiting;
    if (waiting) waiting.push({ delivery, party });
    else this.take(delivery, party);
  }

  /** Key presses held for the leg now (those waiting for the leg's read included). */
  heldFor(uuid: string): number {
    const leg = this.legs.get(uuid);
    return leg ? leg.held.length + (leg.waiting?.length ?? 0) : 0;
  }

  /** Key presses held for every leg. */
  get held(): number {
    let n = 0;
    for (const uuid of this.legs.keys()) n += this.heldFor(uuid);
    return n;
  }

  /** Sends everything held (the ingest stops; its queues then deliver what they can). */
  flushAll(): void {
    for (const uuid of [...this.legs.keys()]) this.flush(uuid);
  }

  private take(delivery: CallDelivery, party: boolean): void {
    const uuid = delivery.uuid;
    const event = delivery.event;
    if (!event || event.name !== 'DTMF' || !event.digit || delivery.initial || delivery.startEnded) {
      const leg = this.legs.get(uuid);
      if (leg && event && changesCodes(event, leg.codes)) leg.codes = undefined;
      if (event?.name === 'CHANNEL_HANGUP_COMPLETE') this.drop(uuid);
      else this.flush(uuid);
      this.o.send(delivery);
      return;
    }
    const leg = this.leg(uuid);
    if (party) leg.codes = undefined;
    if (party || leg.codes === null || (leg.codes === undefined && !this.o.read)) return this.pass(leg, delivery);
    if (leg.codes === undefined) return this.read(uuid, leg, delivery);
    const codes = leg.codes;
    const wasOpen = openAt(codes, event.at);
    const longest = Math.min(longestTimeout(codes), this.unsureTimeoutMaxMs);
    const last = leg.held.at(-1)?.event;
    // Held presses this ingest could not place, and this one within the timeout of them: the same unknown code.
    const unsureChain = leg.unsure === true && last !== undefined && event.at - last.at <= longest;
    const heardAt = last?.at ?? leg.recent.at(-1)?.at;
    const unsure = unsureChain || this.mayFollowUnheard(heardAt, event.at, longest);
    if (!wasOpen && !unsureChain) {
      // The code so far ended before this press, by the switch's clock (its timeout ran out): held, it goes now with
      // the gap this press proves; one the workflow had the start of has ended there. This press may start the next.
      // Presses this ingest could not place go as they are: a quiet would end, at the workflow, a code they may be
      // the tail of, before the other ingest's copy of its start arrives.
      if (leg.unsure) this.flush(uuid);
      else if (last) this.quiet(uuid, event.at - last.at);
      codes.passing = false;
    }
    const step = press(codes.state, codes.sets, event.digit, { now: event.at, at: event.at }, codes.options);
    codes.state = step.state;
    const open = shortestTimeout(codes);
    // A match the press found timed out is the code so far, sent above: only a match this press makes decides.
    const decided = step.match !== undefined && !step.byTimeout;
    leg.held.push(delivery);
    if (unsure) {
      leg.unsure = true;
      this.holdFor(uuid, leg, longest + this.unsureWaitMs, () => this.flush(uuid));
      return;
    }
    if (codes.passing || decided || open === undefined || !wasOpen) {
      // Sent now, after what is held: a code decided, no code under way, the rest of a code the workflow has the
      // start of, or the binding digit that starts one (the workflow reads the leg's codes at it, well before the
      // code ends; its timer ends the lone binding digit as no code, and the rest, held, takes it up again).
      codes.passing = codes.passing && wasOpen && !decided && open !== undefined;
      this.flush(uuid);
      return;
    }
    // Node may fire a timer a millisecond early by Date.now(): the quiet is at least what the timer waited.
    this.holdFor(uuid, leg, open, () =>
      this.quiet(uuid, Math.max(open, Date.now() - leg.lastArrival - QUIET_MARGIN_MS)),
    );
  }

  /** The leg's held presses wait for `waitMs` (plus QUIET_MARGIN_MS) without a press; then `then`. */
  private holdFor(uuid: string, leg: Leg, waitMs: number, then: () => void): void {
    leg.lastArrival = Date.now();
    if (leg.timer) clearTimeout(leg.timer);
    const timer = setTimeout(() => {
      // A timer comes before the event loop reads its sockets: a press already in the ESL socket is taken first, and
      // restarts the wait if it continues the code.
      setImmediate(() => {
        if (leg.timer === timer) then();
      });
    }, waitMs + QUIET_MARGIN_MS);
    leg.timer = timer;
  }

  /**
   * Whether a press at `at` (the switch's time) may continue a code with presses this ingest did not hear: it came
   * within the leg's longest digit timeout of the start of listening, and the leg's last press heard (`heardAt`: held,
   * or else the last sent), if any, came before that start; give or take the clocks' distance, both ways.
   */
  private mayFollowUnheard(heardAt: number | undefined, at: number, longestMs: number): boolean {
    const since = this.o.listeningSince?.();
    if (since === undefined || since <= 0 || at - since > longestMs + CLOCKS_APART_MS) return false;
    return heardAt === undefined || heardAt <= since + CLOCKS_APART_MS;
  }

  /** A press that goes now, after what is held. */
  private pass(leg: Leg, delivery: CallDelivery): void {
    this.flush(delivery.uuid);
    this.sent(leg, delivery);
    this.o.send(delivery);
  }

  /** The leg's codes are read; its deliveries wait meanwhile, then go through `take` in order. */
  private read(uuid: string, leg: Leg, delivery: CallDelivery): void {
    leg.waiting = [{ delivery, party: false }];
    let done = false;
    const release = (codes: LegCodes | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      leg.codes = codes;
      const waiting = leg.waiting ?? [];
      leg.waiting = undefined;
      for (const w of waiting) this.take(w.delivery, w.party);
    };
    const timer = setTimeout(() => {
      this.o.onReadError?.(uuid, new Error(`no answer within ${this.readWaitMs} ms`));
      release(null);
    }, this.readWaitMs);
    this.o.read!(uuid).then(
      (policy) => release(this.codesOf(policy, leg)),
      (err: unknown) => {
        if (!done) this.o.onReadError?.(uuid, err);
        release(null);
      },
    );
  }

  /** What is held for the leg's codes: nothing for private ones; a code under way at the workflow passes. */
  private codesOf(policy: LegPolicy, leg: Leg): LegCodes | null {
    if (!policy.sets.length || policy.sets.some((set) => set.metaflows.private_codes === true)) return null;
    const options = collectorOptions(policy);
    let state = emptyCollector(policy.sets);
    for (const key of leg.recent) {
      state = press(state, policy.sets, key.digit, { now: key.at, at: key.at }, options).state;
    }
    const codes: LegCodes = { sets: policy.sets, options, state, passing: false };
    codes.passing = shortestTimeout(codes) !== undefined;
    return policy.peer ? { ...codes, peer: policy.peer } : codes;
  }

  /** No press for `quietMs` after the last held one: the code goes, its last press saying so. */
  private quiet(uuid: string, quietMs: number): void {
    const leg = this.legs.get(uuid);
    if (!leg?.held.length) return;
    const last = leg.held[leg.held.length - 1]!;
    leg.held[leg.held.length - 1] = { ...last, event: { ...last.event!, quietMs } };
    // The workflow ends the collections this quiet covers; any it does not cover goes on there, by its timer, and its
    // next presses go one by one from here.
    if (leg.codes) leg.codes.passing = true;
    this.flush(uuid);
  }

  private flush(uuid: string): void {
    const leg = this.legs.get(uuid);
    if (!leg) return;
    if (leg.timer) clearTimeout(leg.timer);
    leg.timer = undefined;
    leg.unsure = false;
    const held = leg.held;
    leg.held = [];
    for (const d of held) {
      this.sent(leg, d);
      this.o.send(d);
    }
  }

  /** A press the call workflow is sent: kept among the leg's recent ones. */
  private sent(leg: Leg, d: CallDelivery): void {
    if (d.event?.name !== 'DTMF' || !d.event.digit) return;
    leg.recent.push({ digit: d.event.digit, at: d.event.at });
    if (leg.recent.length > RECENT_PRESSES) leg.recent.shift();
  }

  private drop(uuid: string): void {
    this.flush(uuid);
    this.legs.delete(uuid);
  }

  private leg(uuid: string): Leg {
    let leg = this.legs.get(uuid);
    if (!leg) {
      leg = { recent: [], held: [], lastArrival: 0 };
      this.legs.set(uuid, leg);
      if (this.legs.size > MAX_LEGS) this.drop(this.legs.keys().next().value as string);
    }
    return leg;
  }
}

/** The shortest digit timeout of the sets collecting now; undefined when none is. */
function shortestTimeout(codes: LegCodes): number | undefined {
  const armed = codes.sets.flatMap((set, i) =>
    codes.state.collecting[i] === undefined ? [] : [digitTimeoutOf(set, codes.options.fallbackTimeoutMs)],
  );
  return armed.length ? Math.min(...armed) : undefined;
}

/** The longest digit timeout of the leg's sets: how long a code begun unheard may go on. */
function longestTimeout(codes: LegCodes): number {
  return Math.max(...codes.sets.map((set) => digitTimeoutOf(set, codes.options.fallbackTimeoutMs)));
}

/** Whether a collection of `codes` is still open at `at` (the switch's time of a press): its timeout has not run out. */
function openAt(codes: LegCodes, at: number): boolean {
  return codes.sets.some((set, i) => {
    const last = codes.state.lastAt?.[i];
    return (
      codes.state.collecting[i] !== undefined &&
      last !== undefined &&
      at - last <= digitTimeoutOf(set, codes.options.fallbackTimeoutMs)
    );
  });
}

/** A bridge to another leg than the one the codes were read with, or an unbridge: they are read again. */
function changesCodes(event: ChannelEvent, codes: LegCodes | null | undefined): boolean {
  if (codes === undefined) return false;
  if (event.name === 'CHANNEL_UNBRIDGE') return true;
  if (event.name !== 'CHANNEL_BRIDGE') return false;
  return codes === null || bridgedPeer(event) !== codes.peer;
}
