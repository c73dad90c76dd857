// The switch as the judge sees it: one ESL connection per FreeSWITCH node that plays the phones (originate, DTMF,
// hangups) and follows the channel events, for hours if need be. It keeps a small summary per channel and what each
// caller hears (test/support/hearing.ts, events only), never the whole event log: only a short recent window (for
// "has it happened yet?") and the events of the legs a scenario follows.
import { EslClient, type EslAddress, type EslEvent } from '../support/esl-client.ts';
import { HearingTracker, type Hearing } from '../support/hearing.ts';
import type { PhoneLine } from '../support/engine.ts';
import { liveChannels } from '../support/switch.ts';
import { ACTIVE_TRANSFER_VARIABLE, TRANSFEREE_VARIABLE, TRANSFER_ID_VARIABLE } from '../../contracts/ids.ts';

/** The events a verdict needs; anything else is not subscribed to. */
const EVENTS = [
  'CHANNEL_CREATE',
  'CHANNEL_ANSWER',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PARK',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'DTMF',
  'BACKGROUND_JOB',
];

/** Headers kept from each event (the rest, a hundred channel variables, is dropped at once). */
const KEPT = [
  'Event-Name',
  'Unique-ID',
  'Other-Leg-Unique-ID',
  'Bridge-A-Unique-ID',
  'Bridge-B-Unique-ID',
  'Playback-File-Path',
  'DTMF-Digit',
  'Hangup-Cause',
  'Channel-Name',
  'Caller-Destination-Number',
  'Job-UUID',
  // The transferee's mark while its transfer holds it: the load benchmark's audit knows which bridge its call is told of.
  `variable_${TRANSFEREE_VARIABLE}`,
  // The mark of the transfer a leg is a party of: the audit knows the hold's unbridge of the two parties is no signal.
  `variable_${ACTIVE_TRANSFER_VARIABLE}`,
  // The switch's own time of an event (µs): the load benchmark tells a code the phones split by the gaps between presses.
  'Event-Date-Timestamp',
  `variable_${TRANSFER_ID_VARIABLE}`,
];

/** A leg-local copy of an event: its name, when this process received it, and the headers above. */
export interface SwitchEvent extends EslEvent {
  /** Date.now() when received. */
  at: number;
}

function slim(ev: EslEvent): SwitchEvent {
  const headers: Record<string, string> = {};
  for (const k of KEPT) {
    const v = ev.headers[k];
    if (v !== undefined) headers[k] = v;
  }
  const out: SwitchEvent = { name: ev.name, headers, list: [], t: ev.t, at: Date.now() };
  if (ev.name === 'BACKGROUND_JOB' && ev.body !== undefined) out.body = ev.body.slice(0, 200);
  return out;
}

/** Every leg this watcher saw created, in brief. */
export interface LegInfo {
  uuid: string;
  channelName: string;
  destination?: string;
  transferId?: string;
  createdAt: number;
  /** How many times the switch created a channel with this UUID (more than once: the same leg dialled again). */
  creates: number;
  answeredAt?: number;
  hungUpAt?: number;
  cause?: string;
}

type Waiter = { pred: (ev: SwitchEvent) => boolean; hit: (ev: SwitchEvent) => void };

export class SwitchWatcher implements PhoneLine {
  readonly hearing = new HearingTracker();
  readonly legs = new Map<string, LegInfo>();
  private readonly recent: SwitchEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly followers = new Set<(ev: SwitchEvent) => void>();
  readonly demo: { accountId: string };
  readonly config: { ACCOUNT_ID_VARIABLE: string };

  private constructor(
    readonly node: string,
    readonly phones: EslClient,
    accountId: string,
    accountVariable: string,
    private readonly windowMs: number,
  ) {
    this.demo = { accountId };
    this.config = { ACCOUNT_ID_VARIABLE: accountVariable };
    phones.onEvent((ev) => this.onEvent(slim(ev)));
  }

