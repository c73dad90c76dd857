// Replays one capture step against the switch under test and compares what came back with what the real
// FreeSWITCH sent: reply texts exactly, BACKGROUND_JOB bodies, and per-channel event names, order and key headers.
//
// Each command is sent when the switch has produced, per channel, as many events as the real one had before that
// command was written (and as many replies): so the replay follows the capture's causality, not its clock.
// UUIDs: the test picks new origination_uuids; the loopback partners (X') are recognised from their events
// (other_loopback_leg_uuid), so everything is compared through the capture's labels (A, A', B, ...).

import { randomUUID } from 'node:crypto';
import { EslClient, type EslEvent } from '../support/esl-client.ts';
import type { Simulator } from '../../simulator/index.ts';
import { HearingTracker } from '../support/hearing.ts';
import type { SwitchUnderTest } from '../support/switch.ts';
import { loadCapture, replies, type Capture } from './captures.ts';

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Longer captured pauses are shortened to this: no timing rule of the switch is longer. */
const MAX_GAP_MS = 400;
const SKIP = new Set(['CODEC', 'API', 'BACKGROUND_JOB', 'HEARTBEAT', 'RE_SCHEDULE', 'RELOADXML']);

/** Maps uuids to labels on one side (capture or switch under test). */
export class Labeller {
  readonly byUuid = new Map<string, string>();
  private unknown = 0;

  constructor(initial: Iterable<[string, string]> = []) {
    for (const [u, l] of initial) this.byUuid.set(u, l);
  }

  /** Learn from an event: loopback partners and pre-rename ids. */
  learn(e: EslEvent): void {
    const u = e.headers['Unique-ID'];
    if (!u) return;
    if (e.name === 'CHANNEL_UUID') {
      const old = e.headers['Old-Unique-ID'];
      const l = this.byUuid.get(u);
      if (old && l && !this.byUuid.has(old)) this.byUuid.set(old, `${l}(pre-rename)`);
    }
    const other = e.headers['variable_other_loopback_leg_uuid'];
    if (e.headers['Call-Direction'] === 'inbound' && other && !this.byUuid.get(u)?.match(/^[^?]/)) {
      const l = this.byUuid.get(other);
      if (l) this.byUuid.set(u, `${l}'`);
    }
    // A channel with no origination_uuid (step 04): named by order of appearance, on both sides alike.
    if ((e.name === 'CHANNEL_OUTGOING' || e.name === 'CHANNEL_CREATE') && !this.byUuid.has(u)) {
      this.byUuid.set(u, `?${++this.unknown}`);
    }
  }

  label(u: string | undefined): string {
    if (!u) return '';
    return this.byUuid.get(u) ?? u;
  }

  uuidOf(label: string): string | undefined {
    for (const [u, l] of this.byUuid) if (l === label) return u;
    return undefined;
  }

  text(s: string): string {
    return s.replace(UUID_RE, (u) => (this.byUuid.has(u) ? `<${this.byUuid.get(u)}>` : u));
  }
}

interface Key {
  name: string;
  answer: string;
  cause: string;
  text: string;
}

const CREATED = new Set(['CHANNEL_CREATE', 'CHANNEL_ORIGINATE']);
const EARLY_STATES = new Set(['CS_INIT', 'CS_ROUTING', 'CS_CONSUME_MEDIA']);
const EARLY_EVENTS = new Set(['CHANNEL_ANSWER', 'CHANNEL_CALLSTATE', 'CALL_UPDATE', 'CHANNEL_PROGRESS']);

