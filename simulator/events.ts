// Events of the simulated switch: the common headers every event starts with, the global Event-Sequence,
// and fan-out to the connected ESL sessions.

import { serializeJsonEvent, serializePlainEvent, type Header } from './protocol.ts';

export interface SwitchIdentity {
  coreUuid: string;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

/** [Event-Calling-File, Event-Calling-Function, Event-Calling-Line-Number] as FreeSWITCH reports them. */
export type Calling = readonly [file: string, func: string, line: number];

export interface SimEvent {
  readonly name: string;
  readonly seq: number;
  /** All headers in wire order, values unencoded. */
  readonly headers: readonly Header[];
  readonly body?: string;
  /** Milliseconds since epoch at which it was fired. */
  readonly at: number;
}

export type EventListener = (ev: SimEvent) => void;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-26 03:35:01`. The captured switch ran on UTC, so local time is UTC here as well. */
export function localStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

export function gmtStamp(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`;
}

/** Microseconds since epoch, as a string (Event-Date-Timestamp and the Caller-*-Time headers). */
export function micros(ms: number): string {
  return ms <= 0 ? '0' : String(Math.round(ms * 1000));
}

export class EventBus {
  private seq: number;
  private listeners = new Set<EventListener>();
  /** Recent events, for the sim_* introspection commands. */
  readonly recent: SimEvent[] = [];

  constructor(
    readonly id: SwitchIdentity,
    startSeq: number,
  ) {
    this.seq = startSeq;
  }

  subscribe(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  baseHeaders(name: string, calling: Calling, seq: number, at: number): Header[] {
    return [
      ['Event-Name', name],
      ['Core-UUID', this.id.coreUuid],
      ['FreeSWITCH-Hostname', this.id.hostname],
      ['FreeSWITCH-Switchname', this.id.hostname],
      ['FreeSWITCH-IPv4', this.id.ipv4],
      ['FreeSWITCH-IPv6', this.id.ipv6],
      ['Event-Date-Local', localStamp(at)],
      ['Event-Date-GMT', gmtStamp(at)],
      ['Event-Date-Timestamp', micros(at)],
      ['Event-Calling-File', calling[0]],
      ['Event-Calling-Function', calling[1]],
      ['Event-Calling-Line-Number', String(calling[2])],
      ['Event-Sequence', String(seq)],
    ];
  }

  /** Build an event without firing it (uuid_dump uses this shape too). */
  /** `prefix` goes before the common headers (PRIVATE_COMMAND carries its COMMAND event first). */
  build(
    name: string,
    calling: Calling,
    headers: readonly Header[],
    body?: string,
    prefix: readonly Header[] = [],
  ): SimEvent {
    const at = Date.now();
    const seq = ++this.seq;
    const all = [...prefix, ...this.baseHeaders(name, calling, seq, at), ...headers];
    const ev: SimEvent = { name, seq, at, headers: all };
    return body === undefined ? ev : { ...ev, body };
  }

  fire(
    name: string,
    calling: Calling,
    headers: readonly Header[],
    body?: string,
    prefix?: readonly Header[],
  ): SimEvent {
    const ev = this.build(name, calling, headers, body, prefix);
    this.recent.push(ev);
    if (this.recent.length > 2000) this.recent.splice(0, this.recent.length - 2000);
    for (const l of this.listeners) l(ev);
    return ev;
  }
}

/** Lazily serialised forms of one event, shared by all sessions that receive it. */
export class EventPayloads {
  private plain?: string;
  private json?: string;

  constructor(readonly ev: SimEvent) {}

  get(format: 'plain' | 'json'): string {
    if (format === 'plain') return (this.plain ??= serializePlainEvent(this.ev.headers, this.ev.body));
    return (this.json ??= serializeJsonEvent(this.ev.headers, this.ev.body));
  }
}

export function headerOf(ev: { headers: readonly Header[] }, name: string): string | undefined {
  for (const [n, v] of ev.headers) if (n === name) return v;
  return undefined;
}
