// A small raw-socket ESL client for tests (node:net and the engine's header decoder; no modesl). It works the same
// against the simulator and a real FreeSWITCH: auth, api, bgapi with the job result, event subscriptions, and a log of
// parsed events to wait on.

import { connect, type Socket } from 'node:net';
import { decodeEslValue } from '../../workers/esl/decode.ts';

export interface EslEvent {
  name: string;
  /** Header values, decoded; a repeated header keeps its last value (as modesl does). */
  headers: Record<string, string>;
  /** All headers in wire order, decoded (duplicates kept). */
  list: [string, string][];
  body?: string;
  /** ms since the client connected. */
  t: number;
}

export interface EslFrame {
  headers: Record<string, string>;
  body: string;
  raw: string;
}

function parseHeaderBlock(text: string, decode: boolean): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) out.push([line.slice(0, i), decode ? decodeEslValue(line.slice(i + 2)) : line.slice(i + 2)]);
  }
  return out;
}

/** Parse the body of a text/event-plain or text/event-json frame. */
export function parseEventBody(contentType: string, body: string, t = 0): EslEvent {
  let list: [string, string][];
  let inner: string | undefined;
  if (contentType === 'text/event-json') {
    const obj = JSON.parse(body) as Record<string, string>;
    list = Object.entries(obj).filter(([k]) => k !== '_body');
    inner = obj._body;
  } else {
    const cut = body.indexOf('\n\n');
    list = parseHeaderBlock(cut >= 0 ? body.slice(0, cut) : body, true);
    if (cut >= 0 && body.length > cut + 2) inner = body.slice(cut + 2);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of list) headers[k] = v;
  // PRIVATE_COMMAND carries its COMMAND event first: the last Event-Name is the event's own.
  const ev: EslEvent = { name: headers['Event-Name'] ?? '', headers, list, t };
  if (inner !== undefined) ev.body = inner;
  return ev;
}

/** Incremental ESL frame splitter (server to client direction). */
export class FrameReader {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): EslFrame[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: EslFrame[] = [];
    for (;;) {
      const end = this.buf.indexOf('\n\n');
      if (end < 0) break;
      const head = this.buf.subarray(0, end).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of parseHeaderBlock(head, false)) headers[k] = v;
      const len = Number(headers['Content-Length'] ?? 0);
      if (this.buf.length < end + 2 + len) break;
      const body = this.buf.subarray(end + 2, end + 2 + len).toString('utf8');
      const raw = this.buf.subarray(0, end + 2 + len).toString('utf8');
      this.buf = this.buf.subarray(end + 2 + len);
      out.push({ headers, body, raw });
    }
    return out;
  }
}

export interface EslAddress {
  host: string;
  port: number;
  password: string;
}

/** Parse `esl://:PASSWORD@HOST:PORT`. */
export function parseEslUrl(url: string): EslAddress {
  const u = new URL(url);
  if (u.protocol !== 'esl:') throw new Error(`not an esl:// url: ${url}`);
  return { host: u.hostname, port: Number(u.port || 8021), password: decodeURIComponent(u.password || 'ClueCon') };
}

export interface EslClientOptions {
  /**
   * Keep every event and frame (the default: tests assert over the whole log). A long-running client (the chaos tool)
   * turns it off and follows events with onEvent(); waitForEvent then sees only events that arrive after the call.
   */
  retain?: boolean;
}