function keyOf(e: EslEvent, L: Labeller): Key {
  const h = e.headers;
  let state = h['Channel-State'] ?? '';
  // Race 2 (see perChannel): how far an originated leg got through its state machine before the answer.
  if (h['Call-Direction'] === 'outbound' && EARLY_EVENTS.has(e.name) && EARLY_STATES.has(state))
    state = 'CS_INIT..CS_CONSUME_MEDIA';
  // Race 4 (see perChannel): whether the answer came before these two.
  const created =
    h['Call-Direction'] === 'outbound' &&
    (CREATED.has(e.name) || (e.name === 'CALL_UPDATE' && state === 'CS_INIT..CS_CONSUME_MEDIA'));
  const parts = [
    e.name,
    state,
    created ? '*' : (h['Channel-Call-State'] ?? ''),
    created ? '*' : (h['Answer-State'] ?? ''),
    h['Hangup-Cause'] ?? '',
    `other=${L.label(h['Other-Leg-Unique-ID'])}`,
  ];
  if (h['Bridge-A-Unique-ID'])
    parts.push(`bridge=${L.label(h['Bridge-A-Unique-ID'])}/${L.label(h['Bridge-B-Unique-ID'])}`);
  if (h['Application']) parts.push(`app=${h['Application']}(${L.text(h['Application-Data'] ?? '')})`);
  if (h['Application-Response']) parts.push(`resp=${h['Application-Response']}`);
  if (h['DTMF-Digit']) parts.push(`dtmf=${h['DTMF-Digit']}/${h['DTMF-Duration']}/${h['DTMF-Source']}`);
  if (h['Playback-File-Path']) parts.push(`file=${h['Playback-File-Path']}`);
  if (h['Playback-Status']) parts.push(`status=${h['Playback-Status']}`);
  if (h['Original-Channel-Call-State']) parts.push(`from=${h['Original-Channel-Call-State']}`);
  if (e.name === 'CHANNEL_UUID') parts.push(`old=${L.label(h['Old-Unique-ID'])}`);
  // Conference events: what happened, not the size (members leaving together race for it) nor the Member-ID (a
  // counter of the switch process).
  if (h['Event-Subclass']) parts.push(`sub=${h['Event-Subclass']}`);
  if (h['Action']) parts.push(`action=${h['Action']}`);
  if (h['Conference-Name']) parts.push(`conf=${L.text(h['Conference-Name'])}`);
  if (h['New-ID']) parts.push(`floor=${h['New-ID'] === 'none' ? 'none' : 'member'}`);
  if (h['Media-Bug-Function']) parts.push(`bug=${h['Media-Bug-Function']}/${L.label(h['Media-Bug-Target'])}`);
  return { name: e.name, answer: h['Answer-State'] ?? '', cause: h['Hangup-Cause'] ?? '', text: parts.join(' ') };
}

/**
 * Per-channel event keys, normalised for three races the captures themselves show between runs:
 * 1. an answered second leg sometimes passes CS_CONSUME_MEDIA before CS_EXCHANGE_MEDIA (01, 13 vs 10, 18);
 * 2. an originated -a leg answered by a quick far end may not have reached CS_ROUTING/CS_CONSUME_MEDIA yet
 *    (14 B vs 10 B): its CHANNEL_STATE CS_ROUTING/CS_CONSUME_MEDIA are dropped and its early state is not compared;
 * 3. a loopback partner's CHANNEL_HANGUP comes before or after its UNPARK/EXECUTE_COMPLETE park (10 A' vs B');
 * 4. a far end that rings or answers at once may do so before the -a leg's CHANNEL_CREATE (21e B, 20d C): see
 *    originateRaces;
 * 5. the -a leg's CHANNEL_CALLSTATE to ACTIVE comes anywhere between its CHANNEL_ANSWER and its first application
 *    (20c A, 20e A), so the answer's CALL_UPDATE shows DOWN or ACTIVE: see originateRaces;
 * 6. when a conference's floor falls free, the next member takes it on its next frame (2 ms later in 20a) unless it
 *    is itself on its way out (20b2): see floorRace.
 */
export function perChannel(events: EslEvent[], L: Labeller): Map<string, string[]> {
  const raw = new Map<string, { e: EslEvent; k: Key }[]>();
  for (const e of events) L.learn(e);
  for (const e of events) {
    // Conference events without a member (create, destroy, the floor to nobody) are a list of their own.
    const conference =
      e.headers['Event-Subclass'] === 'conference::maintenance' && e.headers['Conference-Name']
        ? `conference ${L.text(e.headers['Conference-Name'])}`
        : undefined;
    const u = e.headers['Unique-ID'] ?? conference;
    if (!u || SKIP.has(e.name)) continue;
    const st = e.headers['Channel-State'];
    if (e.name === 'CHANNEL_STATE' && st === 'CS_CONSUME_MEDIA' && e.headers['Answer-State'] === 'answered') continue;
    if (
      e.name === 'CHANNEL_STATE' &&
      e.headers['Call-Direction'] === 'outbound' &&
      (st === 'CS_ROUTING' || st === 'CS_CONSUME_MEDIA')
    )
      continue;
    const label = L.label(u);
    if (!raw.has(label)) raw.set(label, []);
    raw.get(label)!.push({ e, k: keyOf(e, L) });
  }
  const out = new Map<string, string[]>();
  for (const [label, list] of raw) {
    const keys = list.map((x) => x.k.text);
    for (let i = 0; i + 2 < list.length; i++) {
      const [a, b, c] = [list[i]!, list[i + 1]!, list[i + 2]!];
      const isPark = b.e.headers['Application'] === 'park';
      if (
        a.e.name === 'CHANNEL_UNPARK' &&
        b.e.name === 'CHANNEL_EXECUTE_COMPLETE' &&
        isPark &&
        c.e.name === 'CHANNEL_HANGUP'
      ) {
        const fix = (k: string): string => k.replace(' answered  other=', ` hangup ${c.k.cause} other=`);
        keys.splice(i, 3, c.k.text, fix(a.k.text), fix(b.k.text));
      }
    }
    out.set(label, floorRace(originateRaces(keys)));
  }
  return out;
}