  static async connect(opts: {
    node: string;
    esl: EslAddress;
    accountId: string;
    accountVariable: string;
    /** How long recent events are kept for waiters that come late (default 30 s). */
    windowMs?: number;
  }): Promise<SwitchWatcher> {
    const phones = await EslClient.connect(opts.esl, `plain ${EVENTS.join(' ')}`, { retain: false });
    return new SwitchWatcher(opts.node, phones, opts.accountId, opts.accountVariable, opts.windowMs ?? 30_000);
  }

  private onEvent(ev: SwitchEvent): void {
    this.hearing.feed(ev);
    const uuid = ev.headers['Unique-ID'];
    if (uuid) {
      if (ev.name === 'CHANNEL_CREATE') {
        // The same UUID created again (an originate sent twice with one origination_uuid) is a second leg.
        const creates = (this.legs.get(uuid)?.creates ?? 0) + 1;
        this.legs.set(uuid, {
          uuid,
          channelName: ev.headers['Channel-Name'] ?? '',
          destination: ev.headers['Caller-Destination-Number'],
          transferId: ev.headers[`variable_${TRANSFER_ID_VARIABLE}`],
          createdAt: ev.at,
          creates,
        });
      }
      const leg = this.legs.get(uuid);
      if (leg && ev.name === 'CHANNEL_ANSWER') leg.answeredAt ??= ev.at;
      if (leg && ev.name === 'CHANNEL_HANGUP_COMPLETE') {
        leg.hungUpAt = ev.at;
        leg.cause = ev.headers['Hangup-Cause'];
      }
    }
    this.recent.push(ev);
    const cut = ev.at - this.windowMs;
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop]!.at < cut) drop++;
    if (drop) this.recent.splice(0, drop);
    for (const f of this.followers) f(ev);
    for (const w of [...this.waiters]) if (w.pred(ev)) w.hit(ev);
  }

  /** Calls `fn` with every event until the returned function is called. */
  follow(fn: (ev: SwitchEvent) => void): () => void {
    this.followers.add(fn);
    return () => this.followers.delete(fn);
  }

  /**
   * The first event matching `pred`, among the recent ones or from now on. `onHit` runs synchronously as the event
   * arrives (a kill aimed at that moment lands before anything else this process does).
   */
  when(pred: (ev: SwitchEvent) => boolean, timeoutMs: number, onHit?: (ev: SwitchEvent) => void): Promise<SwitchEvent> {
    const past = this.recent.find(pred);
    if (past) {
      onHit?.(past);
      return Promise.resolve(past);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        hit: (ev) => {
          this.waiters.delete(w);
          clearTimeout(timer);
          onHit?.(ev);
          resolve(ev);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** `PhoneLine` for placeCall and press (test/support/engine.ts). */
  waitForEvent = (pred: (e: EslEvent) => boolean, timeoutMs = 5000): Promise<EslEvent> => this.when(pred, timeoutMs);
  api = (cmd: string): Promise<string> => this.phones.api(cmd);
  bgapi: EslClient['bgapi'] = (cmd, jobUuid) => this.phones.bgapi(cmd, jobUuid);

  hears(uuid: string): Hearing {
    return this.hearing.hears(uuid);
  }

  alive(uuid: string): boolean {
    const leg = this.legs.get(uuid);
    return !!leg && leg.hungUpAt === undefined;
  }

  /** The legs a transfer originated (they carry its ID), in the order the switch created them. */
  legsOfTransfer(transferId: string): LegInfo[] {
    return [...this.legs.values()].filter((l) => l.transferId === transferId);
  }

  /** Live channels as the switch lists them (`show channels as json`), by UUID. */
  async liveChannels(): Promise<Set<string>> {
    return new Set(await liveChannels(this.phones));
  }

  /** Forgets legs that ended long ago (a long run keeps its memory flat). */
  forgetEnded(before: number): void {
    for (const [uuid, leg] of this.legs)
      if (leg.hungUpAt !== undefined && leg.hungUpAt < before) this.legs.delete(uuid);
  }

  close(): Promise<void> {
    return this.phones.close();
  }
}
