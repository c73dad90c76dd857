// The TCP listener: accepts ESL clients, fans every event out to them, sends HEARTBEAT.

import { createServer, type Server, type Socket } from 'node:net';
import { EventPayloads } from './events.ts';
import { Faults } from './faults.ts';
import { Session } from './session.ts';
import type { Switch } from './switch.ts';
import { uptimeText } from './commands/system.ts';

export class EslServer {
  readonly faults = new Faults();
  private readonly sessions = new Set<Session>();
  private server?: Server;
  private heartbeat?: NodeJS.Timeout;
  private clientIds = 0;
  private unsubscribe: () => void;

  constructor(
    private readonly sw: Switch,
    private readonly password: string,
    private readonly heartbeatMs: number,
  ) {
    this.unsubscribe = sw.bus.subscribe((ev) => {
      const p = new EventPayloads(ev);
      for (const s of this.sessions) s.deliver(p);
    });
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    const server = createServer((socket: Socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        if (!addr || typeof addr === 'string') return reject(new Error('no address'));
        if (this.heartbeatMs > 0) this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
        resolve({ port: addr.port, host: addr.address });
      });
    });
  }

  private accept(socket: Socket): void {
    const host = {
      password: this.password,
      faults: this.faults,
      dropClients: (except: number) => this.dropClients(except),
    };
    const session = new Session(socket, this.sw, host, ++this.clientIds);
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
  }

  dropClients(except: number): number {
    let n = 0;
    for (const s of this.sessions) {
      if (s.id === except) continue;
      s.close();
      this.sessions.delete(s);
      n++;
    }
    return n;
  }

  private beat(): void {
    const sw = this.sw;
    const live = sw.liveChannels().length;
    sw.fire(
      'HEARTBEAT',
      ['switch_core.c', 'send_heartbeat', 95],
      [
        ['Event-Info', 'System Ready'],
        ['Up-Time', uptimeText(sw)],
        ['FreeSWITCH-Version', '1.11.3-dev+git~20260821T141014Z~cc93a683ca~64bit'],
        ['Uptime-msec', String(Date.now() - sw.startedMs)],
        ['Session-Count', String(live)],
        ['Max-Sessions', '1000'],
        ['Session-Per-Sec', '30'],
        ['Session-Per-Sec-Last', '0'],
        ['Session-Per-Sec-Max', '0'],
        ['Session-Per-Sec-FiveMin', '0'],
        ['Session-Since-Startup', String(sw.sessionsSinceStart)],
        ['Session-Peak-Max', String(sw.peakSessions)],
        ['Session-Peak-FiveMin', String(sw.peakSessions)],
        ['Idle-CPU', '98.800000'],
      ],
    );
    sw.fire(
      'RE_SCHEDULE',
      ['switch_scheduler.c', 'switch_scheduler_execute', 73],
      [
        ['Task-ID', '1'],
        ['Task-Desc', 'heartbeat'],
        ['Task-Group', 'core'],
        ['Task-Runtime', String(Math.floor((Date.now() + this.heartbeatMs) / 1000))],
      ],
    );
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const s of this.sessions) s.close();
    this.sessions.clear();
    const server = this.server;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
