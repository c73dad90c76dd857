// DTMF on channels: uuid_recv_dtmf (digits pressed on a phone reach its channel), uuid_send_dtmf, the passthrough
// across a bridge to the peer's phone, and the five ways of keeping digits from the peer that the captures show
// (steps 22a-22f): uuid_drop_dtmf, bridge_filter_dtmf, bind_meta_app, bind_digit_action, sensitive_dtmf.
//
// On loopback, a digit that reaches the peer channel B is handed to B's loopback partner B' as a DTMF event: that is
// "B's phone received the digit", and the only trace of it on the event socket.

import type { Channel, DigitBinding } from './channels.ts';
import { broadcast, stopPlayback } from './media.ts';
import type { Header } from './protocol.ts';
import type { Switch } from './switch.ts';

/** A digit machine gives up on digits that match no binding after this long (bind_digit_action, capture 22e). */
const DIGIT_TIMEOUT_MS = 1500;
/** From the digit that completes a bind_digit_action match to its application (capture 22e: ~80 ms). */
const DIGIT_ACTION_DELAY_MS = 80;
/** From the key that completes a meta code to its application (capture 22d: ~340 ms). */
const META_ACTION_DELAY_MS = 340;
/** How long the peer's hold music lasts around a bound application that holds it (capture 22d: 21 ms). */
const HELD_PEER_MS = 21;

export function dtmfEvent(sw: Switch, ch: Channel, digit: string, duration: number): void {
  sw.channelEvent(ch, 'DTMF', ['switch_channel.c', 'switch_channel_dequeue_dtmf', 678], {
    verbose: false,
    post: [
      ['DTMF-Digit', digit],
      ['DTMF-Duration', String(duration)],
      ['DTMF-Source', 'APP'],
    ],
  });
}

/**
 * Parse `*22600`, `5@500` (ms per digit), as uuid_recv_dtmf accepts. Durations are in samples at 8 kHz. A leading
 * `~` (captures 22a-22f) makes the digits go through the channel's DTMF bindings, as a phone's digits do; without it
 * FreeSWITCH marks them to skip every binding.
 */
