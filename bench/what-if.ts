// `--tcp-nodelay`: a what-if, not the engine as it is. modesl writes each command in several socket writes and the
// engine's ESL wrapper (workers/esl/connection.ts) leaves Nagle's algorithm on, so each command's last write waits for
// the switch's delayed ACK (~40 ms on Linux). This turns TCP_NODELAY on for every socket this process opens (the
// simulator's, the phones' and gRPC's already have it), to show what the engine's figures would be with that fixed.
import net from 'node:net';

export function forceTcpNoDelay(): void {
  const connect = net.Socket.prototype.connect as (this: net.Socket, ...args: unknown[]) => net.Socket;
  Object.defineProperty(net.Socket.prototype, 'connect', {
    configurable: true,
    writable: true,
    value: function (this: net.Socket, ...args: unknown[]): net.Socket {
      this.setNoDelay(true);
      return connect.apply(this, args);
    },
  });
}
