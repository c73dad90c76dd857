// status, version, reloadxml, show channels|calls [as json]: formats from steps 00, 01, 05 and 10-0.

import type { Channel } from '../channels.ts';
import { localStamp } from '../events.ts';
import type { Switch } from '../switch.ts';
import type { ApiHandler } from './types.ts';

export const VERSION_TEXT =
  'FreeSWITCH Version 1.11.3-dev+git~20260821T141014Z~cc93a683ca~64bit (git cc93a68 2026-08-21 14:10:14Z 64bit)';

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export function uptimeText(sw: Switch): string {
  let ms = Date.now() - sw.startedMs;
  const micro = Math.floor((ms * 1000) % 1000);
  const day = 86400000;
  const years = Math.floor(ms / (365 * day));
  ms -= years * 365 * day;
  const days = Math.floor(ms / day);
  ms -= days * day;
  const hours = Math.floor(ms / 3600000);
  ms -= hours * 3600000;
  const minutes = Math.floor(ms / 60000);
  ms -= minutes * 60000;
  const seconds = Math.floor(ms / 1000);
  const millis = Math.floor(ms - seconds * 1000);
  return `${plural(years, 'year')}, ${plural(days, 'day')}, ${plural(hours, 'hour')}, ${plural(minutes, 'minute')}, ${plural(seconds, 'second')}, ${plural(millis, 'millisecond')}, ${plural(micro, 'microsecond')}`;
}

export const status: ApiHandler = ({ sw }) => {
  const live = sw.liveChannels().length;
  return (
    `UP ${uptimeText(sw)}\n` +
    'FreeSWITCH (Version 1.11.3-dev git cc93a68 2026-08-21 14:10:14Z 64bit) is ready\n' +
    `${sw.sessionsSinceStart} session(s) since startup\n` +
    `${live} session(s) - peak ${sw.peakSessions}, last 5min ${sw.peakSessions} \n` +
    `0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n` +
    '1000 session(s) max\n' +
    'min idle cpu 0.00/98.80\n' +
    'Current Stack Size/Max 240K/8192K\n'
  );
};

export const version: ApiHandler = () => `${VERSION_TEXT}\n`;

/**
 * `global_getvar <name>`: the value, without a newline; an unset one answers `-ERR no reply` (captures 20-0, 21c).
 * Without a name: every global, `name=value` a line (assumed).
 */
export const global_getvar: ApiHandler = ({ sw }, args) => {
  const name = args.trim();
  if (!name) return [...sw.globals].map(([k, v]) => `${k}=${v}\n`).join('');
  return sw.globals.get(name) ?? '-ERR no reply\n';
};

/** `global_setvar <name>=<value>` answers `+OK` without a newline; an empty value unsets it (capture 21c). */
export const global_setvar: ApiHandler = ({ sw }, args) => {
  const text = args.trim();
  const i = text.indexOf('=');
  if (i <= 0) return '-USAGE: <var>=<value>\n';
  const value = text.slice(i + 1).trim();
  if (value) sw.globals.set(text.slice(0, i).trim(), value);
  else sw.globals.delete(text.slice(0, i).trim());
  return '+OK';
};

/** The modules the captured switch had loaded from step 20 on (captures README section 1); `true`/`false`, no newline. */
const MODULES = new Set([
  'mod_console',
  'mod_logfile',
  'mod_event_socket',
  'mod_loopback',
  'mod_commands',
  'mod_dptools',
  'mod_hash',
  'mod_dialplan_xml',
  'mod_sndfile',
  'mod_tone_stream',
  'mod_local_stream',
  'mod_conference',
]);

export const module_exists: ApiHandler = (_ctx, args) => String(MODULES.has(args.trim()));

export const reloadxml: ApiHandler = ({ sw }) => {
  sw.sched.after(2, () => sw.fire('RELOADXML', ['switch_xml.c', 'switch_xml_open_root', 2423], []), 0.5);
  return '+OK [Success]\n';
};

function application(ch: Channel): [string, string] {
  if (ch.playback) return ['playback', ch.playback.path];
  return [ch.app?.name ?? '', ch.app?.data ?? ''];
}