const EARLY_KEY = /^(CHANNEL_ANSWER|CHANNEL_PROGRESS|CHANNEL_CALLSTATE) CS_INIT\.\.CS_CONSUME_MEDIA /;

/**
 * Races 4 and 5 of perChannel: the ringing and answer events that came before CHANNEL_ORIGINATE go back after it (and
 * CHANNEL_CREATE/ORIGINATE are compared without call and answer state), and the answer's CHANNEL_CALLSTATE to ACTIVE
 * goes right after CHANNEL_ANSWER.
 */
function originateRaces(keys: string[]): string[] {
  const originate = keys.findIndex((k) => k.startsWith('CHANNEL_ORIGINATE '));
  if (originate > 0) {
    const early = keys.slice(0, originate).filter((k) => EARLY_KEY.test(k));
    const rest = keys.slice(0, originate + 1).filter((k) => !EARLY_KEY.test(k));
    keys = [...rest, ...early, ...keys.slice(originate + 1)];
  }
  const answer = keys.findIndex((k) => k.startsWith('CHANNEL_ANSWER '));
  const active = keys.findIndex(
    (k, i) => i > answer && /^CHANNEL_CALLSTATE \S+ ACTIVE .* from=(DOWN|RINGING|EARLY)/.test(k),
  );
  if (answer >= 0 && active > answer + 1) {
    const [moved] = keys.splice(active, 1);
    keys.splice(
      answer + 1,
      0,
      moved!.replace(/^CHANNEL_CALLSTATE \S+ /, 'CHANNEL_CALLSTATE CS_INIT..CS_CONSUME_MEDIA '),
    );
  }
  return keys;
}

/**
 * Race 6 of perChannel: a member that takes the floor and leaves right after (its floor-change directly followed by
 * its del-member) is compared as if it had not taken it, and so is the second of two floor changes to nobody in a row
 * on the conference's own list.
 */
function floorRace(keys: string[]): string[] {
  return keys.filter((k, i) => {
    const next = keys[i + 1] ?? '';
    if (/action=floor-change .*floor=member/.test(k) && /action=del-member/.test(next)) return false;
    return !(/action=floor-change .*floor=none/.test(k) && /action=floor-change .*floor=none/.test(keys[i - 1] ?? ''));
  });
}

function countsBefore(cap: Capture, L: Labeller, frameIndex: number): Map<string, number> {
  const evs = cap.events.filter((_, i) => cap.eventFrame[i]! < frameIndex);
  const m = new Map<string, number>();
  for (const [label, keys] of perChannel(evs, L)) m.set(label, keys.length);
  m.set('#jobs', evs.filter((e) => e.name === 'BACKGROUND_JOB').length);
  return m;
}

export interface ReplayReport {
  step: string;
  /** Human-readable differences; empty when the replay matched. */
  diffs: string[];
  /** What was compared, for the test log. */
  compared: string[];
  capture: Map<string, string[]>;
  actual: Map<string, string[]>;
  events: EslEvent[];
  simLabels: Labeller;
}

function relevantLabel(l: string): boolean {
  return !l.includes('(pre-rename)') && !/^S\d/.test(l);
}

/** Compare `show ... as json` bodies by their rows' key fields (the captured switch had 4 foreign channels S1-S2'). */
function showRows(body: string, L: Labeller): string {
  if (!body.startsWith('{')) return body;
  const j = JSON.parse(body) as { row_count: number; rows?: Record<string, string>[] };
  const rows = (j.rows ?? [])
    .map((r): Record<string, string> => ({ ...r, uuid: L.label(r.uuid), b_uuid: L.label(r.b_uuid) }))
    .filter((r) => relevantLabel(r.uuid ?? ''))
    .map((r) =>
      [
        r.uuid,
        r.name,
        r.state,
        r.callstate,
        r.application ?? '-',
        L.text(r.application_data ?? '-'),
        r.b_uuid ?? '-',
        r.b_state ?? '-',
      ].join(' '),
    )
    .sort();
  return `rows=${rows.length}\n${rows.join('\n')}`;
}

