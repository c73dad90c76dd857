// One ESL connection to one FreeSWITCH, kept up for as long as the process wants it. This is the only file that
// touches modesl; what it fixes in modesl 1.2.1 (read from its source):
// - it never reconnects, and it emits `esl::end` only on a clean FIN (not on ECONNRESET): we watch the socket's
//   own 'close' and reconnect with backoff;
// - its EventEmitter2 throws on an unhandled 'error': a listener is attached before the first tick;
// - its reply callbacks wait forever when the socket dies, and nothing times out: every command here has a
//   deadline, and replies are matched by position, so a late reply would answer the next command: on a timeout
//   the connection is closed and everything pending fails (callers retry);
// - after auth it sends `event json BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE` by itself, and its events() adds both
//   to every subscription: we send our own `event json <names>` and `nixevent CHANNEL_EXECUTE_COMPLETE` (or
//   `noevents` on a command connection) so that a busy switch does not stream every app completion at us;
// - its header decoder is decodeURIComponent, which throws (from a socket 'data' handler, so the process dies) on
//   bytes that are not UTF-8: it is replaced per instance by one that cannot throw;
// - its parser copies everything it holds on every chunk, quadratic in a reply's size: linear-parser.ts.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import esl from 'modesl';
import type { Connection as ModeslConnection, Event as ModeslEvent } from 'modesl';
import { parseHeaderBlock } from './decode.ts';
import { installLinearParser } from './linear-parser.ts';
import { quietLogger, type Logger } from './log.ts';

installLinearParser();

/** An event's headers (JSON values, all strings), plus its body under `_body` when it has one. */
export type EslEvent = Record<string, string>;

export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export interface EslConnectionOptions {
  host: string;
  port: number;
  password: string;
  /** Event names to receive (as JSON). Empty: a command-only connection, which asks for no events at all. */
  events?: readonly string[];
  /** Deadline of one command's reply; on expiry the connection is closed and every pending command fails. */
  commandTimeoutMs?: number;
  /** Deadline from TCP connect to authenticated and subscribed. */
  connectTimeoutMs?: number;
  backoff?: Partial<Backoff>;
  /** For logs: e.g. `fs1/events`. */
  label?: string;
  logger?: Logger;
}

export class EslError extends Error {
  override name = 'EslError';
}
/** The command had no reply in time. Whether the switch ran it is unknown: retry idempotently. */
export class EslTimeoutError extends EslError {
  override name = 'EslTimeoutError';
}
/** The connection was down or went down before the reply. Whether the switch ran it is unknown. */
export class EslDisconnectedError extends EslError {
  override name = 'EslDisconnectedError';
}
/** The switch answered a command (not an api body) with -ERR. */
export class EslCommandError extends EslError {
  override name = 'EslCommandError';
}

/** A deadline timer this late says the process's own thread was held up: the log says so. */
const HELD_UP_THREAD_MS = 200;

interface ConnectionEvents {
  connected: [];
  disconnected: [reason: string];
  event: [EslEvent];
}

interface Pending {
  reject(err: Error): void;
}

/** One life of one TCP connection; a reconnect makes a new one, so late callbacks of a dead one are ignored. */
interface Session {
  conn: ModeslConnection;
  socket: Socket;
  pending: Set<Pending>;
  ready: boolean;
  dead: boolean;
  handshake?: NodeJS.Timeout;
}

export class EslConnection extends EventEmitter<ConnectionEvents> {
  private readonly opts: Required<Omit<EslConnectionOptions, 'backoff' | 'logger'>> & {
    backoff: Backoff;
    logger: Logger;
  };
  private session?: Session;
  private started = false;
  private closed = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(options: EslConnectionOptions) {
    super();
    this.opts = {
      host: options.host,
      port: options.port,
      password: options.password,
      events: options.events ?? [],
      commandTimeoutMs: options.commandTimeoutMs ?? 5000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      backoff: { initialMs: 100, maxMs: 5000, factor: 2, ...options.backoff },
      label: options.label ?? `${options.host}:${options.port}`,
      logger: options.logger ?? quietLogger,
    };
  }

  get connected(): boolean {
    return !!this.session?.ready;
  }

  /** Starts connecting; from then on it reconnects by itself until close(). */
  start(): this {
    if (this.closed) throw new EslError(`${this.opts.label}: closed`);
    if (!this.started) {
      this.started = true;
      this.connect();
    }
    return this;
  }

