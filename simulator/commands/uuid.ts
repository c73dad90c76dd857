// uuid_* api commands. Reply texts, error wording included, as captured in steps 01-05 (README section 05).

import { uuidBridge } from '../bridge.ts';
import { serializeJsonEvent, serializePlainEvent } from '../protocol.ts';
import { dropDtmf, receiveDtmf, sendDtmf } from '../dtmf.ts';
import { breakMedia, broadcast, hold } from '../media.ts';
import { answerChannel } from '../loopback.ts';
import { Plan } from '../plan.ts';
import type { ApiHandler } from './types.ts';

const NO_SUCH = '-ERR No such channel!\n';

function words(args: string): string[] {
  return args.trim().split(/\s+/).filter(Boolean);
}

export const uuid_bridge: ApiHandler = ({ sw }, args) => {
  const [x, y] = words(args);
  if (!x || !y) return '-USAGE: <uuid> <other_uuid>\n';
  const a = sw.find(x);
  const b = sw.find(y);
  if (!a || !b || a === b) return '-ERR Invalid uuid\n';
  uuidBridge(sw, a, b);
  return `+OK ${b.uuid}\n`;
};

export const uuid_kill: ApiHandler = ({ sw }, args) => {
  const [x, cause] = words(args);
  if (!x) return '-USAGE: <uuid> [cause]\n';
  const ch = sw.find(x);
  if (!ch) return NO_SUCH;
  sw.hangupSoon(ch, cause ?? 'NORMAL_CLEARING');
  return '+OK\n';
};

export const uuid_park: ApiHandler = ({ sw }, args) => {
  const [x] = words(args);
  if (!x) return '-USAGE: <uuid>\n';
  const ch = sw.find(x);
  if (!ch) return NO_SUCH;
  sw.soon((plan) => sw.planPark(ch, plan, 0), 20);
  return '+OK\n';
};

/**
 * `uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan>] [<context>]`. With `inline`, `dest` is the extension itself:
 * `app[:arg]` items separated by commas (`park`, `conference:3way-x@default`, `three_way:<uuid>,park`: captures 03e,
 * 20a, 20e2). Otherwise the extension is looked up in the dialplan (assumed: not captured); none found hangs the
 * channel up NO_ROUTE_DESTINATION. With -both the peer moves first and its bridge ends without parking anyone (20a).
 */
export const uuid_transfer: ApiHandler = ({ sw }, args) => {
  const w = words(args);
  if (w.length < 2) return '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n';
  const ch = sw.find(w[0]);
  if (!ch) return NO_SUCH;
  let i = 1;
  let legs: 'a' | 'b' | 'both' = 'a';
  if (w[1] === '-bleg') [legs, i] = ['b', 2];
  else if (w[1] === '-both') [legs, i] = ['both', 2];
  const dest = w[i] ?? '';
  const dialplan = w[i + 1];
  const context = w[i + 2] ?? 'default';
  const peer = ch.peer;
  // The peer first: it joined the conference before the leg named in all four captured runs (20a-20c).
  const targets = legs === 'a' ? [ch] : legs === 'b' ? (peer ? [peer] : []) : peer ? [peer, ch] : [ch];
  if (!targets.length) return '-ERR No B-leg found\n';
  const apps =
    dialplan === 'inline'
      ? inlineApps(dest)
      : sw.dialplan.lookup(dest, context)?.map((x) => ({ name: x.app, data: x.data ?? '' }));
  for (const t of targets) t.moving = true;
  sw.soon((plan) => {
    // Other-Leg goes first on every moved leg: the named leg's CHANNEL_UNBRIDGE under -both names none (20a).
    for (const t of targets)
      plan.add(0, t, () => {
        t.other = undefined;
      });
    targets.forEach((t, n) => {
      if (!t.alive) return;
      if (dialplan === 'inline') t.showDest = dest;
      if (!apps) {
        t.moving = false;
        sw.planHangup(t, 'NO_ROUTE_DESTINATION', 'kill', plan, n);
        return;
      }
      sw.planTransfer(
        t,
        plan,
        n,
        apps,
        targets.find((o) => o !== t),
      );
    });
  }, 20);
  return '+OK\n';
};

/** An inline extension: `app[:arg]` items separated by commas. */
function inlineApps(dest: string): { name: string; data: string }[] {
  return dest
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const c = item.indexOf(':');
      return c < 0 ? { name: item, data: '' } : { name: item.slice(0, c), data: item.slice(c + 1) };
    });
}

export const uuid_broadcast: ApiHandler = ({ sw }, args) => {
  const w = words(args);
  if (w.length < 2) return '-USAGE: <uuid> <path> [aleg|bleg|both]\n';
  const ch = sw.find(w[0]);
  if (!ch) return '-ERR invalid uuid\n';
  const last = w[w.length - 1]!;
  const legArg = ['aleg', 'bleg', 'both'].includes(last) && w.length > 2 ? last : 'aleg';
  const path = (legArg === last && w.length > 2 ? w.slice(1, -1) : w.slice(1)).join(' ');
  const targets = legArg === 'aleg' ? [ch] : legArg === 'bleg' ? [ch.peer] : [ch, ch.peer];
  for (const t of targets) if (t) broadcast(sw, t, path);
  return '+OK Message sent\n';
};

