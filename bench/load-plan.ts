// The load benchmark's pure parts: the call mix, the open-loop arrival schedule, the verdict on one rate step, the
// audit of what each call workflow received against what the switch emitted, and the last line. No processes, no
// clock: bench/load.ts runs them against a cluster, test/scripts/load-plan.test.ts checks them.
import { ACTIVE_TRANSFER_VARIABLE, parseTransferId, TRANSFEREE_VARIABLE } from '../contracts/ids.ts';
import type { Rng } from '../simulator/random.ts';
import { SCENARIO_KINDS, type ScenarioKind } from '../test/cluster/scenarios.ts';
import { summarise, type Summary } from './stats.ts';

/** Weights of each kind of call; they need not add up to anything. */
export type Mix = Partial<Record<ScenarioKind, number>>;

/**
 * Most calls plain; the rest attended transfers by feature code (completed, taken back while consulting, target busy,
 * target not answering) and by REST (completed, cancelled while the target rings).
 */
export const DEFAULT_MIX: Mix = {
  plain: 70,
  attended: 10,
  'takeback-consulting': 5,
  busy: 3,
  'no-answer': 2,
  'rest-attended': 7,
  'rest-cancel': 3,
};

/** `plain=70,attended=10,...` → a mix; a clear error for an unknown kind or a weight that is not a number ≥ 0. */
export function parseMix(text: string): Mix {
  const mix: Mix = {};
  for (const part of text.split(',')) {
    const m = /^\s*([a-z-]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new Error(`--mix: expected kind=weight, got ${JSON.stringify(part)}`);
    const kind = m[1] as ScenarioKind;
    if (!SCENARIO_KINDS.includes(kind)) throw new Error(`--mix: unknown kind ${kind} (${SCENARIO_KINDS.join(', ')})`);
    mix[kind] = Number(m[2]);
  }
  if (!Object.values(mix).some((w) => w > 0)) throw new Error('--mix: every weight is 0');
  return mix;
}

export function formatMix(mix: Mix): string {
  const total = Object.values(mix).reduce((s, w) => s + w, 0);
  return Object.entries(mix)
    .filter(([, w]) => w > 0)
    .map(([k, w]) => `${k} ${((w / total) * 100).toFixed(0)} %`)
    .join(', ');
}

/** The share of calls that run a transfer (every kind but plain). */
export function transferShare(mix: Mix): number {
  const total = Object.values(mix).reduce((s, w) => s + w, 0);
  return total ? (total - (mix.plain ?? 0)) / total : 0;
}

export function drawKind(mix: Mix, rng: Rng): ScenarioKind {
  const entries = Object.entries(mix).filter(([, w]) => w > 0) as [ScenarioKind, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [kind, w] of entries) {
    x -= w;
    if (x < 0) return kind;
  }
  return entries[entries.length - 1]![0];
}

/**
 * Open-loop arrivals: when each new call starts (ms from the step's start), a Poisson process of `rate` calls a second
 * over `durationMs`. A call starts at its time whatever the engine is doing, so a slow engine shows as latency and
 * failures, never as a lower rate.
 */
export function arrivals(rate: number, durationMs: number, rng: Rng): number[] {
  if (!(rate > 0)) throw new Error(`arrival rate must be above 0, got ${rate}`);
  const out: number[] = [];
  let t = 0;
  for (;;) {
    // Exponential gaps; 1 − next() is in (0, 1], so the log is finite.
    t += (-Math.log(1 - rng.next()) / rate) * 1000;
    if (t >= durationMs) return out;
    out.push(Math.round(t));
  }
}

/** `1,2,3.5` → ascending rates (calls/s), each above 0. */
export function parseRates(text: string, flag = 'rates'): number[] {
  const rates = text.split(',').map((s) => Number(s.trim()));
  if (!rates.length || rates.some((r) => !(r > 0) || !Number.isFinite(r)))
    throw new Error(`--${flag}: expected numbers above 0, comma-separated, got ${JSON.stringify(text)}`);
  return [...rates].sort((a, b) => a - b);
}

/** The step latencies the load benchmark reports, as a caller notices them (test/cluster/scenarios.ts measures). */
export const STEP_LATENCIES = {
  holdCode: 'last digit of *2… − digit timeout → transferee hears music',
  holdRest: 'REST transfer request sent → transferee hears music',
  consult: "target's answer → transferor ↔ target bridged",
  complete: "transferor's hangup → transferee ↔ target bridged",
  takeback: 'last digit of *1 (or REST cancel) → transferor ↔ transferee bridged',
  giveBack: "target's failure (busy, no answer) → transferor ↔ transferee bridged",
} as const;
export type StepLatency = keyof typeof STEP_LATENCIES;

/** One call of a step, reduced to what the report needs. */
export interface CallRecord {
  kind: ScenarioKind;
  ok: boolean;
  /** The judge's verdict and detail when not ok. */
  verdict: string;
  detail: string;
  /** Failed calls: the code of it the phones split (a pause longer than the digit timeout), if one was. */
  phones?: string;
  latencies: Partial<Record<StepLatency, number>>;
  /** The call's two legs (transferor and transferee): their call workflows are audited. */
  legs: string[];
}

/** What the ingest's counters said over a step (node workers' /metrics, summed). */
export interface IngestWindow {
  received: number;
  delivered: number;
  /** Events Temporal refused for good: lost. */
  refused: number;
  /** Events for a call whose workflow had closed. */
  late: number;
  /** Events still queued once the step's calls had ended (should be 0). */
  queuedAtEnd: number;
}

/** What the audit of the call workflows' histories found (see auditLeg). */
export interface AuditResult {
  legs: number;
  /** Events the switch emitted about those legs (of the kinds the ingest delivers). */
  events: number;
  /** Events the switch emitted for a leg that its call workflow never received. */
  lost: number;
  /** Events in a call workflow about another channel. */
  misrouted: number;
  /** Events a call workflow got after one the switch emitted later. */
  reordered: number;
  /** Workflows whose history could not be read. */
  unreadable: number;
  examples: string[];
}

export interface StepInput {
  rate: number;
  durationS: number;
  calls: CallRecord[];
  ingest: IngestWindow;
  /** Workflows still running after the step's settling. */
  stuck: number;
  audit?: AuditResult;
}

export interface StepVerdict {
  sustained: boolean;
  /** Why not, one reason a line. */
  reasons: string[];
  failedCalls: number;
  lost: number;
  misrouted: number;
}

/**
 * A rate is sustained when every call reached its outcome, the ingest lost nothing (no refusal, nothing left in its
 * queue), no workflow was left running, and the audit (when run) found no event lost or misrouted.
 */
export function judgeStep(s: StepInput): StepVerdict {
  const reasons: string[] = [];
  const failed = s.calls.filter((c) => !c.ok);
  if (failed.length) {
    // One example of each verdict: a stranded leg must not hide behind a late REST cancel.
    const byVerdict = new Map<string, { n: number; first: CallRecord }>();
    for (const c of failed) {
      const seen = byVerdict.get(c.verdict);
      byVerdict.set(c.verdict, { n: (seen?.n ?? 0) + 1, first: seen?.first ?? c });
    }
    reasons.push(
      `${failed.length} of ${s.calls.length} calls did not reach their outcome (` +
        [...byVerdict].map(([v, { n }]) => `${v} ×${n}`).join(', ') +
        `): e.g. ${[...byVerdict].map(([v, { first }]) => `${v}: ${first.kind}: ${first.detail}`).join(' | ')}`,
    );
  }
  if (!s.calls.length) reasons.push('no call started');
  if (s.ingest.refused) reasons.push(`the ingest had ${s.ingest.refused} events refused by Temporal`);
  if (s.ingest.queuedAtEnd) reasons.push(`${s.ingest.queuedAtEnd} events still queued in the ingest at the end`);
  if (s.stuck) reasons.push(`${s.stuck} workflows still running after the step`);
  const lost = s.ingest.refused + s.ingest.queuedAtEnd + (s.audit?.lost ?? 0);
  const misrouted = s.audit?.misrouted ?? 0;
  if (s.audit?.lost) reasons.push(`audit: ${s.audit.lost} events never reached their call workflow`);
  if (misrouted) reasons.push(`audit: ${misrouted} events in the wrong call workflow`);
  if (s.audit?.reordered) reasons.push(`audit: ${s.audit.reordered} events out of switch order`);
  if (s.audit?.unreadable) reasons.push(`audit: ${s.audit.unreadable} histories unreadable`);
  return { sustained: reasons.length === 0, reasons, failedCalls: failed.length, lost, misrouted };
}

/** The highest rate whose step was sustained, among steps that also passed the audit; undefined if none. */
export function highestSustained<T extends { rate: number; verdict: StepVerdict }>(steps: readonly T[]): T | undefined {
  return [...steps].filter((s) => s.verdict.sustained).sort((a, b) => b.rate - a.rate)[0];
}

export function latencySummaries(calls: readonly CallRecord[]): Record<StepLatency, Summary> {
  const out = {} as Record<StepLatency, Summary>;
  for (const key of Object.keys(STEP_LATENCIES) as StepLatency[]) {
    out[key] = summarise(calls.flatMap((c) => (c.latencies[key] === undefined ? [] : [c.latencies[key]])));
  }
  return out;
}

/**
 * Whether the ingest sends this switch event to its leg's call workflow, of the events it forwards (the rules of
 * workers/ingest/events.ts, restated from the headers alone), all but:
 * - a transferee's bridge to a leg its transfer dialled (the target, a recall leg), which the transfer's end reports
 *   instead. The transferee carries its transfer's ID while held (TRANSFEREE_VARIABLE); a bridge to either party of
 *   that transfer (a takeback, a reconnect) still goes;
 * - a party's unbridge from the other party of the transfer whose mark it carries (ACTIVE_TRANSFER_VARIABLE): the
 *   transfer's hold, which both call workflows know of without it. An unbridge from anyone else still goes.
 * An ingest that may send one anyway (restarted since the transfer began) adds an event the audit does not miss.
 */
export function reachesCallWorkflow(ev: {
  name: string;
  headers: Readonly<Record<string, string | undefined>>;
}): boolean {
  if (ev.name !== 'CHANNEL_BRIDGE' && ev.name !== 'CHANNEL_UNBRIDGE') return true;
  const leg = ev.headers['Unique-ID'];
  const a = ev.headers['Bridge-A-Unique-ID'];
  const peer = (a === leg ? ev.headers['Bridge-B-Unique-ID'] : a) ?? ev.headers['Other-Leg-Unique-ID'];
  if (!leg || !peer) return true;
  if (ev.name === 'CHANNEL_UNBRIDGE') {
    const parties = parseTransferId(ev.headers[`variable_${ACTIVE_TRANSFER_VARIABLE}`] ?? '');
    return !(parties?.includes(leg) && parties.includes(peer));
  }
  const heldBy = parseTransferId(ev.headers[`variable_${TRANSFEREE_VARIABLE}`] ?? '');
  return !heldBy || heldBy.includes(peer);
}

/**
 * One leg's audit: `seen` counts the events the switch emitted about the leg (by name, from the watcher's own ESL
 * connection), `received` is every channel event its call workflow got in its signals, in the order it got them. An
 * event about another channel is misrouted; an event name the workflow got fewer times than the switch sent it is lost
 * (copies, an HA pair's or a reconcile's, are not counted twice: Event-Sequence tells them apart); an event that came
 * after one the switch sent later is reordered.
 */
export function auditLeg(
  leg: string,
  seen: Readonly<Record<string, number>>,
  received: readonly { name: string; uuid: string; seq: number }[],
): { lost: number; misrouted: number; reordered: number; detail?: string } {
  const misrouted = received.filter((e) => e.uuid !== leg);
  const unique = new Map<string, string>();
  let reordered = 0;
  let last = -Infinity;
  for (const e of received) {
    if (e.uuid !== leg) continue;
    const key = `${e.name}#${e.seq}`;
    if (unique.has(key)) continue;
    unique.set(key, e.name);
    // Synthetic events (a reconcile's snapshot) carry no switch sequence of their own.
    if (e.seq > 0 && e.seq < last) reordered++;
    last = Math.max(last, e.seq);
  }
  const got: Record<string, number> = {};
  for (const name of unique.values()) got[name] = (got[name] ?? 0) + 1;
  let lost = 0;
  const missing: string[] = [];
  for (const [name, n] of Object.entries(seen)) {
    const short = n - (got[name] ?? 0);
    if (short > 0) {
      lost += short;
      missing.push(`${name} ×${short}`);
    }
  }
  const parts = [
    missing.length ? `missing ${missing.join(', ')}` : '',
    misrouted.length
      ? `about other channels: ${misrouted.map((e) => `${e.name} ${e.uuid.slice(0, 8)}`).join(', ')}`
      : '',
    reordered ? `${reordered} out of switch order` : '',
  ].filter(Boolean);
  return {
    lost,
    misrouted: misrouted.length,
    reordered,
    detail: parts.length ? `${leg.slice(0, 8)}: ${parts.join('; ')}` : undefined,
  };
}

/** `load: sustained R calls/s (T transfers/s), 0 lost, p99 answer→bridge X ms (Y× floor)`. */
export function loadLine(opts: {
  rate?: number;
  transferShare: number;
  lost?: number;
  consultP99?: number;
  floorP50?: number;
}): string {
  if (opts.rate === undefined) return 'load: no rate sustained (see the report)';
  const t = opts.rate * opts.transferShare;
  const x = opts.consultP99;
  const y = x !== undefined && opts.floorP50 ? x / opts.floorP50 : undefined;
  return (
    `load: sustained ${fmt(opts.rate)} calls/s (${fmt(t)} transfers/s), ${opts.lost ?? 0} lost, ` +
    `p99 answer→bridge ${x === undefined || !Number.isFinite(x) ? '—' : Math.round(x)} ms ` +
    `(${y === undefined || !Number.isFinite(y) ? '—' : y.toFixed(1)}× floor)`
  );
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, '');
}

/** One series of a metric in Prometheus' text format: its labels and its value. */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** Every series of the metric `name` in Prometheus' text format (comments and other metrics skipped). */
export function metricSeries(text: string, name: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!;
    out.push({ labels, value: Number(m[4]) });
  }
  return out;
}

/**
 * The sum of a metric's samples in Prometheus' text format, over the series whose labels include `labels`
 * (`handoff_ingest_events_dropped_total`, `{reason: 'refused'}`). 0 when no series matches.
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of metricSeries(text, name))
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}