function callUuid(ch: Channel): string {
  if (ch.loopbackLeg === 'B') return '';
  const br = ch.bridge && !ch.bridge.ended ? ch.bridge : undefined;
  return br && br.b === ch ? br.a.uuid : ch.uuid;
}

function channelRow(ch: Channel): Record<string, string> {
  const p = ch.profile;
  const [app, appData] = application(ch);
  return {
    uuid: ch.uuid,
    direction: ch.direction,
    created: localStamp(ch.createdMs),
    created_epoch: String(Math.floor(ch.createdMs / 1000)),
    name: ch.name,
    state: ch.state,
    cid_name: p.callerIdName,
    cid_num: p.callerIdNumber,
    ip_addr: '',
    dest: ch.showDest ?? p.destinationNumber,
    application: app,
    application_data: appData,
    dialplan: 'xml',
    context: p.context,
    read_codec: 'L16',
    read_rate: '8000',
    read_bit_rate: '128000',
    write_codec: 'L16',
    write_rate: '8000',
    write_bit_rate: '128000',
    secure: '',
    hostname: '',
    presence_id: '',
    presence_data: '',
    accountcode: '',
    callstate: ch.callState,
    callee_name: p.calleeIdName,
    callee_num: p.calleeIdNumber,
    callee_direction: ch.loopbackLeg === 'A' ? 'RECV' : '',
    call_uuid: callUuid(ch),
    sent_callee_name: '',
    sent_callee_num: '',
    initial_cid_name: p.origCallerIdName,
    initial_cid_num: p.origCallerIdNumber,
    initial_ip_addr: '',
    initial_dest: p.destinationNumber,
    initial_dialplan: 'xml',
    initial_context: p.context,
  };
}

const CALL_KEYS = [
  'uuid',
  'direction',
  'created',
  'created_epoch',
  'name',
  'state',
  'cid_name',
  'cid_num',
  'ip_addr',
  'dest',
  'presence_id',
  'presence_data',
  'accountcode',
  'callstate',
  'callee_name',
  'callee_num',
  'callee_direction',
  'call_uuid',
  'hostname',
  'sent_callee_name',
  'sent_callee_num',
] as const;
const B_KEYS = CALL_KEYS.filter((k) => !['call_uuid', 'hostname'].includes(k));

function callRows(sw: Switch): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  const live = sw.liveChannels();
  for (const ch of live) {
    const br = ch.bridge && !ch.bridge.ended ? ch.bridge : undefined;
    if (br && br.b === ch) continue;
    const full = channelRow(ch);
    const row: Record<string, string> = {};
    for (const k of CALL_KEYS) row[k] = full[k] ?? '';
    const other = br ? channelRow(br.b) : undefined;
    for (const k of B_KEYS) row[`b_${k}`] = other ? (other[k] ?? '') : '';
    row.call_created_epoch = br ? String(Math.floor((ch.times.bridged || Date.now()) / 1000)) : '';
    rows.push(row);
  }
  return rows;
}

function render(rows: Record<string, string>[], json: boolean, hostname: string): string {
  for (const r of rows) if ('hostname' in r) r.hostname = hostname;
  if (json) {
    if (!rows.length) return '{"row_count": 0}\n';
    return JSON.stringify({ row_count: rows.length, rows });
  }
  // Plain form: a CSV header, the rows, a blank line and the count (only the empty form is captured).
  if (!rows.length) return '\n0 total.\n';
  const keys = Object.keys(rows[0]!);
  return `${keys.join(',')}\n${rows.map((r) => keys.map((k) => r[k]).join(',')).join('\n')}\n\n${rows.length} total.\n`;
}

export const show: ApiHandler = ({ sw }, args) => {
  const w = args.trim().split(/\s+/);
  const what = w[0];
  const json = w[1] === 'as' && w[2] === 'json';
  if (what === 'channels') return render(sw.liveChannels().map(channelRow), json, sw.opts.hostname);
  if (what === 'calls') return render(callRows(sw), json, sw.opts.hostname);
  return '-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n';
};