function normaliseReply(cmd: string, text: string, L: Labeller): string {
  if (/^api show (channels|calls) as json/.test(cmd)) return showRows(text, L);
  // The build's identity, like Core-UUID: steps 20-22 ran on a rebuilt switch whose version string differs.
  if (/^api version/.test(cmd)) return text.replace(/^FreeSWITCH Version .*$/m, 'FreeSWITCH Version <build>');
  // Members: Member-ID is a counter of the switch process, and members that join together race for their order.
  if (/^api conference \S+ list/.test(cmd) && !text.startsWith('-ERR'))
    return L.text(text)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(line.indexOf(';') + 1))
      .sort()
      .join('\n');
  if (/^api status/.test(cmd) || /^bgapi status/.test(cmd)) {
    return text
      .replace(/^UP .*$/m, 'UP <uptime>')
      .replace(/^\d+ session.*$/gm, '<sessions>')
      .replace(/min idle cpu .*$/m, 'min idle cpu <cpu>');
  }
  if (/^api uuid_dump/.test(cmd)) {
    if (text.startsWith('{')) {
      const j = JSON.parse(text) as Record<string, string>;
      return [
        'Event-Name',
        'Channel-State',
        'Channel-Call-State',
        'Answer-State',
        'Unique-ID',
        'Other-Leg-Unique-ID',
        'Other-Type',
      ]
        .map((k) => `${k}=${L.label(j[k])}`)
        .join(' ');
    }
    return text.startsWith('Event-Name: CHANNEL_DATA') ? 'CHANNEL_DATA (plain)' : text;
  }
  return L.text(text);
}

export async function replayStep(
  step: string,
  sut: SwitchUnderTest,
  opts: { waitMs?: number; carry?: ReplayReport } = {},
): Promise<ReplayReport> {
  const cap = loadCapture(step);
  const capL = new Labeller(cap.labels);
  const waitMs = opts.waitMs ?? 4000;
  // New uuids for every origination_uuid of the step.
  // Steps that continue an earlier one (02 after 01) reuse its uuid <-> label map.
  const simL = opts.carry ? opts.carry.simLabels : new Labeller();
  if (opts.carry)
    for (const [u, l] of loadCapture(opts.carry.step).labels) if (!capL.byUuid.has(u)) capL.byUuid.set(u, l);
  for (const c of cap.commands) {
    for (const m of c.text.matchAll(/origination_uuid=([0-9a-f-]{36})/g)) {
      const label = capL.label(m[1]!);
      if (!simL.uuidOf(label)) simL.byUuid.set(randomUUID(), label);
    }
  }
  const client = await EslClient.connect(sut, 'plain ALL');
  const base = client.frames.length;
  const diffs: string[] = [];
  const compared: string[] = [];
  const capReplies = replies(cap.frames);
  const sent: string[] = [];
  try {
    for (const [i, c] of cap.commands.entries()) {
      const want = countsBefore(cap, capL, c.framesBefore);
      await waitForCounts(client, base, simL, want, waitMs).catch((err: Error) =>
        diffs.push(`before command #${i + 1} (${capL.text(c.text)}): ${err.message}`),
      );
      // The captured pause before the command, up to MAX_GAP_MS: a switch's timing rules (a broadcast starts ~200 ms
      // after it is queued, a bridge runs queued commands after 200 ms of media) make a pause part of the cause.
      if (c.gapMs > 0) await new Promise((r) => setTimeout(r, Math.min(c.gapMs, MAX_GAP_MS)));
      const text = c.text.replace(UUID_RE, (u) => {
        const label = capL.byUuid.get(u);
        return (label && simL.uuidOf(label)) || u;
      });
      const headers: string[] = [];
      if (text.startsWith('bgapi')) {
        const job = /Job-UUID: (\S+)/.exec(capReplies[i]?.text ?? '');
        if (job) headers.push(`Job-UUID: ${job[1]}`);
      }
      // A step that continues an earlier one (02 after 01) starts from that one's events.
      const seen = [...(opts.carry?.events ?? []), ...client.events];
      if (sut.sim) crossCheckHearing(sut.sim, seen, simL, `before command #${i + 1}`, diffs);
      sent.push(text);
      client.write(`${text}\n${headers.map((h) => `${h}\n`).join('')}\n`);
    }
    const final = countsBefore(cap, capL, cap.frames.length);
    // The last command's reply too: under load it may come after the last event the capture had.
    final.set('#replies', cap.commands.length);
    await waitForCounts(client, base, simL, final, waitMs).catch((err: Error) =>
      diffs.push(`at the end: ${err.message}`),
    );
    await new Promise((r) => setTimeout(r, 150));
  } finally {
    await client.close();
  }

  // Replies, in order.
  const simReplies = replies(client.frames.slice(base));
  compared.push(`${cap.commands.length} replies`);
  cap.commands.forEach((c, i) => {
    const want = capReplies[i];
    const got = simReplies[i];
    const cmd = capL.text(c.text);
    const w = want ? `${want.type} ${normaliseReply(c.text, want.text, capL)}` : '(none)';
    const g = got ? `${got.type} ${normaliseReply(sent[i] ?? '', got.text, simL)}` : '(none)';
    if (w !== g)
      diffs.push(`reply to #${i + 1} ${cmd}\n  capture: ${JSON.stringify(w)}\n  got:     ${JSON.stringify(g)}`);
  });

  // Per-channel events.
  const capture = perChannel(cap.events, capL);
  const actual = perChannel(client.events, simL);
  // BACKGROUND_JOB bodies by Job-UUID.
  const jobs = (evs: EslEvent[], L: Labeller): Map<string, string> =>
    new Map(
      evs.filter((e) => e.name === 'BACKGROUND_JOB').map((e) => [e.headers['Job-UUID'] ?? '', L.text(e.body ?? '')]),
    );
  const capJobs = jobs(cap.events, capL);
  const simJobs = jobs(client.events, simL);
  compared.push(`${capJobs.size} BACKGROUND_JOB bodies`);
  for (const [id, body] of capJobs) {
    const got = simJobs.get(id);
    if (got !== body) diffs.push(`BACKGROUND_JOB ${id}: capture ${JSON.stringify(body)}, got ${JSON.stringify(got)}`);
  }
  for (const [label, keys] of capture) {
    if (!relevantLabel(label)) continue;
    const got = actual.get(label) ?? [];
    compared.push(`${label}: ${keys.length} events`);
    const n = Math.max(keys.length, got.length);
    for (let i = 0; i < n; i++) {
      if (keys[i] !== got[i]) {
        const ctx = (l: string[]): string =>
          l
            .slice(Math.max(0, i - 2), i + 3)
            .map((k, j) => `    ${Math.max(0, i - 2) + j === i ? '>' : ' '} ${k}`)
            .join('\n');
        diffs.push(
          `channel ${label}, event #${i + 1} of ${keys.length}:\n  capture:\n${ctx(keys)}\n  got:\n${ctx(got)}`,
        );
        break;
      }
    }
  }
  for (const label of actual.keys()) {
    if (relevantLabel(label) && !capture.has(label))
      diffs.push(`channel ${label}: events that the capture does not have`);
  }
  return { step, diffs, compared, capture, actual, events: client.events, simLabels: simL };
}

