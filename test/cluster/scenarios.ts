// Transfer scenarios driven and judged from the switch alone: the phones place a call, press keys or ask over REST,
// hang up; every step waits for what a caller would notice (ESL events), never for a workflow's state. A scenario
// names the steps at which a kill may be aimed, and ends with a verdict: the outcome was reached, a key press or
// request had no effect, or a leg was left in a state nothing will end (stranded), plus duplicate target legs.
import crypto from 'node:crypto';
import { press, placeCall, type Party } from '../support/engine.ts';
import type { Hearing } from '../support/hearing.ts';
import { transferWorkflowId } from '../../contracts/ids.ts';
import type { RestClient } from './rest.ts';
import type { SwitchEvent, SwitchWatcher } from './switch-watch.ts';

export const SCENARIO_KINDS = [
  'plain',
  'attended',
  'attended-ringing',
  'partial',
  'takeback-ringing',
  'takeback-consulting',
  'busy',
  'no-answer',
  'misdial',
  'rest-attended',
  'rest-cancel',
] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];
/** Every kind with a transfer: what the chaos tool draws from unless told otherwise. */
export const TRANSFER_KINDS: readonly ScenarioKind[] = SCENARIO_KINDS.filter((k) => k !== 'plain');

/** The moments a kill may be aimed at, as the switch shows them. */
export const STEPS = ['request', 'hold', 'target-leg', 'answer', 'hangup', 'takeback-digit'] as const;
export type Step = (typeof STEPS)[number];

interface KindSpec {
  what: string;
  /** The steps this scenario goes through (the ones a kill can be aimed at). */
  steps: readonly Step[];
  rest: boolean;
}

export const KINDS: Record<ScenarioKind, KindSpec> = {
  plain: {
    what: 'no transfer: the callers talk, the transferor hangs up → every leg ends',
    steps: ['hangup'],
    rest: false,
  },
  attended: {
    what: '*22600 (answers at once), consult, transferor hangs up → transferee ↔ target',
    steps: ['hold', 'target-leg', 'answer', 'hangup'],
    rest: false,
  },
  'attended-ringing': {
    what: '*22604 (rings 2 s), consult, transferor hangs up → transferee ↔ target',
    steps: ['hold', 'target-leg', 'answer', 'hangup'],
    rest: false,
  },
  partial: {
    what: '*22604, transferor hangs up while it rings → transferee ↔ target when it answers',
    steps: ['hold', 'target-leg', 'hangup', 'answer'],
    rest: false,
  },
  'takeback-ringing': {
    what: '*22602 (rings until cancelled), *1 while it rings → transferor ↔ transferee',
    steps: ['hold', 'target-leg', 'takeback-digit'],
    rest: false,
  },
  'takeback-consulting': {
    what: '*22600, consult, *1 → transferor ↔ transferee',
    steps: ['hold', 'target-leg', 'answer', 'takeback-digit'],
    rest: false,
  },
  busy: {
    what: '*22603 (USER_BUSY) → transferor ↔ transferee',
    steps: ['hold', 'target-leg', 'hangup'],
    rest: false,
  },
  'no-answer': {
    what: '*22602, nobody answers → transferor ↔ transferee after the ring timeout',
    steps: ['hold', 'target-leg', 'hangup'],
    rest: false,
  },
  misdial: {
    what: '*29999 (no route) → transferor ↔ transferee',
    steps: ['hold', 'target-leg', 'hangup'],
    rest: false,
  },
  'rest-attended': {
    what: 'POST transfer to 2600, consult, transferor hangs up → transferee ↔ target',
    steps: ['request', 'hold', 'target-leg', 'answer', 'hangup'],
    rest: true,
  },
  'rest-cancel': {
    what: 'POST transfer to 2602, POST cancel_transfer while it rings → transferor ↔ transferee',
    steps: ['request', 'hold', 'target-leg'],
    rest: true,
  },
};

/** What the judge concluded. `ok` only when nothing else applies. */
export type Verdict = 'ok' | 'press_lost' | 'refused' | 'wrong_outcome' | 'stranded' | 'error';

