// One FreeSWITCH node as the engine sees it: an event connection, a small pool of command connections, and a listing
// connection. `api` runs synchronously in a connection's only thread on the switch, and while it runs that socket
// delivers no events and runs no other command; so events come on one connection, the calls' commands go on a pool of
// others, and the listings of every channel (`show channels`, a reconciliation's, megabytes and seconds on a switch with
// thousands of calls) on a third kind with a deadline of their own: a listing never delays a transfer's command, and
// one that runs out of time drops only its own connection.
//
// The command pool (ESL_COMMAND_CONNECTIONS connections):
// - A command goes on the connected one with the fewest commands in flight (ties in turn), so a slow command holds up
//   only what queued behind it on its connection, and a command that misses its deadline (which drops its connection:
//   a late reply would answer the next command) fails only that connection's commands; the others go on.
// - Except that a command naming a channel that has a command in flight goes on that command's connection, behind it.
//   A single connection ran a channel's commands in the order they were sent; activities await each reply, so in one
//   activity that order holds on any connection, but two activities on one channel (a retried attempt while the older
//   one still runs, a key press's hold beside a transfer's park) may have commands in flight at once, and this keeps
//   them in the order they were sent, as before. Commands about different channels were never ordered by anything
//   but the queue on the one connection.
// - bgapi (originate) goes on the pool like any command: its reply comes at once, and its BACKGROUND_JOB comes on the
//   event connection, which subscribes to it, whichever connection sent the job.
// - Every connection reconnects on its own (EslConnection). The node can command its calls while its event connection
//   and at least one command connection are up: waitConnected() and the readiness check ask no more; a command waits
//   (up to its deadline) only when no command connection is up.
import { EventEmitter } from 'node:events';
import { DEFAULT_ESL_COMMAND_CONNECTIONS } from '../../contracts/ids.ts';
import { EslConnection, EslDisconnectedError, type EslConnectionOptions, type EslEvent } from './connection.ts';
import type { Logger } from './log.ts';

/** The events the engine acts on (the ingest forwards a subset of these), plus originate results. */
export const ENGINE_EVENTS: readonly string[] = [
  'CHANNEL_CREATE',
  'CHANNEL_ANSWER',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PARK',
  'CHANNEL_HANGUP_COMPLETE',
  'DTMF',
  'BACKGROUND_JOB',
];

export interface EslNodeSpec {
  name: string;
  host: string;
  port: number;
  password: string;
}

export interface EslNodeOptions {
  /** Defaults to ENGINE_EVENTS. */
  events?: readonly string[];
  commandTimeoutMs?: number;
  /** Command connections (ESL_COMMAND_CONNECTIONS); default DEFAULT_ESL_COMMAND_CONNECTIONS. */
  commandConnections?: number;
  /** Deadline of one listing's reply (list()); default 60 s. */
  listingTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: EslConnectionOptions['backoff'];
  logger?: Logger;
}

interface NodeEvents {
  /** The event connection is (again) up: a good moment to reconcile, events may have been missed. */
  connected: [];
  disconnected: [reason: string];
  event: [EslEvent];
}

/**
 * The channels a command names, whose commands keep their order: `uuid_*` commands name their channel first (after
 * `uuid_hold`'s `off` or `toggle`), `uuid_bridge` names two.
 */
export function commandChannels(cmd: string): string[] {
  const [verb, ...args] = cmd.split(' ').filter(Boolean);
  if (!verb?.startsWith('uuid_')) return [];
  if (verb === 'uuid_hold' && (args[0] === 'off' || args[0] === 'toggle')) args.shift();
  return args.slice(0, verb === 'uuid_bridge' ? 2 : 1);
}

interface InFlight {
  connection: EslConnection;
  commands: number;
}

export class EslNode extends EventEmitter<NodeEvents> {
  readonly name: string;
  readonly eventConnection: EslConnection;
  readonly commandConnections: readonly EslConnection[];
  readonly listingConnection: EslConnection;
  private readonly commandTimeoutMs: number;
  /** Commands in flight per command connection (sent or waiting for it), counted when the connection is picked. */
  private readonly load = new Map<EslConnection, number>();
  /** Per channel: the connection its commands in flight went on. */
  private readonly channels = new Map<string, InFlight>();
  private turn = 0;
  private readonly commandConnected = new EventEmitter<{ up: [] }>();