/**
 * Simulator only: what it believes each labelled channel hears must be what the events it sent say (the hearing
 * helper, which works from events alone). Checked before every command of a replay.
 */
function crossCheckHearing(sim: Simulator, events: EslEvent[], L: Labeller, when: string, diffs: string[]): void {
  const tracker = new HearingTracker().feedAll(events);
  for (const [uuid, label] of L.byUuid) {
    if (!relevantLabel(label) || label.startsWith('?')) continue;
    const fromEvents = JSON.stringify(tracker.hears(uuid));
    const own = JSON.stringify(sim.hears(uuid));
    if (fromEvents !== own && !(own === '{"kind":"gone"}' && fromEvents === '{"kind":"silence"}'))
      diffs.push(`${when}: ${label} hears ${L.text(own)} (simulator) but ${L.text(fromEvents)} (events)`);
  }
}

function waitForCounts(
  client: EslClient,
  base: number,
  L: Labeller,
  want: Map<string, number>,
  timeoutMs: number,
): Promise<void> {
  const missing = (): string[] => {
    const have = perChannel(client.events, L);
    const out: string[] = [];
    for (const [label, n] of want) {
      if (label === '#jobs') {
        const jobs = client.events.filter((e) => e.name === 'BACKGROUND_JOB').length;
        if (jobs < n) out.push(`${n - jobs} BACKGROUND_JOB`);
      } else if (label === '#replies') {
        const r = replies(client.frames.slice(base)).length;
        if (r < n) out.push(`${n - r} replies`);
      } else if (relevantLabel(label) && (have.get(label)?.length ?? 0) < n) {
        out.push(`${label} has ${have.get(label)?.length ?? 0}/${n} events`);
      }
    }
    return out;
  };
  return client
    .waitUntil(() => missing().length === 0, timeoutMs)
    .catch(() => {
      throw new Error(`waited ${timeoutMs} ms: ${missing().join(', ')}`);
    });
}
