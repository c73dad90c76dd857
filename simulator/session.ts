// One ESL client connection: authentication, subscriptions and filters, command replies, event delivery.
// Commands are handled one at a time, in order, like FreeSWITCH's listener thread does.

import type { Socket } from 'node:net';
import { runApi, type CommandContext } from './commands/index.ts';
import { runBridgeApp } from './apps.ts';
import { runBindApp } from './dtmf.ts';
import { breakMedia, broadcast } from './media.ts';
import type { EventPayloads } from './events.ts';
import { type SimEvent } from './events.ts';
import type { Faults } from './faults.ts';
import {
  AUTH_REQUEST,
  CommandParser,
  apiResponse,
  commandReply,
  disconnectNotice,
  eventFrame,
  type ClientCommand,
} from './protocol.ts';
import type { Switch } from './switch.ts';

interface Filter {
  header: string;
  value: string;
}

export interface SessionHost {
  password: string;
  faults: Faults;
  dropClients(except: number): number;
}

export class Session {
  readonly id: number;
  private authed = false;
  private format: 'plain' | 'json' = 'plain';
  private all = false;
  private readonly events = new Set<string>();
  private readonly nixed = new Set<string>();
  private filters: Filter[] = [];
  private readonly parser = new CommandParser();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly sw: Switch,
    private readonly host: SessionHost,
    id: number,
  ) {
    this.id = id;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const cmd of this.parser.push(chunk)) {
        this.queue = this.queue
          .then(() => this.handle(cmd))
          .catch((err: unknown) => {
            console.error('session error', err);
            this.close();
          });
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {
      this.closed = true;
    });
    this.write(AUTH_REQUEST);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  private write(s: string): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(s);
  }

  private async reply(s: string): Promise<void> {
    const d = this.host.faults.replyDelayMs;
    if (d > 0) await new Promise((r) => setTimeout(r, d));
    this.write(s);
  }

  // ---- events ------------------------------------------------------------------------------------

  private listening(): boolean {
    return this.all || this.events.size > 0;
  }

  wants(ev: SimEvent): boolean {
    if (!this.authed || this.closed) return false;
    if (this.nixed.has(ev.name)) return false;
    if (!this.all && !this.events.has(ev.name)) return false;
    return this.passesFilters(ev);
  }

  /** FreeSWITCH's filter rule: with filters set, an event needs a positive match and no negative one. */
  private passesFilters(ev: SimEvent): boolean {
    if (!this.filters.length) return true;
    let send = false;
    for (const f of this.filters) {
      let hval: string | undefined;
      for (const [n, v] of ev.headers) if (n.toLowerCase() === f.header.toLowerCase()) hval = v;
      if (hval === undefined) continue;
      let comp = f.value;
      let pos = true;
      while (comp.length && '+- '.includes(comp[0]!)) {
        if (comp[0] === '-') pos = false;
        if (comp[0] === '+') pos = true;
        comp = comp.slice(1);
      }
      let match: boolean;
      if (f.value.startsWith('/')) {
        const body = comp.replace(/^\/(.*)\/$/, '$1');
        try {
          match = new RegExp(body).test(hval);
        } catch {
          match = false;
        }
      } else {
        match = hval.toLowerCase() === comp.toLowerCase();
      }
      if (match && !pos) return false;
      if (match && pos) send = true;
    }
    return send;
  }

  deliver(p: EventPayloads): void {
    if (this.wants(p.ev)) this.write(eventFrame(this.format, p.get(this.format)));
  }

  // ---- commands ----------------------------------------------------------------------------------

  private ctx(): CommandContext {
    return { sw: this.sw, faults: this.host.faults, clientId: this.id, dropClients: (e) => this.host.dropClients(e) };
  }

  private async bye(text: string): Promise<void> {
    await this.reply(commandReply(text));
    this.write(disconnectNotice());
    this.closed = true;
    this.socket.end();
  }

  private async handle(cmd: ClientCommand): Promise<void> {
    if (this.closed) return;
    const line = cmd.line;
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (verb !== 'auth') this.sw.journal.push({ at: new Date().toISOString(), client: this.id, command: line });
    else this.sw.journal.push({ at: new Date().toISOString(), client: this.id, command: 'auth ********' });

    if (verb === 'exit' || verb === '...') return this.bye('+OK bye');
    if (!this.authed) {
      if (verb !== 'auth') return this.reply(commandReply('-ERR command not found'));
      if (this.host.faults.refuseAuth || rest !== this.host.password) return this.bye('-ERR invalid');
      this.authed = true;
      return this.reply(commandReply('+OK accepted'));
    }

    switch (verb) {
      case 'auth':
        return this.reply(commandReply('+OK accepted'));
      case 'event':
        return this.reply(commandReply(this.subscribe(rest)));
      case 'nixevent': {
        const names = rest.split(/\s+/).filter(Boolean);
        if (!names.length) return this.reply(commandReply('-ERR no keywords supplied'));
        for (const n of names) {
          if (n === 'ALL') {
            this.all = false;
            this.events.clear();
          } else {
            this.events.delete(n);
            this.nixed.add(n);
          }
        }
        return this.reply(commandReply('+OK events nixed'));
      }
      case 'noevents':
        if (!this.listening()) return this.reply(commandReply('-ERR not listening for events'));
        this.all = false;
        this.events.clear();
        this.nixed.clear();
        return this.reply(commandReply('+OK no longer listening for events'));
      case 'filter':
        return this.reply(commandReply(this.filter(rest)));
      case 'api':
        return this.api(rest);
      case 'bgapi':
        return this.bgapi(rest, cmd.headers.get('job-uuid'));
      case 'sendmsg':
        return this.reply(commandReply(this.sendmsg(rest || cmd.headers.get('unique-id') || '', cmd)));
      case 'linger':
        return this.reply(commandReply('+OK will linger'));
      case 'nolinger':
        return this.reply(commandReply('+OK will not linger'));
      default:
        return this.reply(commandReply('-ERR command not found'));
    }
  }

  private subscribe(rest: string): string {
    const words = rest.split(/\s+/).filter(Boolean);
    let fmt = 'plain';
    if (words[0] && ['plain', 'json', 'xml'].includes(words[0].toLowerCase())) fmt = words.shift()!.toLowerCase();
    if (!words.length) return '-ERR no keywords supplied';
    // xml is accepted but delivered as plain: nothing in Handoff uses it (documented in the README).
    this.format = fmt === 'json' ? 'json' : 'plain';
    let custom = false;
    for (const w of words) {
      if (w === 'ALL' || w === 'all') {
        this.all = true;
        this.nixed.clear();
      } else if (w === 'CUSTOM') {
        custom = true;
        this.events.add('CUSTOM');
      } else if (!custom) {
        this.events.add(w.toUpperCase());
        this.nixed.delete(w.toUpperCase());
      }
    }
    return `+OK event listener enabled ${fmt}`;
  }

  private filter(rest: string): string {
    const words = rest.split(/\s+/).filter(Boolean);
    if (words[0] === 'delete') {
      const [, header, ...v] = words;
      if (!header) return '-ERR invalid syntax';
      const value = v.join(' ');
      if (header === 'all') this.filters = [];
      else this.filters = this.filters.filter((f) => !(f.header === header && (!value || f.value === value)));
      return `+OK filter deleted. [${header}]=[${value}]`;
    }
    if (words[0] === 'add') words.shift();
    const [header, ...v] = words;
    if (!header || !v.length) return '-ERR invalid syntax';
    const value = v.join(' ');
    this.filters.push({ header, value });
    return `+OK filter added. [${header}]=[${value}]`;
  }

  private fireApiEvent(command: string, args: string): void {
    const h: [string, string][] = [['API-Command', command]];
    if (args) h.push(['API-Command-Argument', args]);
    this.sw.fire('API', ['switch_loadable_module.c', 'switch_api_execute', 3140], h);
  }

  private async api(rest: string): Promise<void> {
    const sp = rest.indexOf(' ');
    const command = sp < 0 ? rest : rest.slice(0, sp);
    const args = sp < 0 ? '' : rest.slice(sp + 1);
    const result = runApi(this.ctx(), command, args);
    const body = typeof result === 'string' ? result : await new Promise<string>((resolve) => result.later(resolve));
    await this.reply(apiResponse(body));
    this.fireApiEvent(command, args);
  }

  private async bgapi(rest: string, wanted: string | undefined): Promise<void> {
    const job = wanted || this.sw.rng.uuid();
    await this.reply(commandReply(`+OK Job-UUID: ${job}`, [['Job-UUID', job]]));
    const sp = rest.indexOf(' ');
    const command = sp < 0 ? rest : rest.slice(0, sp);
    const args = sp < 0 ? '' : rest.slice(sp + 1);
    const finish = (body: string): void => {
      // The API event of a job comes just before its BACKGROUND_JOB (capture 00).
      this.fireApiEvent(command, args);
      const h: [string, string][] = [
        ['Job-UUID', job],
        ['Job-Command', command],
      ];
      if (args) h.push(['Job-Command-Arg', args]);
      this.sw.fire('BACKGROUND_JOB', ['mod_event_socket.c', 'api_exec', 1580], h, body);
    };
    const result = runApi(this.ctx(), command, args);
    if (typeof result === 'string') this.sw.sched.after(1, () => finish(result), 0.5);
    else result.later(finish);
  }

  /** sendmsg: execute an application on a channel, or hang it up. `+OK` only means queued. */
  private sendmsg(uuid: string, cmd: ClientCommand): string {
    const ch = this.sw.find(uuid.trim());
    if (!ch) return `-ERR invalid session id [${uuid.trim()}]`;
    const h = cmd.headers;
    const callCommand = (h.get('call-command') ?? '').toLowerCase();
    if (callCommand === 'hangup') {
      this.sw.hangupSoon(ch, h.get('hangup-cause') ?? 'NORMAL_CLEARING');
      return '+OK';
    }
    if (callCommand !== 'execute') return '-ERR invalid command';
    const app = h.get('execute-app-name') ?? '';
    const arg = h.get('execute-app-arg') ?? (h.get('content-type') === 'text/plain' ? (cmd.body ?? '') : '');
    switch (app) {
      case 'playback':
        broadcast(this.sw, ch, arg, false, 20);
        break;
      case 'break':
        breakMedia(this.sw, ch);
        break;
      case 'park':
        this.sw.soon((plan) => this.sw.planTransfer(ch, plan, 0, [{ name: 'park', data: '' }]), 10);
        break;
      case 'hangup':
        this.sw.hangupSoon(ch, arg || 'NORMAL_CLEARING');
        break;
      case 'set':
      case 'export': {
        const i = arg.indexOf('=');
        if (i > 0) ch.setVar(arg.slice(0, i), arg.slice(i + 1));
        break;
      }
      case 'bridge':
        this.sw.sched.after(5, () => ch.alive && runBridgeApp(this.sw, ch, arg), 0.5);
        break;
      case 'bind_meta_app':
      case 'bind_digit_action': {
        // It runs at once, beside whatever the channel does, a bridge included (capture 22d).
        const prefix: [string, string][] = [
          ['Command', `sendmsg ${ch.uuid}`],
          ['call-command', 'execute'],
          ['execute-app-name', app],
          ['execute-app-arg', arg],
        ];
        this.sw.sched.after(20, () => ch.alive && runBindApp(this.sw, ch, app, arg, prefix), 0.1);
        break;
      }
      default:
        break;
    }
    return '+OK';
  }
}