export interface Press {
  what: 'transfer code' | 'takeback' | 'REST transfer' | 'REST cancel';
  code: string;
  /** When the first digit (or the request's first attempt) left. */
  startedAt: number;
  /** When the last digit left (or the request's first attempt). */
  sentAt: number;
  /** When the switch showed its effect (the hold, or the target leg ended by the takeback). */
  effectAt?: number;
  lost?: boolean;
  /** REST: every attempt's status. */
  attempts?: number[];
  /** REST: the API process (its URL) that gave the last answer. */
  via?: string;
}

export interface ScenarioPlan {
  id: number;
  kind: ScenarioKind;
  node: string;
  /** A kill aimed at one step of this scenario. */
  aim?: { step: Step; role: string };
  /** Pauses a person takes between two steps (ms), drawn from the run's seed. */
  thinkMs: number[];
}

export interface ScenarioResult {
  plan: ScenarioPlan;
  verdict: Verdict;
  /** What the expected outcome was, and what the switch showed instead when it was not reached. */
  detail: string;
  startedAt: number;
  endedAt: number;
  alice?: string;
  bob?: string;
  transferId?: string;
  targets: string[];
  /** Target legs beyond the first one the transfer originated. */
  duplicates: number;
  presses: Press[];
  /** Legs left alive with nothing on the switch to end their state (silence, or a stream with nobody to act). */
  stranded: { leg: string; name: string; hears: Hearing }[];
  /** Legs still up after the clean-up's hangups (hung up by the judge). */
  leftUp: string[];
  /** The step the aimed kill fired at, when it did. */
  aimedAt?: number;
  /** Step latencies in ms, as a caller notices them (see LATENCIES). */
  latencies: Partial<Record<Latency, number>>;
  /** When each of those waits ended (Date.now()): the report relates them to the kills around them. */
  latencyEnds: Partial<Record<Latency, number>>;
  /** The longest time any of the scenario's callers heard silence (ms). */
  longestSilenceMs: number;
  /** The scenario's legs' events, one line each, for the findings. */
  transcript: string[];
}

export const LATENCIES = {
  hold: 'last digit (or REST answer) → the transferee hears music',
  consult: "target's answer → transferor ↔ target bridged",
  complete: "transferor's hangup → transferee ↔ target bridged",
  takeback: 'last digit of *1 (or REST cancel answer) → transferor ↔ transferee bridged',
  giveBack: "target's failure → transferor ↔ transferee bridged",
} as const;
export type Latency = keyof typeof LATENCIES;

export interface ScenarioEnv {
  watcher: SwitchWatcher;
  rest: RestClient;
  /** The hold music and ringback the engine plays (to tell them apart from the switch's own). */
  moh: string;
  ringback: string;
  /** TARGET_RING_TIMEOUT_S: the no-answer scenario waits for it. */
  ringTimeoutS: number;
  /** Called at each step as the switch shows it (synchronously): an aimed kill fires here. */
  onStep(plan: ScenarioPlan, step: Step): void;
  /** How long a pressed code or accepted request may take to show on the switch before it counts as lost. */
  effectTimeoutMs: number;
  /** How long an outcome may take after the last step. */
  outcomeTimeoutMs: number;
}

const DIGIT_GAP_MS = 120;
/** Long enough for a killed process to be back (restart 1–3 s, start-up, reconciliation) and act on the hangups. */
const CLEANUP_MS = 30_000;
/** A failed scenario's legs are judged this long after the failure was seen. */
const STRANDED_SETTLE_MS = 5000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One scenario's run: its legs, the events about them, and the judge's notes. */
class Run {
  readonly legs = new Set<string>();
  readonly events: SwitchEvent[] = [];
  readonly presses: Press[] = [];
  readonly latencies: ScenarioResult['latencies'] = {};
  readonly latencyEnds: ScenarioResult['latencyEnds'] = {};
  alice!: Party;
  bob!: Party;
  transferId = '';
  aimedAt?: number;
  private think = 0;
  private readonly stopFollowing: () => void;
  private readonly silentSince = new Map<string, number>();
  longestSilenceMs = 0;
  readonly startedAt = Date.now();

  constructor(
    readonly env: ScenarioEnv,
    readonly plan: ScenarioPlan,
  ) {
    this.stopFollowing = env.watcher.follow((ev) => this.observe(ev));
  }

