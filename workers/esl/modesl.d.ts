// The part of modesl 1.2.1 (plain JS, no published types) that workers/esl uses. Nothing outside workers/esl
// imports modesl: connection.ts is the one place that wraps it.
declare module 'modesl' {
  import type { Socket } from 'node:net';

  export interface EslHeader {
    name: string;
    value: unknown;
  }

  export class Event {
    headers: EslHeader[];
    getHeader(name: string): string | null;
    getBody(): string;
  }

  export type Callback = (evt: Event) => void;

  /** Internal; replaced per instance by connection.ts with a decoder that cannot throw. */
  export interface Parser {
    _parseHeaderText(text: string): Record<string, string | number>;
  }

  export class Connection {
    /** Inbound: connects at once and authenticates on `auth/request`; `esl::ready` after auth succeeds. */
    constructor(host: string, port: number, password: string, onReady?: () => void);
    /** null after the socket ended. */
    socket: Socket | null;
    parser?: Parser;
    /** Writes `command\n` + `k: v\n` lines + `\n`; values are written raw. */
    send(command: string, headers?: Record<string, string>): void;
    /** send + FIFO callback on the next `command/reply`. */
    sendRecv(command: string, headers: Record<string, string> | null, cb: Callback): void;
    /** `api <command>` + FIFO callback on the next `api/response`. */
    api(command: string, cb: Callback): void;
    disconnect(): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    once(event: string, listener: (...args: unknown[]) => void): this;
    removeAllListeners(event?: string): this;
  }

  const esl: { Connection: typeof Connection; Event: typeof Event };
  export default esl;
}