export class EslClient {
  readonly events: EslEvent[] = [];
  /** Every frame received, in order (raw bytes included), for byte-level assertions. */
  readonly frames: EslFrame[] = [];
  private readonly reader = new FrameReader();
  private readonly waiters: { resolve: (f: EslFrame) => void; types: string[] }[] = [];
  private readonly eventWaiters = new Set<(ev?: EslEvent) => void>();
  private readonly listeners = new Set<(ev: EslEvent) => void>();
  private readonly jobs = new Map<string, (body: string) => void>();
  private readonly jobResults = new Map<string, string>();
  private readonly started = Date.now();
  private closedPromise: Promise<void>;
  closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly retain = true,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.reader.push(chunk)) this.onFrame(f);
    });
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        for (const w of this.eventWaiters) w();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  /** Connect and wait for the auth/request greeting (no auth yet). */
  static async open(addr: { host: string; port: number }, opts: EslClientOptions = {}): Promise<EslClient> {
    const socket = connect(addr.port, addr.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new EslClient(socket, opts.retain ?? true);
    await c.next(['auth/request']);
    return c;
  }

  /** Connect, authenticate and (optionally) subscribe. */
  static async connect(
    addr: EslAddress,
    events: string | null = 'plain ALL',
    opts: EslClientOptions = {},
  ): Promise<EslClient> {
    const c = await EslClient.open(addr, opts);
    const r = await c.command(`auth ${addr.password}`);
    if (r.headers['Reply-Text'] !== '+OK accepted') throw new Error(`auth failed: ${r.headers['Reply-Text']}`);
    if (events) await c.command(`event ${events}`);
    return c;
  }

  private onFrame(f: EslFrame): void {
    if (this.retain) this.frames.push(f);
    const ct = f.headers['Content-Type'] ?? '';
    if (ct === 'text/event-plain' || ct === 'text/event-json') {
      const ev = parseEventBody(ct, f.body, Date.now() - this.started);
      if (this.retain) this.events.push(ev);
      if (ev.name === 'BACKGROUND_JOB') {
        const id = ev.headers['Job-UUID'] ?? '';
        this.jobResults.set(id, ev.body ?? '');
        this.jobs.get(id)?.(ev.body ?? '');
        this.jobs.delete(id);
      }
      for (const l of [...this.listeners]) l(ev);
      for (const w of [...this.eventWaiters]) w(ev);
      return;
    }
    const i = this.waiters.findIndex((w) => w.types.includes(ct));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(f);
    for (const w of [...this.eventWaiters]) w();
  }

  private next(types: string[]): Promise<EslFrame> {
    return new Promise((resolve) => this.waiters.push({ resolve, types }));
  }

  /** Send raw bytes (a command block must end with an empty line). */
  write(raw: string): void {
    this.socket.write(raw);
  }

  /** Send a command and wait for its command/reply (or disconnect notice). */
  command(line: string, headers: Record<string, string> = {}): Promise<EslFrame> {
    const p = this.next(['command/reply']);
    this.write(
      `${line}\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\n`)
        .join('')}\n`,
    );
    return p;
  }

  /** `api <cmd>` and its api/response body. */
  async api(cmd: string): Promise<string> {
    const p = this.next(['api/response']);
    this.write(`api ${cmd}\n\n`);
    return (await p).body;
  }

  /** `bgapi <cmd>`: resolves with the Job-UUID and a promise of the BACKGROUND_JOB body. */
  async bgapi(cmd: string, jobUuid?: string): Promise<{ jobUuid: string; reply: string; result: Promise<string> }> {
    const r = await this.command(`bgapi ${cmd}`, jobUuid ? { 'Job-UUID': jobUuid } : {});
    const id = r.headers['Job-UUID'] ?? '';
    const done = this.jobResults.get(id);
    const result =
      done !== undefined ? Promise.resolve(done) : new Promise<string>((resolve) => this.jobs.set(id, resolve));
    return { jobUuid: id, reply: r.headers['Reply-Text'] ?? '', result };
  }

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  onEvent(listener: (ev: EslEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  eventsFor(uuid: string): EslEvent[] {
    return this.events.filter((e) => e.headers['Unique-ID'] === uuid);
  }

  /** Wait for an event matching `pred` (already received ones count unless `from` skips them): see waitInLog. */
  waitForEvent(pred: (e: EslEvent) => boolean, timeoutMs = 5000, from = 0): Promise<EslEvent> {
    return waitInLog(
      { events: this.events, waiters: this.eventWaiters, closed: () => this.closed },
      'connection closed while waiting for an event',
      pred,
      timeoutMs,
      from,
    );
  }

  /** Wait until `pred` holds over the event log (re-checked on every event). */
  waitUntil(pred: (events: EslEvent[]) => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const onEvent = (): void => {
        if (pred(this.events)) {
          this.eventWaiters.delete(onEvent);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.eventWaiters.delete(onEvent);
        reject(new Error(`condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      this.eventWaiters.add(onEvent);
      onEvent();
    });
  }

  waitClosed(): Promise<void> {
    return this.closedPromise;
  }

  async close(): Promise<void> {
    if (!this.closed) this.socket.destroy();
    await this.closedPromise;
  }
}

/**
 * An event log that waiters are told of: each waiter is called with every event as it arrives, and with nothing when
 * the source closes (or, for EslClient, when any other frame arrives).
 */
export interface WaitableLog {
  readonly events: readonly EslEvent[];
  readonly waiters: Set<(ev?: EslEvent) => void>;
  closed(): boolean;
}

/**
 * The first event of `log` matching `pred` (from index `from`), or the next one to arrive within `timeoutMs`. `pred`
 * is asked about each event once: the log so far now, then every event as it arrives. The log's owner shares its
 * process with the simulator and the engine under test in the e2e tests, so a wait must not rescan the log on every
 * arrival: with a few thousand events that blocked the event loop for seconds, and the engine's switch commands missed
 * their deadlines.
 */
export function waitInLog(
  log: WaitableLog,
  closedMessage: string,
  pred: (e: EslEvent) => boolean,
  timeoutMs: number,
  from: number,
): Promise<EslEvent> {
  return new Promise((resolve, reject) => {
    const settle = (hit?: EslEvent, err?: Error): void => {
      log.waiters.delete(onEvent);
      clearTimeout(timer);
      if (hit) resolve(hit);
      else reject(err);
    };
    const onEvent = (ev?: EslEvent): void => {
      if (ev && pred(ev)) settle(ev);
      else if (log.closed()) settle(undefined, new Error(closedMessage));
    };
    const timer = setTimeout(() => settle(undefined, new Error(`no matching event within ${timeoutMs} ms`)), timeoutMs);
    for (let i = from; i < log.events.length; i++) {
      if (pred(log.events[i]!)) return settle(log.events[i]);
    }
    if (log.closed()) return settle(undefined, new Error(closedMessage));
    log.waiters.add(onEvent);
  });
}