  private observe(ev: SwitchEvent): void {
    const h = ev.headers;
    if (ev.name === 'CHANNEL_CREATE' && this.transferId && h['variable_handoff_transfer_id'] === this.transferId) {
      if (!/-b$/.test(h['Channel-Name'] ?? '')) this.legs.add(h['Unique-ID']!);
    }
    const about = [h['Unique-ID'], h['Other-Leg-Unique-ID'], h['Bridge-A-Unique-ID'], h['Bridge-B-Unique-ID']];
    if (!about.some((u) => u && this.legs.has(u))) return;
    this.events.push(ev);
    // Silence per caller, from the hearing tracker (updated before followers run).
    for (const leg of this.legs) {
      const hears = this.env.watcher.hears(leg);
      const silent = hears.kind === 'silence' && this.answered(leg);
      const since = this.silentSince.get(leg);
      if (silent && since === undefined) this.silentSince.set(leg, ev.at);
      if (!silent && since !== undefined) {
        this.longestSilenceMs = Math.max(this.longestSilenceMs, ev.at - since);
        this.silentSince.delete(leg);
      }
    }
  }

  private answered(leg: string): boolean {
    const info = this.env.watcher.legs.get(leg);
    return !!info?.answeredAt || leg === this.alice?.uuid || leg === this.bob?.uuid;
  }

  latency(name: Latency, from: number, to: number): void {
    this.latencies[name] = to - from;
    this.latencyEnds[name] = to;
  }

  step(step: Step): void {
    if (this.plan.aim?.step === step && this.aimedAt === undefined) this.aimedAt = Date.now();
    this.env.onStep(this.plan, step);
  }

  pause(): Promise<void> {
    const ms = this.plan.thinkMs[this.think++ % this.plan.thinkMs.length] ?? 500;
    return sleep(ms);
  }

  async call(): Promise<void> {
    // Known before the call exists, so that a call that fails half-way is still cleaned off the switch.
    const uuids = { alice: crypto.randomUUID(), bob: crypto.randomUUID() };
    this.alice = { uuid: uuids.alice, number: '1001' };
    this.bob = { uuid: uuids.bob, number: '1002' };
    this.legs.add(uuids.alice).add(uuids.bob);
    this.transferId = transferWorkflowId(uuids.alice, uuids.bob);
    await placeCall(this.env.watcher, { uuids, timeoutMs: 20_000 });
  }

  /**
   * The first event matching, received at or after `since` (default: the scenario's start), or undefined after `ms`.
   * `step` fires the moment it arrives.
   */
  async see(
    pred: (ev: SwitchEvent) => boolean,
    ms: number,
    step?: Step,
    since = this.startedAt,
  ): Promise<SwitchEvent | undefined> {
    return this.env.watcher
      .when((ev) => ev.at >= since && pred(ev), ms, step ? () => this.step(step) : undefined)
      .catch(() => undefined);
  }

  on(name: string, uuid: string) {
    return (ev: SwitchEvent) => ev.name === name && ev.headers['Unique-ID'] === uuid;
  }

  bridged(a: string, b: string) {
    return (ev: SwitchEvent) => {
      if (ev.name !== 'CHANNEL_BRIDGE') return false;
      const x = ev.headers['Bridge-A-Unique-ID'] ?? ev.headers['Unique-ID'];
      const y = ev.headers['Bridge-B-Unique-ID'] ?? ev.headers['Other-Leg-Unique-ID'];
      return (x === a && y === b) || (x === b && y === a);
    };
  }

  /** The target leg: the first leg the switch created carrying this transfer's ID. */
  targetCreated = (ev: SwitchEvent): boolean =>
    ev.name === 'CHANNEL_CREATE' &&
    ev.headers['variable_handoff_transfer_id'] === this.transferId &&
    !/-b$/.test(ev.headers['Channel-Name'] ?? '');

  /** The hold, as the switch shows it first: the pair unbridged, or the transferee parked or hearing music. */
  holdSeen = (ev: SwitchEvent): boolean => {
    const h = ev.headers;
    const uuid = h['Unique-ID'];
    if (ev.name === 'CHANNEL_UNBRIDGE') return uuid === this.alice.uuid || uuid === this.bob.uuid;
    return (ev.name === 'CHANNEL_PARK' || ev.name === 'PLAYBACK_START') && uuid === this.bob.uuid;
  };

  musicOnBob = (ev: SwitchEvent): boolean =>
    ev.name === 'PLAYBACK_START' &&
    ev.headers['Unique-ID'] === this.bob.uuid &&
    ev.headers['Playback-File-Path'] === this.env.moh;