export function parseDtmf(spec: string): { digits: string[]; duration: number; phone: boolean } {
  const phone = spec.startsWith('~');
  const [d, ms] = (phone ? spec.slice(1) : spec).split('@');
  const duration = ms && Number(ms) > 0 ? Number(ms) * 8 : 2000;
  return { digits: [...(d ?? '')].filter((c) => /[0-9*#A-Da-d]/.test(c)), duration, phone };
}

function stopsPlayback(ch: Channel, digit: string): boolean {
  const t = ch.getVar('playback_terminators');
  if (t === undefined || t === 'any') return true;
  if (t === 'none') return false;
  return t.includes(digit);
}

/** uuid_recv_dtmf: the digits reach the channel ~20 ms apart, in order across commands (capture 02). */
export function receiveDtmf(sw: Switch, ch: Channel, spec: string): void {
  const { digits, duration, phone } = parseDtmf(spec);
  const now = Date.now();
  digits.forEach((digit, i) => {
    const due = now + Math.round((20 + i * 20) * (0.95 + sw.rng.next() * 0.1));
    enqueue(sw, ch, { digit, duration, kind: phone ? 'phone' : 'receive', due });
  });
}

function enqueue(sw: Switch, ch: Channel, item: Channel['dtmfQueue'][number]): void {
  const last = ch.dtmfQueue[ch.dtmfQueue.length - 1];
  ch.dtmfQueue.push({ ...item, due: Math.max(item.due, (last?.due ?? 0) + 1) });
  if (!ch.dtmfTimer) pump(sw, ch);
}

/** Hand over every digit that is due, in order, then wait for the next one. */
function pump(sw: Switch, ch: Channel): void {
  ch.dtmfTimer = undefined;
  const q = ch.dtmfQueue;
  while (q.length && q[0]!.due <= Date.now()) {
    const { digit, duration, kind } = q.shift()!;
    if (!ch.alive) continue;
    if (kind === 'event') dtmfEvent(sw, ch, digit, duration);
    else receive(sw, ch, digit, duration, kind === 'phone');
  }
  if (q.length) ch.dtmfTimer = sw.sched.after(Math.max(0, q[0]!.due - Date.now()), () => pump(sw, ch), 0);
}

/** A digit reaching the channel: its bindings first (phone digits only), then the channel itself. */
function receive(sw: Switch, ch: Channel, digit: string, duration: number, phone: boolean): void {
  const d = ch.dtmf;
  if (d.waiting) {
    d.waiting.push({ digit, phone });
    return;
  }
  if (phone && metaApp(sw, ch, digit, duration)) return;
  if (phone && digitAction(sw, ch, digit, duration)) return;
  arrive(sw, ch, digit, duration);
}

/**
 * The digit is the channel's: a DTMF event on it (which stops a broadcast unless playback_terminators says otherwise,
 * captures section 9), then, while bridged, the peer's phone gets it (capture 02). sensitive_dtmf hides it from both
 * (22f); bridge_filter_dtmf, when it was set as the bridge started, keeps it from the peer (22c); uuid_drop_dtmf on
 * the peer drops what reaches the peer, or puts its mask digits in its place (22b).
 */
function arrive(sw: Switch, ch: Channel, digit: string, duration: number): void {
  if (ch.truthy('sensitive_dtmf')) return;
  sw.runPlan((plan) => {
    const list = plan.list(0, ch);
    list.push(() => dtmfEvent(sw, ch, digit, duration));
    if (ch.playback && !ch.playback.hold && stopsPlayback(ch, digit)) {
      stopPlayback(sw, ch, 'break', 'FILE PLAYED', list);
    }
  });
  const peer = ch.peer;
  if (!peer || ch.bridge?.filterDtmf?.has(ch)) return;
  const drop = peer.dtmf.drop;
  // The mask replaces each dropped digit by its own digits; `x` is no DTMF character, so nothing is sent for it.
  const out = drop ? [...drop.mask].filter((c) => /[0-9*#A-Da-d]/.test(c)) : [digit];
  const far = peer.partner;
  if (!far || !far.alive) return;
  for (const o of out) {
    enqueue(sw, far, { digit: o, duration, kind: 'event', due: Date.now() + 1 + Math.round(sw.rng.next() * 2) });
  }
}

/**
 * uuid_send_dtmf: digits go out of the channel to its far end, so the loopback partner sees them (assumed: not
 * captured). While `uuid_drop_dtmf` is on for the channel they are dropped like any digit sent to it, mask digits in
 * their place (assumed: not captured; FreeSWITCH's source drops in the one function every digit sent to a channel
 * goes through). Modelling the stricter answer means a caller that re-sends while its own mask is on is caught here.
 */
export function sendDtmf(sw: Switch, ch: Channel, spec: string): void {
  const { digits, duration } = parseDtmf(spec);
  const far = ch.partner;
  if (!far) return;
  const drop = ch.dtmf.drop;
  const out = drop ? digits.flatMap(() => [...drop.mask].filter((c) => /[0-9*#A-Da-d]/.test(c))) : digits;
  const now = Date.now();
  out.forEach((digit, i) => enqueue(sw, far, { digit, duration, kind: 'event', due: now + 20 + i * 20 }));
}

/**
 * uuid_drop_dtmf <uuid> on|off mask_digits <digits>|mask_file <file>: the four-word form only (capture 22b). A mask
 * file is accepted and treated as no mask digits: there is no audio here.
 */
export function dropDtmf(ch: Channel, on: boolean, maskKind: string, mask: string): string {
  if (on) ch.dtmf.drop = { mask: maskKind === 'mask_digits' ? mask : '' };
  else ch.dtmf.drop = undefined;
  const file = maskKind === 'mask_file' ? mask : 'NONE';
  const digits = maskKind === 'mask_digits' ? mask : 'NONE';
  return `+OK ${ch.uuid} is ${on ? '' : 'not '}dropping DTMF. mask_file: ${file} mask_digits: ${digits}\n`;
}

// ---- bindings ------------------------------------------------------------------------------------------------

/**
 * The argument of the `event` application, `Event-Subclass=feature::code,Feature=attxfer`: the subclass and the
 * headers CHANNEL_APPLICATION carries (capture 22d).
 */
function eventHeaders(data: string): { subclass?: string; headers: Header[] } {
  let subclass: string | undefined;
  const headers: Header[] = [];
  for (const kv of data.split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) continue;
    const k = kv.slice(0, i).trim();
    const v = kv.slice(i + 1).trim();
    if (k === 'Event-Subclass') subclass = v;
    else headers.push([k, v]);
  }
  return subclass === undefined ? { headers } : { subclass, headers };
}

/**
 * Run a bound application on the channel: CHANNEL_EXECUTE (with last_matching_digits for a digit action), for the
 * `event` application a CHANNEL_APPLICATION, EXECUTE_COMPLETE and PRIVATE_COMMAND. Unless told not to (`exec[H]`),
 * the peer hears the hold music meanwhile (captures 22d, 22e). Digits that came meanwhile arrive after it.
 */
function runBinding(sw: Switch, ch: Channel, b: DigitBinding, delayMs: number): void {
  const d = ch.dtmf;
  d.waiting ??= [];
  sw.sched.after(
    delayMs,
    () => {
      if (!ch.alive) return;
      const peer = b.holdPeer ? ch.peer : undefined;
      const music = ch.getVar('hold_music');
      if (peer && music) broadcast(sw, peer, music, true, 0);
      sw.runPlan((plan) =>
        plan.add(0, ch, () => {
          const app = sw.execute(ch, b.app, b.data, true, false);
          if (b.app === 'event') {
            const { subclass, headers } = eventHeaders(b.data);
            sw.channelEvent(ch, 'CHANNEL_APPLICATION', ['mod_dptools.c', 'event_function', 1902], {
              verbose: false,
              pre: headers,
              ...(subclass !== undefined ? { prefix: [['Event-Subclass', subclass]] } : {}),
            });
          }
          sw.executeComplete(ch, '_none_', app);
        }),
      );
      sw.sched.after(
        peer && music ? HELD_PEER_MS : 1,
        () => {
          if (peer?.playback?.hold && peer.playback.path === music)
            sw.runPlan((plan) => stopPlayback(sw, peer, 'break', 'FILE PLAYED', plan.list(0, peer)));
          if (!ch.alive) return;
          sw.channelEvent(ch, 'PRIVATE_COMMAND', ['switch_ivr.c', 'switch_ivr_parse_next_event', 804], {
            verbose: false,
          });
          const waiting = d.waiting ?? [];
          d.waiting = undefined;
          for (const w of waiting) receive(sw, ch, w.digit, 2000, w.phone);
        },
        0,
      );
    },
    0.05,
  );
}

/** bind_meta_app: `*` then a bound key runs its application; neither digit is seen (capture 22d). */
function metaApp(sw: Switch, ch: Channel, digit: string, duration: number): boolean {
  const d = ch.dtmf;
  if (!d.metaApps.size) return false;
  if (!d.metaArmed) {
    if (digit !== '*') return false;
    d.metaArmed = true;
    return true;
  }
  d.metaArmed = false;
  const b = d.metaApps.get(digit);
  if (b) {
    runBinding(sw, ch, b, META_ACTION_DELAY_MS);
    return true;
  }
  // A key bound to nothing: the `*` and the key arrive as they are (assumed: not captured).
  arrive(sw, ch, '*', duration);
  return false;
}

/**
 * bind_digit_action: every digit goes into the digit machine. A full match runs the action (~80 ms later) and the
 * digits are never seen; digits that match nothing arrive, all at once, after the digit timeout (capture 22e).
 */
function digitAction(sw: Switch, ch: Channel, digit: string, duration: number): boolean {
  const d = ch.dtmf;
  if (!d.digitActions.length) return false;
  d.bufferTimer?.cancel();
  d.buffer += digit;
  const hit = d.digitActions.find((a) => a.pattern.test(d.buffer));
  if (hit) {
    ch.setVar('last_matching_digits', d.buffer);
    d.buffer = '';
    runBinding(sw, ch, hit, DIGIT_ACTION_DELAY_MS);
    return true;
  }
  d.bufferTimer = sw.sched.after(
    DIGIT_TIMEOUT_MS,
    () => {
      const digits = d.buffer;
      d.buffer = '';
      if (ch.alive) for (const x of digits) arrive(sw, ch, x, duration);
    },
    0.01,
  );
  return true;
}

/** `bind_meta_app <key> <listen a|b|ab> <respond flags> <app>[::<args>]` (22d). Returns an error text or undefined. */
export function bindMetaApp(ch: Channel, arg: string): string | undefined {
  const [key, , , ...rest] = arg.trim().split(/\s+/);
  const spec = rest.join(' ');
  if (!key || !/^[0-9*#A-D]$/.test(key) || !spec) return 'bind_meta_app: bad arguments';
  const [app, data] = splitApp(spec, '::');
  // bind_meta_app always puts the other leg on hold while its application runs (captured: 22d).
  ch.dtmf.metaApps.set(key, { app, data, holdPeer: true });
  return undefined;
}

/**
 * `bind_digit_action <realm>,<digits or ~regex>,exec[:flags]:<app>[,<arg>]` (22e). `exec[H]` keeps the peer off
 * hold. Returns an error text or undefined.
 */
export function bindDigitAction(ch: Channel, arg: string): string | undefined {
  const parts = arg.split(',');
  const [, digits, action, ...rest] = parts;
  if (!digits || !action) return 'bind_digit_action: bad arguments';
  const m = /^exec(?:\[([A-Za-z]*)\])?:(.+)$/.exec(action);
  if (!m) return 'bind_digit_action: only exec actions are simulated';
  const pattern = digits.startsWith('~')
    ? new RegExp(digits.slice(1))
    : new RegExp(`^${digits.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  ch.dtmf.digitActions.push({
    app: m[2]!,
    data: rest.join(','),
    holdPeer: !(m[1] ?? '').includes('H'),
    pattern,
    digits,
  });
  return undefined;
}

/**
 * bind_meta_app or bind_digit_action sent with sendmsg: it binds, and shows as CHANNEL_EXECUTE, EXECUTE_COMPLETE and
 * the PRIVATE_COMMAND of the message, without disturbing what the channel does (captures 22d, 22e).
 */
export function runBindApp(sw: Switch, ch: Channel, app: string, arg: string, prefix: Header[]): void {
  if (app === 'bind_meta_app') bindMetaApp(ch, arg);
  else bindDigitAction(ch, arg);
  const rec = sw.execute(ch, app, arg, true, false);
  sw.executeComplete(ch, '_none_', rec);
  sw.channelEvent(ch, 'PRIVATE_COMMAND', ['switch_ivr.c', 'switch_ivr_parse_next_event', 804], {
    verbose: false,
    prefix,
  });
}

function splitApp(spec: string, sep: string): [string, string] {
  const i = spec.indexOf(sep);
  return i < 0 ? [spec, ''] : [spec.slice(0, i), spec.slice(i + sep.length)];
}