export const uuid_break: ApiHandler = ({ sw }, args) => {
  const [x] = words(args);
  if (!x) return '-USAGE: <uuid> [all]\n';
  const ch = sw.find(x);
  if (!ch) return NO_SUCH;
  breakMedia(sw, ch);
  return '+OK\n';
};

/**
 * `uuid_hold [off|toggle] <uuid>` (captures 05, 21a-21e): `+OK Success` and a hold, also for toggle; `off` fails on
 * a known channel (loopback is never really HELD, so there is nothing to undo) and succeeds for an unknown uuid or
 * none, as does everything else on an unknown uuid; no argument at all is a usage error.
 */
export const uuid_hold: ApiHandler = ({ sw }, args) => {
  const w = words(args);
  if (!w.length) return '-USAGE: [off|toggle] <uuid> [<display>]\n-ERR Operation failed\n';
  const mode = w[0] === 'off' || w[0] === 'toggle' ? w.shift() : undefined;
  const ch = sw.find(w[0]);
  if (!ch) return '+OK Success\n';
  if (mode === 'off') return '-ERR Operation failed\n';
  hold(sw, ch);
  return '+OK Success\n';
};

/** `uuid_drop_dtmf <uuid> on|off mask_digits <digits>|mask_file <file>`: the short forms are refused (22b). */
export const uuid_drop_dtmf: ApiHandler = ({ sw }, args) => {
  const [x, onOff, kind, mask] = words(args);
  if (!x || (onOff !== 'on' && onOff !== 'off') || (kind !== 'mask_digits' && kind !== 'mask_file') || !mask)
    return '-USAGE: <uuid> [on | off ] [ mask_digits <digits> | mask_file <file>]\n';
  const ch = sw.find(x);
  // Not captured: answered as the other uuid_ commands answer an unknown uuid.
  if (!ch) return NO_SUCH;
  return dropDtmf(ch, onOff === 'on', kind, mask);
};

export const uuid_setvar: ApiHandler = ({ sw }, args) => {
  const w = words(args);
  if (w.length < 2) return '-USAGE: <uuid> <var> [value]\n';
  const ch = sw.find(w[0]);
  if (!ch) return NO_SUCH;
  const value = w.slice(2).join(' ');
  if (value === '') ch.unsetVar(w[1]!);
  else ch.setVar(w[1]!, value);
  return '+OK\n';
};

export const uuid_getvar: ApiHandler = ({ sw }, args) => {
  const w = words(args);
  if (w.length < 2) return '-USAGE: <uuid> <var>\n';
  const ch = sw.find(w[0]);
  if (!ch) return NO_SUCH;
  return ch.getVar(w[1]!) ?? '_undef_';
};

export const uuid_exists: ApiHandler = ({ sw }, args) => (sw.find(words(args)[0]) ? 'true' : 'false');

export const uuid_dump: ApiHandler = ({ sw }, args) => {
  const [x, format] = words(args);
  const ch = sw.find(x);
  if (!ch) return NO_SUCH;
  const ev = sw.bus.build(
    'CHANNEL_DATA',
    ['mod_commands.c', 'uuid_dump_function', 6495],
    ch.headers({ verbose: true }),
  );
  return format === 'json' ? serializeJsonEvent(ev.headers) : serializePlainEvent(ev.headers);
};

export const uuid_recv_dtmf: ApiHandler = ({ sw }, args) => {
  const [x, digits] = words(args);
  if (!x || !digits) return '-USAGE: <uuid> <dtmf_data>\n';
  const ch = sw.find(x);
  if (!ch) return '-ERR Cannot locate session!\n';
  receiveDtmf(sw, ch, digits);
  return `+OK ${ch.uuid} received DTMF ${digits}.\n`;
};

export const uuid_send_dtmf: ApiHandler = ({ sw }, args) => {
  const [x, digits] = words(args);
  if (!x || !digits) return '-USAGE: <uuid> <dtmf_data>\n';
  const ch = sw.find(x);
  if (!ch) return '-ERR Cannot locate session!\n';
  sendDtmf(sw, ch, digits);
  return '+OK\n';
};

export const uuid_answer: ApiHandler = ({ sw }, args) => {
  const [x] = words(args);
  const ch = sw.find(x);
  if (!ch) return NO_SUCH;
  if (!ch.answered) {
    const plan = new Plan();
    answerChannel(sw, ch, plan, 0);
    sw.sched.after(3, () => plan.run(sw.rng), 0.5);
  }
  return '+OK\n';
};
