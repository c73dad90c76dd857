// One FreeSWITCH node as the engine sees it: three connections. `api` runs synchronously in a connection's only
// thread on the switch, and while it runs that socket delivers no events and runs no other command; so events come
// on one connection, the calls' commands go on another, and the listings of every channel (`show channels`, a
// reconciliation's, megabytes and seconds on a switch with thousands of calls) on a third with a deadline of their
// own: a listing never delays a transfer's command, and one that runs out of time drops only its own connection.
import { EventEmitter } from 'node:events';
import { EslConnection, type EslConnectionOptions, type EslEvent } from './connection.ts';
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

export class EslNode extends EventEmitter<NodeEvents> {
  readonly name: string;
  readonly eventConnection: EslConnection;
  readonly commandConnection: EslConnection;
  readonly listingConnection: EslConnection;

  constructor(node: EslNodeSpec, options: EslNodeOptions = {}) {
    super();
    this.name = node.name;
    const common = {
      host: node.host,
      port: node.port,
      password: node.password,
      commandTimeoutMs: options.commandTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      backoff: options.backoff,
      logger: options.logger,
    };
    this.eventConnection = new EslConnection({
      ...common,
      events: options.events ?? ENGINE_EVENTS,
      label: `${node.name}/events`,
    });
    this.commandConnection = new EslConnection({ ...common, events: [], label: `${node.name}/commands` });
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
    this.commandConnection.start();
    this.listingConnection.start();
    return this;
  }

  /** Both connections up. */
  async waitConnected(timeoutMs?: number): Promise<void> {
    await Promise.all([this.eventConnection.waitConnected(timeoutMs), this.commandConnection.waitConnected(timeoutMs)]);
  }

  /** `api <cmd>` on the command connection: the api/response body. */
  api(cmd: string): Promise<string> {
    return this.commandConnection.api(cmd);
  }

  /** `api <cmd>` on the listing connection, for the commands that list every channel or call of the switch. */
  list(cmd: string): Promise<string> {
    return this.listingConnection.api(cmd);
  }

  /** `bgapi <cmd>` with Job-UUID `jobUuid` on the command connection; its BACKGROUND_JOB arrives as an event. */
  bgapi(cmd: string, jobUuid: string): Promise<void> {
    return this.commandConnection.bgapi(cmd, jobUuid);
  }

  async close(): Promise<void> {
    await Promise.all([this.eventConnection.close(), this.commandConnection.close(), this.listingConnection.close()]);
  }
}