  /** Presses `code` on Alice; with `aimAtFirst` the aimed step fires when the switch shows the first digit. */
  async pressCode(what: Press['what'], code: string, aimAtFirst?: Step): Promise<Press> {
    const p: Press = { what, code, startedAt: Date.now(), sentAt: Date.now() };
    this.presses.push(p);
    if (aimAtFirst) {
      const first = this.see(
        (ev) =>
          ev.name === 'DTMF' && ev.headers['Unique-ID'] === this.alice.uuid && ev.headers['DTMF-Digit'] === code[0],
        5000,
        aimAtFirst,
        p.startedAt,
      );
      await press(this.env.watcher, this.alice.uuid, code[0]!, 0);
      await first;
      await sleep(DIGIT_GAP_MS);
      await press(this.env.watcher, this.alice.uuid, code.slice(1), DIGIT_GAP_MS);
    } else {
      await press(this.env.watcher, this.alice.uuid, code, DIGIT_GAP_MS);
    }
    p.sentAt = Date.now();
    return p;
  }

  /** A REST action; `step` fires as the first attempt leaves. */
  async rest(what: Press['what'], data: Record<string, unknown>, step?: Step): Promise<Press> {
    const p: Press = { what, code: String(data.action), startedAt: Date.now(), sentAt: Date.now() };
    this.presses.push(p);
    const answer = await this.env.rest.channelAction(this.alice.uuid, data, step ? () => this.step(step) : undefined);
    p.attempts = answer.attempts;
    p.via = answer.via;
    if (!answer.accepted)
      throw new Refused(`${what}: HTTP ${answer.attempts.join(', ')} ${JSON.stringify(answer.body)}`);
    return p;
  }

  /** The hold after a transfer request: the code's (or request's) effect. */
  async held(p: Press): Promise<void> {
    const hold = await this.see(this.holdSeen, this.env.effectTimeoutMs, 'hold', p.startedAt);
    if (!hold) {
      p.lost = true;
      throw new Lost(`${p.what} ${p.code}: no hold on the switch within ${this.env.effectTimeoutMs} ms`);
    }
    p.effectAt = hold.at;
    void this.see(this.musicOnBob, this.env.outcomeTimeoutMs, undefined, p.startedAt).then((m) => {
      if (m) this.latency('hold', p.sentAt, m.at);
    });
  }

  async target(): Promise<string> {
    const created = await this.see(this.targetCreated, this.env.outcomeTimeoutMs, 'target-leg');
    if (!created) throw new Wrong('the transferee was held but no target leg was created');
    return created.headers['Unique-ID']!;
  }

  async answered_(target: string): Promise<SwitchEvent> {
    const answer = await this.see(this.on('CHANNEL_ANSWER', target), this.env.outcomeTimeoutMs, 'answer');
    if (!answer) {
      const leg = this.env.watcher.legs.get(target);
      const ended = leg?.hungUpAt !== undefined ? `; it ended ${leg.cause}` : '';
      throw new Wrong(`the target leg (dialled ${leg?.destination ?? '?'}) never answered${ended}`);
    }
    return answer;
  }

  /** Alice and the target talk (the consultation). */
  async consulting(target: string, answer: SwitchEvent): Promise<void> {
    const bridge = await this.see(this.bridged(this.alice.uuid, target), this.env.outcomeTimeoutMs);
    if (!bridge) throw new Wrong('the target answered but was never bridged to the transferor');
    this.latency('consult', answer.at, bridge.at);
  }

  async hangUpAlice(step = true): Promise<SwitchEvent | undefined> {
    const seen = this.see(this.on('CHANNEL_HANGUP', this.alice.uuid), 10_000, step ? 'hangup' : undefined);
    await this.env.watcher.api(`uuid_kill ${this.alice.uuid}`);
    return seen;
  }

  /** Bob and the target end up talking. */
  async completed(target: string, from: number): Promise<void> {
    const bridge = await this.see(this.bridged(this.bob.uuid, target), this.env.outcomeTimeoutMs);
    if (!bridge) throw new Wrong('the transferee was never bridged to the target');
    this.latency('complete', from, bridge.at);
    await this.holds(target, this.bob.uuid);
  }

