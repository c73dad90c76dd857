// A scripted ESL server for the cases a faithful simulator cannot produce on demand: a command that never gets a
// reply, duplicate and replayed events, a restart (new Core-UUID). Speaks the same framing as FreeSWITCH.
import net from 'node:net';

export interface FakeEslOptions {
  password?: string;
  port?: number;
  /**
   * api handler: the api/response body, or null to never reply (to test timeouts), or a promise of the body (a slow
   * command). Like FreeSWITCH, which runs one command at a time per connection, a connection that is stuck on a
   * command answers nothing after it, and one busy with a slow command answers the next ones once it is done.
   */
  api?: (cmd: string) => string | null | Promise<string>;
}

interface Client {
  socket: net.Socket;
  authed: boolean;
  events: Set<string>;
  json: boolean;
  stuck: boolean;
  /** Lines received while a slow command ran, handled in order once it is done. */
  waiting?: Array<[string, Record<string, string>]>;
}

export interface FakeEsl {
  port: number;
  /** Every command line received, in order, with its headers. */
  received: Array<{ line: string; headers: Record<string, string> }>;
  clients(): number;
  /** Sends an event (as text/event-json) to every client subscribed to its Event-Name. */
  sendEvent(headers: Record<string, string>): void;
  /** Writes bytes as they are to every client. */
  sendRaw(bytes: Buffer): void;
  /** Closes every client socket abruptly (RST). */
  dropClients(): void;
  close(): Promise<void>;
}

export async function startFakeEsl(opts: FakeEslOptions = {}): Promise<FakeEsl> {
  const password = opts.password ?? 'ClueCon';
  const clients = new Set<Client>();
  const received: FakeEsl['received'] = [];

  const write = (c: Client, headers: Record<string, string | number>, body?: string): void => {
    let text = '';
    const h = { ...headers };
    if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
    for (const [k, v] of Object.entries(h)) text += `${k}: ${v}\n`;
    c.socket.write(text + '\n' + (body ?? ''));
  };
  const reply = (c: Client, text: string, extra: Record<string, string> = {}): void =>
    write(c, { 'Content-Type': 'command/reply', 'Reply-Text': text, ...extra });

  const event = (c: Client, headers: Record<string, string>): void => {
    const name = headers['Event-Name'] ?? '';
    if (!c.authed || !(c.events.has(name) || c.events.has('ALL'))) return;
    write(c, { 'Content-Type': 'text/event-json' }, JSON.stringify(headers));
  };

  const handle = (c: Client, line: string, headers: Record<string, string>): void => {
    if (c.waiting) {
      c.waiting.push([line, headers]);
      return;
    }
    received.push({ line, headers });
    if (c.stuck) return;
    const [cmd = '', ...rest] = line.split(' ');
    if (!c.authed) {
      if (cmd === 'auth' && rest.join(' ') === password) {
        c.authed = true;
        reply(c, '+OK accepted');
      } else {
        reply(c, '-ERR invalid');
        write(c, { 'Content-Type': 'text/disconnect-notice' }, 'Disconnected, goodbye.\n');
        c.socket.end();
      }
      return;
    }
    switch (cmd) {
      case 'event': {
        c.json = rest[0] === 'json';
        for (const n of rest.slice(1)) c.events.add(n);
        reply(c, `+OK event listener enabled ${rest[0]}`);
        return;
      }
      case 'nixevent':
        for (const n of rest) c.events.delete(n);
        reply(c, '+OK events nixed');
        return;
      case 'noevents':
        c.events.clear();
        reply(c, '+OK no longer listening for events');
        return;
      case 'api': {
        const body = (opts.api ?? defaultApi)(rest.join(' '));
        if (body === null) c.stuck = true;
        else if (typeof body === 'string') write(c, { 'Content-Type': 'api/response' }, body);
        else {
          const waiting: Array<[string, Record<string, string>]> = (c.waiting = []);
          void body.then((text) => {
            if (c.socket.destroyed) return;
            write(c, { 'Content-Type': 'api/response' }, text);
            c.waiting = undefined;
            for (const [l, h] of waiting) handle(c, l, h);
          });
        }
        return;
      }
      case 'bgapi': {
        const job = headers['Job-UUID'] ?? 'generated-job';
        reply(c, `+OK Job-UUID: ${job}`, { 'Job-UUID': job });
        const result = (opts.api ?? defaultApi)(rest.join(' '));
        const body = typeof result === 'string' ? result : '';
        setTimeout(() => {
          for (const other of clients)
            event(other, {
              'Event-Name': 'BACKGROUND_JOB',
              'Core-UUID': 'fake-core',
              'Job-UUID': job,
              'Job-Command': rest[0] ?? '',
              'Job-Command-Arg': rest.slice(1).join(' '),
              'Content-Length': String(Buffer.byteLength(body)),
              _body: body,
            });
        }, 5);
        return;
      }
      case 'exit':
        reply(c, '+OK bye');
        write(c, { 'Content-Type': 'text/disconnect-notice' }, 'Disconnected, goodbye.\n');
        c.socket.end();
        return;
      default:
        reply(c, '-ERR command not found');
    }
  };

  const server = net.createServer((socket) => {
    const c: Client = { socket, authed: false, events: new Set(), json: false, stuck: false };
    clients.add(c);
    socket.on('close', () => clients.delete(c));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const [line = '', ...hs] = buf.slice(0, end).split('\n');
        buf = buf.slice(end + 2);
        const headers: Record<string, string> = {};
        for (const h of hs) {
          const i = h.indexOf(': ');
          if (i > 0) headers[h.slice(0, i)] = h.slice(i + 2);
        }
        if (line.trim()) handle(c, line.trim(), headers);
      }
    });
    write(c, { 'Content-Type': 'auth/request' });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    received,
    clients: () => clients.size,
    sendEvent: (headers) => {
      for (const c of clients) event(c, headers);
    },
    sendRaw: (bytes) => {
      for (const c of clients) c.socket.write(bytes);
    },
    dropClients: () => {
      for (const c of clients) c.socket.resetAndDestroy();
    },
    close: async () => {
      for (const c of clients) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function defaultApi(cmd: string): string {
  if (cmd === 'status') return 'UP 0 years\n';
  if (cmd.startsWith('show channels as json') || cmd.startsWith('show calls as json')) return '{"row_count": 0}\n';
  if (cmd.startsWith('uuid_exists')) return 'false';
  return '-ERR Command not found!\n';
}