  constructor(node: EslNodeSpec, options: EslNodeOptions = {}) {
    super();
    this.name = node.name;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    const common = {
      host: node.host,
      port: node.port,
      password: node.password,
      commandTimeoutMs: this.commandTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      backoff: options.backoff,
      logger: options.logger,
    };
    this.eventConnection = new EslConnection({
      ...common,
      events: options.events ?? ENGINE_EVENTS,
      label: `${node.name}/events`,
    });
    const size = options.commandConnections ?? DEFAULT_ESL_COMMAND_CONNECTIONS;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`commandConnections must be ≥ 1, not ${size}`);
    this.commandConnections = Array.from(
      { length: size },
      (_, i) =>
        new EslConnection({ ...common, events: [], label: `${node.name}/commands${size > 1 ? `#${i + 1}` : ''}` }),
    );
    // Every command waiting for a connection listens here, so no connection collects one listener per command.
    this.commandConnected.setMaxListeners(0);
    for (const c of this.commandConnections) {
      this.load.set(c, 0);
      c.on('connected', () => this.commandConnected.emit('up'));
    }
    this.listingConnection = new EslConnection({
      ...common,
      commandTimeoutMs: options.listingTimeoutMs ?? 60_000,
      events: [],
      label: `${node.name}/listings`,
    });
    this.eventConnection.on('event', (evt) => this.emit('event', evt));
    this.eventConnection.on('connected', () => this.emit('connected'));
    this.eventConnection.on('disconnected', (reason) => this.emit('disconnected', reason));
  }

  start(): this {
    this.eventConnection.start();
    for (const c of this.commandConnections) c.start();
    this.listingConnection.start();
    return this;
  }

  /** Command connections up now. */
  get commandConnectionsUp(): number {
    return this.commandConnections.filter((c) => c.connected).length;
  }

  /** The event connection and at least one command connection up. */
  async waitConnected(timeoutMs?: number): Promise<void> {
    await Promise.all([
      this.eventConnection.waitConnected(timeoutMs),
      Promise.any(this.commandConnections.map((c) => c.waitConnected(timeoutMs))).catch((err: unknown) => {
        throw err instanceof AggregateError && err.errors[0] instanceof Error ? err.errors[0] : err;
      }),
    ]);
  }

  /** `api <cmd>` on a command connection: the api/response body. */
  api(cmd: string): Promise<string> {
    return this.command(cmd, (c) => c.api(cmd));
  }

  /** `api <cmd>` on the listing connection, for the commands that list every channel or call of the switch. */
  list(cmd: string): Promise<string> {
    return this.listingConnection.api(cmd);
  }

  /** `bgapi <cmd>` with Job-UUID `jobUuid` on a command connection; its BACKGROUND_JOB arrives as an event. */
  bgapi(cmd: string, jobUuid: string): Promise<void> {
    return this.command(cmd, (c) => c.bgapi(cmd, jobUuid));
  }

  async close(): Promise<void> {
    await Promise.all([
      this.eventConnection.close(),
      ...this.commandConnections.map((c) => c.close()),
      this.listingConnection.close(),
    ]);
  }

  private async command<T>(cmd: string, send: (c: EslConnection) => Promise<T>): Promise<T> {
    const channels = commandChannels(cmd);
    const connection = this.pick(channels) ?? (await this.nextUp(channels));
    this.load.set(connection, (this.load.get(connection) ?? 0) + 1);
    for (const ch of channels) {
      const f = this.channels.get(ch);
      if (f && f.connection === connection) f.commands++;
      else if (!f) this.channels.set(ch, { connection, commands: 1 });
    }
    try {
      return await send(connection);
    } finally {
      this.load.set(connection, (this.load.get(connection) ?? 1) - 1);
      for (const ch of channels) {
        const f = this.channels.get(ch);
        if (f?.connection === connection && --f.commands === 0) this.channels.delete(ch);
      }
    }
  }

  /** The connection of a channel's commands in flight, else the connected one with the fewest in flight. */
  private pick(channels: readonly string[]): EslConnection | undefined {
    for (const ch of channels) {
      const f = this.channels.get(ch);
      if (f?.connection.connected) return f.connection;
    }
    let best: EslConnection | undefined;
    let bestLoad = Infinity;
    const n = this.commandConnections.length;
    for (let i = 0; i < n; i++) {
      const c = this.commandConnections[(this.turn + i) % n]!;
      const load = this.load.get(c) ?? 0;
      if (c.connected && load < bestLoad) [best, bestLoad] = [c, load];
    }
    if (best) this.turn = (this.commandConnections.indexOf(best) + 1) % n;
    return best;
  }

  /** No command connection is up: wait for one, up to the command deadline. */
  private nextUp(channels: readonly string[]): Promise<EslConnection> {
    return new Promise((resolve, reject) => {
      const up = (): void => {
        const c = this.pick(channels);
        if (!c) return;
        clearTimeout(timer);
        this.commandConnected.off('up', up);
        resolve(c);
      };
      const timer = setTimeout(() => {
        this.commandConnected.off('up', up);
        reject(new EslDisconnectedError(`${this.name}/commands: no connection up within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      this.commandConnected.on('up', up);
    });
  }
}