  /** Resolves once connected (authenticated and subscribed). */
  waitConnected(timeoutMs = this.opts.connectTimeoutMs): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.closed) return Promise.reject(new EslDisconnectedError(`${this.opts.label}: closed`));
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        if (err) reject(err);
        else resolve();
      };
      const onConnected = (): void => done();
      const timer = setTimeout(
        () => done(new EslDisconnectedError(`${this.opts.label}: not connected within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.on('connected', onConnected);
    });
  }

  /** `api <cmd>`: resolves with the api/response body as sent (`+OK …`, `-ERR …`, `true`, a JSON document …). */
  async api(cmd: string): Promise<string> {
    const session = await this.readySession();
    return this.request(session, `api ${cmd}`, (conn, cb) => conn.api(checkLine(cmd), cb)).then((evt) => evt.getBody());
  }

  /**
   * `bgapi <cmd>` with our Job-UUID, so the caller knows the job before it runs and can route its BACKGROUND_JOB
   * (that event goes to whoever subscribed to BACKGROUND_JOB: the ingest). Resolves on `+OK Job-UUID`.
   */
  async bgapi(cmd: string, jobUuid: string): Promise<void> {
    const session = await this.readySession();
    const evt = await this.request(session, `bgapi ${cmd}`, (conn, cb) =>
      conn.sendRecv(`bgapi ${checkLine(cmd)}`, { 'Job-UUID': checkLine(jobUuid) }, cb),
    );
    const reply = evt.getHeader('Reply-Text') ?? '';
    if (!reply.startsWith('+OK')) throw new EslCommandError(`bgapi ${firstWord(cmd)}: ${reply || 'no reply text'}`);
  }

  /** Stops reconnecting, says `exit`, fails what is pending. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const session = this.session;
    if (!session || session.dead) return;
    const closedSocket = new Promise<void>((resolve) => {
      if (session.socket.destroyed) resolve();
      else session.socket.once('close', () => resolve());
    });
    try {
      session.conn.send('exit');
      session.socket.end();
    } catch {
      // the socket is already gone
    }
    const force = setTimeout(() => session.socket.destroy(), 1000);
    await closedSocket;
    clearTimeout(force);
    this.endSession(session, 'closed');
  }

  private connect(): void {
    const { host, port, password, label, logger } = this.opts;
    const conn = new esl.Connection(host, port, password);
    // EventEmitter2 throws on an unhandled 'error'; socket errors arrive on a later tick, so this is in time.
    conn.on('error', (err) => logger.debug(`esl ${label}: ${errorText(err)}`));
    const socket = conn.socket as Socket;
    // modesl writes one command in several small writes: with Nagle's algorithm on, the last one waits for the
    // switch's delayed ACK, ~40 ms per command (measured by the benchmark). Commands are latency, not bandwidth.
    socket.setNoDelay(true);
    const session: Session = { conn, socket, pending: new Set(), ready: false, dead: false };
    this.session = session;

    session.handshake = setTimeout(
      () =>
        this.fail(
          session,
          new EslTimeoutError(`${label}: no ready connection within ${this.opts.connectTimeoutMs} ms`),
        ),
      this.opts.connectTimeoutMs,
    );
    socket.on('close', () => this.endSession(session, 'socket closed'));

    // Emitted synchronously right after modesl creates its parser, before any byte is read.
    conn.on('esl::connect', () => {
      if (conn.parser) conn.parser._parseHeaderText = parseHeaderBlock;
    });
    conn.on('esl::event::auth::fail', () => {
      // Once per streak: a wrong password is retried (it may be fixed on the switch) but should not flood the log.
      if (this.attempt === 0) logger.error(`esl ${label}: authentication failed`);
      this.fail(session, new EslError(`${label}: authentication failed`));
    });
    conn.on('esl::event::raw::text/rude-rejection', () => {
      logger.error(`esl ${label}: refused by the switch's ACL`);
      this.fail(session, new EslError(`${label}: access denied`));
    });
    // FreeSWITCH sends this before it closes the socket (shutdown, `exit`, auth failure): stop using it now.
    conn.on('esl::event::disconnect::notice', () =>
      this.fail(session, new EslDisconnectedError(`${label}: disconnect notice`)),
    );
    conn.on('esl::ready', () => {
      this.subscribe(session).then(
        () => {
          if (session.dead) return;
          clearTimeout(session.handshake);
          session.ready = true;
          this.attempt = 0;
          logger.info(`esl ${label}: connected`);
          this.emit('connected');
        },
        (err: unknown) => this.fail(session, err instanceof Error ? err : new EslError(String(err))),
      );
    });
    if (this.opts.events.length > 0) {
      conn.on('esl::event::**', (...args: unknown[]) => {
        const [evt, headers] = args as [ModeslEvent, Record<string, unknown> | undefined];
        if (session.dead || headers?.['Content-Type'] !== 'text/event-json') return;
        this.emit('event', toEslEvent(evt));
      });
    }
  }

  private async subscribe(session: Session): Promise<void> {
    const names = this.opts.events;
    const tolerate = async (cmd: string): Promise<void> => {
      const reply = (await this.request(session, cmd, (conn, cb) => conn.sendRecv(cmd, null, cb))).getHeader(
        'Reply-Text',
      );
      if (!reply?.startsWith('+OK')) this.opts.logger.warn(`esl ${this.opts.label}: ${cmd}: ${reply ?? 'no reply'}`);
    };
    if (names.length === 0) {
      await tolerate('noevents');
      return;
    }
    const cmd = `event json ${names.join(' ')}`;
    const evt = await this.request(session, cmd, (conn, cb) => conn.sendRecv(cmd, null, cb));
    const reply = evt.getHeader('Reply-Text') ?? '';
    if (!reply.startsWith('+OK')) throw new EslCommandError(`${cmd}: ${reply}`);
    // modesl subscribed to these at auth; the switch only ever adds to a subscription, so remove them explicitly.
    const unwanted = ['CHANNEL_EXECUTE_COMPLETE', 'BACKGROUND_JOB'].filter((n) => !names.includes(n));
    if (unwanted.length > 0) await tolerate(`nixevent ${unwanted.join(' ')}`);
  }

  private async readySession(): Promise<Session> {
    if (!this.started) throw new EslDisconnectedError(`${this.opts.label}: not started`);
    if (!this.session?.ready) await this.waitConnected(this.opts.commandTimeoutMs);
    const session = this.session;
    if (!session?.ready) throw new EslDisconnectedError(`${this.opts.label}: not connected`);
    return session;
  }

  /** Sends one command and waits for its positional reply, under the command deadline. */
  private request(
    session: Session,
    what: string,
    send: (conn: ModeslConnection, cb: (evt: ModeslEvent) => void) => void,
  ): Promise<ModeslEvent> {
    if (session.dead) return Promise.reject(new EslDisconnectedError(`${this.opts.label}: not connected`));
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const sentAt = Date.now();
      const timer = setTimeout(() => {
        // How late this timer ran: the time this process's own thread was held up, not the switch's.
        const late = Date.now() - sentAt - this.opts.commandTimeoutMs;
        // After this thread was held up (a long garbage collection, a synchronous wait on the store) for longer than
        // the deadline, timers run before the sockets are read: a reply that came in time may be waiting unread. The
        // verdict waits for one turn of the loop, which reads them first.
        setImmediate(() => {
          if (!session.pending.has(pending)) return;
          const ms = this.opts.commandTimeoutMs;
          const why =
            `${this.opts.label}: no reply to '${firstWord(what, 2)}' within ${ms} ms` +
            (late >= HELD_UP_THREAD_MS ? ` (its timer ran ${late} ms late: this process's thread was held up)` : '');
          // This command still owns its reply slot: the only safe thing is to drop the connection.
          this.opts.logger.warn(`esl ${why}, reconnecting`);
          this.fail(session, new EslTimeoutError(why));
        });
      }, this.opts.commandTimeoutMs);
      session.pending.add(pending);
      // modesl writes a command line by line (the command, each header, the blank line): corked, they leave as one
      // write, one system call and one TCP segment, instead of two or more.
      session.socket.cork();
      try {
        send(session.conn, (evt) => {
          if (!session.pending.delete(pending)) return;
          clearTimeout(timer);
          resolve(evt);
        });
      } catch (err) {
        session.pending.delete(pending);
        pending.reject(err instanceof Error ? err : new EslError(String(err)));
      } finally {
        session.socket.uncork();
      }
    });
  }

  /** Fails every pending command with `err` and drops the socket; 'close' then schedules the reconnect. */
  private fail(session: Session, err: Error): void {
    if (session.dead) return;
    const pending = [...session.pending];
    session.pending.clear();
    for (const p of pending) p.reject(err);
    session.socket.destroy();
    this.endSession(session, err.message);
  }

  private endSession(session: Session, reason: string): void {
    if (session.dead) return;
    session.dead = true;
    clearTimeout(session.handshake);
    const pending = [...session.pending];
    session.pending.clear();
    for (const p of pending) p.reject(new EslDisconnectedError(`${this.opts.label}: ${reason}`));
    if (!session.socket.destroyed) session.socket.destroy();
    const wasReady = session.ready;
    session.ready = false;
    if (this.session === session) this.session = undefined;
    if (wasReady) {
      if (this.closed) this.opts.logger.debug(`esl ${this.opts.label}: closed`);
      else this.opts.logger.warn(`esl ${this.opts.label}: disconnected: ${reason}`);
      this.emit('disconnected', reason);
    } else {
      this.opts.logger.debug(`esl ${this.opts.label}: connect failed: ${reason}`);
    }
    if (!this.closed) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const { initialMs, maxMs, factor } = this.opts.backoff;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    // Jitter, so that many workers do not hammer a restarting switch in step.
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (!this.closed) this.connect();
    }, delay);
  }
}

function toEslEvent(evt: ModeslEvent): EslEvent {
  const out: EslEvent = {};
  for (const h of evt.headers) {
    out[h.name] = typeof h.value === 'string' ? h.value : Array.isArray(h.value) ? h.value.join('|') : String(h.value);
  }
  const body = evt.getBody();
  if (body) out._body = body;
  return out;
}

/** Header values are written raw by modesl: a newline would end the command and inject another. */
function checkLine(s: string): string {
  if (/[\r\n]/.test(s)) throw new EslError('ESL command or header contains a newline');
  return s;
}

function firstWord(cmd: string, n = 1): string {
  return cmd.split(' ').slice(0, n).join(' ');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
