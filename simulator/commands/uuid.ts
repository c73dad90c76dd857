// uuid_* api commands. Reply texts, error wording included, as captured in steps 01-05 (README section 05).

import { uuidBridge } from '../bridge.ts';
import { serializeJsonEvent, serializePlainEvent } from '../protocol.ts';
import { breakMedia, broadcast, hold, receiveDtmf, sendDtmf } from '../media.ts';
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

export const uuid_transfer: ApiHandler = ({ sw }, args) => {
  const w = words(args);
  if (w.length < 2) return '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n';
  const ch = sw.find(w[0]);
  if (!ch) return NO_SUCH;
  let i = 1;
  let legs: 'a' | 'b' | 'both' = 'a';
  if (w[1] === '-bleg') [legs, i] = ['b', 2];
  else if (w[1] === '-both') [legs, i] = ['both', 2];
  const dest = w[i];
  const dialplan = w[i + 1];
  const peer = ch.peer;
  const targets = legs === 'a' ? [ch] : legs === 'b' ? (peer ? [peer] : []) : peer ? [ch, peer] : [ch];
  if (!targets.length) return '-ERR No B-leg found\n';
  if (dest === 'park' && dialplan === 'inline') {
    sw.soon((plan) => {
      for (const t of targets)
        sw.planTransferPark(
          t,
          plan,
          0,
          targets.find((o) => o !== t),
        );
    }, 20);
    return '+OK\n';
  }
  // Other destinations run that dialplan extension on the channel (assumed; not captured).
  const context = w[i + 2] ?? 'default';
  sw.soon((plan) => {
    for (const t of targets) {
      sw.planTransferPark(
        t,
        plan,
        0,
        targets.find((o) => o !== t),
      );
      t.apps = [];
      plan.add(1, t, () => {
        const apps = sw.dialplan.lookup(dest ?? '', context);
        if (!apps) {
          sw.runPlan((p2) => sw.planHangup(t, 'NO_ROUTE_DESTINATION', 'kill', p2, 0));
        }
      });
    }
  }, 20);
  return '+OK\n';
};

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

export const uuid_hold: ApiHandler = ({ sw }, args) => {
  const w = words(args);
  const mode = w[0] === 'off' || w[0] === 'toggle' ? w.shift() : undefined;
  // On loopback the call state never becomes HELD, so unhold always fails (capture 05).
  if (mode === 'off') return '-ERR Operation failed\n';
  const ch = sw.find(w[0]);
  if (ch) hold(sw, ch);
  return '+OK Success\n';
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