  /**
   * When the switch showed the last digit of the code `p` pressed on Alice (what the caller waits from), or undefined
   * for a REST request. Not when press() returned: the switch's replies to the digits queue behind the events on the
   * phones' connection, and a fast engine bridges before they come.
   */
  async lastDigitSeen(p: Press): Promise<number | undefined> {
    const digit = p.code.at(-1);
    if (!digit || !/^[0-9*#A-D]+$/.test(p.code)) return undefined;
    const seen = await this.see(
      (ev) => ev.name === 'DTMF' && ev.headers['Unique-ID'] === this.alice.uuid && ev.headers['DTMF-Digit'] === digit,
      1000,
      undefined,
      p.startedAt,
    );
    return seen?.at;
  }

  /** Alice and Bob talk again, the target leg gone: a bridge of the two since `since`, timed from `from`. */
  async givenBack(target: string | undefined, from: number, latency: Latency, since = from): Promise<void> {
    const bridge = await this.see(
      this.bridged(this.alice.uuid, this.bob.uuid),
      this.env.outcomeTimeoutMs,
      undefined,
      since,
    );
    if (!bridge) throw new Wrong('the transferor and the transferee were never bridged again');
    this.latency(latency, from, bridge.at);
    if (target && this.env.watcher.alive(target)) {
      const gone = await this.see(this.on('CHANNEL_HANGUP_COMPLETE', target), 10_000);
      if (!gone) throw new Wrong('given back, but the target leg is still up');
    }
    await this.holds(this.alice.uuid, this.bob.uuid);
  }

  /** The outcome lasts: a and b still hear each other a moment later. */
  private async holds(a: string, b: string): Promise<void> {
    await sleep(500);
    const ha = this.env.watcher.hears(a);
    const hb = this.env.watcher.hears(b);
    if (!(ha.kind === 'peer' && ha.peer === b && hb.kind === 'peer' && hb.peer === a)) {
      throw new Wrong(`bridged, but then ${JSON.stringify(ha)} / ${JSON.stringify(hb)}`);
    }
  }

  /**
   * Legs alive with nothing on the switch to end their state: silence, or a stream (music, ringback) while no other
   * leg of the scenario can act (bridged to someone, or a target still ringing under the switch's own timeout).
   */
  strandedLegs(): ScenarioResult['stranded'] {
    const w = this.env.watcher;
    const live = [...this.legs].filter((l) => w.alive(l));
    const actor = (l: string) => {
      const h = w.hears(l);
      const ringing = !w.legs.get(l)?.answeredAt && l !== this.alice.uuid && l !== this.bob.uuid;
      return ringing || (h.kind === 'peer' && w.alive(h.peer));
    };
    const out: ScenarioResult['stranded'] = [];
    for (const leg of live) {
      const hears = w.hears(leg);
      if (actor(leg)) continue;
      if (hears.kind === 'stream' && live.some((other) => other !== leg && actor(other))) continue;
      out.push({ leg, name: this.name(leg), hears });
    }
    return out;
  }

  name(leg: string): string {
    if (leg === this.alice?.uuid) return 'transferor';
    if (leg === this.bob?.uuid) return 'transferee';
    return 'target';
  }

  /** Hangs up what a caller would (`first`), waits for every leg to end, then hangs up the rest itself. */
  async cleanUp(first: string[]): Promise<string[]> {
    const w = this.env.watcher;
    for (const leg of first) if (w.alive(leg)) await w.api(`uuid_kill ${leg}`);
    const until = Date.now() + CLEANUP_MS;
    while (Date.now() < until && [...this.legs].some((l) => w.alive(l))) await sleep(200);
    const live = await w.liveChannels();
    const left = [...this.legs].filter((l) => w.alive(l) || live.has(l));
    for (const leg of left) await w.api(`uuid_kill ${leg}`);
    return left;
  }

  transcript(): string[] {
    const t0 = this.events[0]?.at ?? 0;
    return this.events.map((ev) => {
      const h = ev.headers;
      const who = this.name(h['Unique-ID'] ?? '');
      const other = h['Other-Leg-Unique-ID'] ? ` other=${this.name(h['Other-Leg-Unique-ID'])}` : '';
      const dialled = ev.name === 'CHANNEL_CREATE' ? h['Caller-Destination-Number'] : undefined;
      const extra = [dialled, h['DTMF-Digit'], h['Playback-File-Path'], h['Hangup-Cause']].filter(Boolean).join(' ');
      return `+${ev.at - t0} ms ${ev.name} ${who} ${(h['Unique-ID'] ?? '').slice(0, 8)}${other} ${extra}`.trimEnd();
    });
  }

  close(): void {
    this.stopFollowing();
    const now = Date.now();
    for (const since of this.silentSince.values()) this.longestSilenceMs = Math.max(this.longestSilenceMs, now - since);
  }
}

class Lost extends Error {}
class Refused extends Error {}
class Wrong extends Error {}

/** The drivers: each returns the legs a caller hangs up at the end (the clean-up). */
const DRIVERS: Record<ScenarioKind, (r: Run) => Promise<string[]>> = {
  async plain(r) {
    // Alice's hangup ends Bob's leg too (the switch's own doing); the clean-up judges any leg left up as stranded.
    await r.hangUpAlice();
    return [r.alice.uuid];
  },
  async attended(r) {
    return consultThenHangUp(r, await r.pressCode('transfer code', '*22600'));
  },
  async 'attended-ringing'(r) {
    return consultThenHangUp(r, await r.pressCode('transfer code', '*22604'));
  },
  async partial(r) {
    const p = await r.pressCode('transfer code', '*22604');
    await r.held(p);
    const target = await r.target();
    const hungUp = (await r.hangUpAlice()) ?? { at: Date.now() };
    const answer = await r.answered_(target);
    await r.completed(target, Math.max(hungUp.at, answer.at));
    return [r.bob.uuid];
  },
  async 'takeback-ringing'(r) {
    const p = await r.pressCode('transfer code', '*22602');
    await r.held(p);
    const target = await r.target();
    await r.pause();
    return takeBack(r, target, 'ORIGINATOR_CANCEL');
  },
  async 'takeback-consulting'(r) {
    const p = await r.pressCode('transfer code', '*22600');
    await r.held(p);
    const target = await r.target();
    await r.consulting(target, await r.answered_(target));
    await r.pause();
    return takeBack(r, target, 'NORMAL_CLEARING');
  },
  async busy(r) {
    return targetFails(r, '*22603', 'USER_BUSY');
  },
  async 'no-answer'(r) {
    return targetFails(r, '*22602', 'NO_ANSWER');
  },
  async misdial(r) {
    return targetFails(r, '*29999', 'NO_ROUTE_DESTINATION');
  },
  async 'rest-attended'(r) {
    const p = await r.rest('REST transfer', { action: 'transfer', target: '2600', takeback_dtmf: '*1' }, 'request');
    return consultThenHangUp(r, p);
  },
  async 'rest-cancel'(r) {
    const p = await r.rest('REST transfer', { action: 'transfer', target: '2602' }, 'request');
    await r.held(p);
    const target = await r.target();
    await r.pause();
    const cancel = await r.rest('REST cancel', { action: 'cancel_transfer' });
    return takenBack(r, cancel, target, 'ORIGINATOR_CANCEL');
  },
};

async function consultThenHangUp(r: Run, p: Press): Promise<string[]> {
  await r.held(p);
  const target = await r.target();
  await r.consulting(target, await r.answered_(target));
  await r.pause();
  const hungUp = await r.hangUpAlice();
  await r.completed(target, hungUp?.at ?? Date.now());
  return [r.bob.uuid];
}

async function takeBack(r: Run, target: string, cause: string): Promise<string[]> {
  return takenBack(r, await r.pressCode('takeback', '*1', 'takeback-digit'), target, cause);
}

/**
 * The takeback (or REST cancel) `p` ends the target leg with `cause` and gives the transferor back. A target that
 * rang out (NO_ANSWER) ended by its own deadline, not by the request: the request was lost, and the callers must still
 * be given back.
 */
async function takenBack(r: Run, p: Press, target: string, cause: string): Promise<string[]> {
  const ringing = !r.env.watcher.legs.get(target)?.answeredAt;
  const waitMs = r.env.outcomeTimeoutMs + (ringing ? r.env.ringTimeoutS * 1000 : 0);
  const ended = await r.see(r.on('CHANNEL_HANGUP_COMPLETE', target), waitMs, undefined, p.startedAt);
  if (ended && ended.headers['Hangup-Cause'] === cause) {
    p.effectAt = ended.at;
    await r.givenBack(target, (await r.lastDigitSeen(p)) ?? p.sentAt, 'takeback', p.startedAt);
    return [r.alice.uuid];
  }
  p.lost = true;
  const what = p.what === 'takeback' ? `takeback ${p.code} pressed` : `${p.what} accepted`;
  if (!ended) throw new Lost(`${what}, but the target leg stayed up`);
  try {
    await r.givenBack(undefined, ended.at, 'giveBack');
  } catch (err) {
    throw new Wrong(
      `${what}, but the target leg ended ${ended.headers['Hangup-Cause']}; then ${(err as Error).message}`,
    );
  }
  throw new Lost(`${what}, but the target leg ended ${ended.headers['Hangup-Cause']} (the callers were given back)`);
}

async function targetFails(r: Run, code: string, cause: string): Promise<string[]> {
  const p = await r.pressCode('transfer code', code);
  await r.held(p);
  const target = await r.target();
  const ended = await r.see(
    r.on('CHANNEL_HANGUP_COMPLETE', target),
    r.env.outcomeTimeoutMs + r.env.ringTimeoutS * 1000,
    'hangup',
  );
  if (!ended) throw new Wrong(`the target leg (${cause}) never ended`);
  if (ended.headers['Hangup-Cause'] !== cause) {
    throw new Wrong(`the target leg ended ${ended.headers['Hangup-Cause']}, not ${cause}`);
  }
  await r.givenBack(undefined, ended.at, 'giveBack');
  return [r.alice.uuid];
}

/** Runs one scenario to its verdict and cleans its legs off the switch. */
export async function runScenario(env: ScenarioEnv, plan: ScenarioPlan): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const r = new Run(env, plan);
  let verdict: Verdict = 'ok';
  let detail = KINDS[plan.kind].what;
  let hangUpFirst: string[] = [];
  try {
    await r.call();
    await r.pause();
    hangUpFirst = await DRIVERS[plan.kind](r);
    // The callers talk a moment before they hang up.
    await r.pause();
  } catch (err) {
    detail = err instanceof Error ? err.message : String(err);
    verdict =
      err instanceof Lost
        ? 'press_lost'
        : err instanceof Refused
          ? 'refused'
          : err instanceof Wrong
            ? 'wrong_outcome'
            : 'error';
    if (!(err instanceof Lost || err instanceof Refused || err instanceof Wrong)) detail = `driver error: ${detail}`;
  }
  // Not reached: the engine gets a few seconds to act on what it has seen before what is left is judged. A driver
  // error (the tool's, or the switch's, not the engine's) is reported as such, and its legs are only cleaned up.
  const judged = verdict !== 'error';
  if (verdict !== 'ok' && judged) await sleep(STRANDED_SETTLE_MS);
  const stranded = verdict !== 'ok' && judged ? r.strandedLegs() : [];
  if (stranded.length) verdict = 'stranded';
  const targets = env.watcher.legsOfTransfer(r.transferId).filter((l) => !/-b$/.test(l.channelName));
  const leftUp = await r.cleanUp(hangUpFirst.length ? hangUpFirst : [r.alice.uuid, r.bob.uuid]);
  // A leg the callers' hangups did not end has nothing left to end it (unless it still rings: the switch's
  // originate timeout ends that): stranded.
  for (const leg of judged ? leftUp : []) {
    const ringing = !env.watcher.legs.get(leg)?.answeredAt && leg !== r.alice.uuid && leg !== r.bob.uuid;
    if (ringing || stranded.some((s) => s.leg === leg)) continue;
    stranded.push({ leg, name: r.name(leg), hears: env.watcher.hears(leg) });
    detail += `; the ${r.name(leg)} stayed up after the callers hung up`;
    verdict = 'stranded';
  }
  r.close();
  return {
    plan,
    verdict,
    detail,
    startedAt,
    endedAt: Date.now(),
    alice: r.alice.uuid,
    bob: r.bob.uuid,
    transferId: r.transferId,
    targets: targets.map((l) => l.uuid),
    duplicates: Math.max(0, targets.reduce((n, l) => n + l.creates, 0) - 1),
    presses: r.presses,
    stranded,
    leftUp,
    aimedAt: r.aimedAt,
    latencies: r.latencies,
    latencyEnds: r.latencyEnds,
    longestSilenceMs: r.longestSilenceMs,
    transcript: r.transcript(),
  };
}
