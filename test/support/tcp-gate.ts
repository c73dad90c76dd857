// A TCP gate in front of a server (here Temporal's frontend): a process given the gate's address loses the server
// when the gate shuts (every connection reset, new ones refused at once) and finds it again when it opens, while
// processes that talk to the server directly are not touched. So one role sees an outage the others do not.
import net from 'node:net';

export interface TcpGate {
  /** host:port to give the process instead of the server's. */
  address: string;
  shut(): void;
  open(): void;
  close(): Promise<void>;
}

export async function startTcpGate(target: string): Promise<TcpGate> {
  const [host, port] = splitAddress(target);
  const sockets = new Set<net.Socket>();
  let shut = false;
  const server = net.createServer((client) => {
    if (shut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${own}`,
    shut() {
      shut = true;
      for (const s of sockets) s.resetAndDestroy();
    },
    open() {
      shut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
