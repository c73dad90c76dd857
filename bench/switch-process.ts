// The benchmark's switch and phones in a child process of their own: the FreeSWITCH simulator and the phones' raw ESL
// client (test/support/esl-client.ts), driven by the benchmark's process over Node's IPC channel. A real deployment
// has FreeSWITCH on hosts of its own and the phones are people: neither takes the engine's CPU or event loop, and a
// stall of the engine's process cannot stretch the gap between two key presses (presses are paced here, in the child).
//
// Clock: the child stamps each event with Date.now() when its phones' client receives it, before it crosses the IPC
// channel; the engine's command journal stamps replies with Date.now() in the benchmark's process. Both read the same
// kernel clock (CLOCK_REALTIME of one host), so the two compare directly, with no offset; IPC delays are not counted.
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../simulator/index.ts';
import { EslClient, waitInLog, type EslEvent, type WaitableLog } from '../test/support/esl-client.ts';
import { hangUpLegs, type SwitchUnderTest } from '../test/support/switch.ts';

/**
 * The headers the benchmark reads of an event (its steps, its failed-call logs, the clean-up): only these cross to the
 * engine's process, so that passing events on costs it little.
 */
const KEPT_HEADERS = [
  'Unique-ID',
  'Other-Leg-Unique-ID',
  'Channel-Name',
  'Job-UUID',
  'DTMF-Digit',
  'Application',
  'Application-Data',
  'Hangup-Cause',
  'Event-Date-Timestamp',
] as const;

type Ask =
  | { op: 'api'; cmd: string }
  | { op: 'bgapi'; cmd: string }
  | { op: 'press'; leg: string; digits: string; gapMs: number }
  | { op: 'rtt'; n: number }
  | { op: 'hangUpLegs' };
type Request = Ask & { id: number };

/** An event as it crosses: `t` is when the child's phones received it (Date.now(), ms). */
interface WireEvent {
  name: string;
  headers: Record<string, string>;
  body?: string;
  t: number;
}

type Message =
  | { ready: { host: string; port: number; password: string } }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string }
  | { job: string; result: string }
  | { events: WireEvent[] };

/** The phones as the benchmark drives them: the calls, the key presses, and the events the phones received. */
export interface BenchPhones {
  /** Every event the phones received, in order (only the headers the benchmark reads). */
  readonly events: EslEvent[];
  /** When the phones received `ev` (ms since the epoch, as Date.now()). */
  at(ev: EslEvent): number;
  api(cmd: string): Promise<string>;
  bgapi(cmd: string): Promise<{ jobUuid: string; reply: string; result: Promise<string> }>;
  waitForEvent(pred: (ev: EslEvent) => boolean, timeoutMs?: number, from?: number): Promise<EslEvent>;
  /** Presses `digits` on `leg` one at a time, `gapMs` apart (not waiting for the switch's replies), paced by its process. */
  press(leg: string, digits: string, gapMs?: number): Promise<void>;
  /** `n` round trips of one `api uuid_exists` on the phones' raw client, ms each (measured where the phones run). */
  roundTrips(n: number): Promise<number[]>;
  /** Hangs up every leg still up and waits for the switch to end them. */
  hangUpLegs(): Promise<string[]>;
}

export interface SwitchProcess {
  sw: SwitchUnderTest;
  phones: BenchPhones;
  /** The child's pid, for its CPU. */
  pid: number;
}

/** Starts the simulator and the phones in a child process; resolves once the phones are connected. */
export async function startSwitchProcess(opts: { seed?: number } = {}): Promise<SwitchProcess> {
  const child = fork(
    new URL(import.meta.url).pathname,
    ['--serve', ...(opts.seed !== undefined ? [String(opts.seed)] : [])],
    {
      execArgv: ['--import=tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const phones = new RemotePhones(child);
  const ready = await new Promise<{ host: string; port: number; password: string }>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`the switch process exited (${code ?? signal}) before it was ready`)),
    );
    child.on('message', (m: Message) => {
      if ('ready' in m) resolve(m.ready);
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const sw: SwitchUnderTest = {
    ...ready,
    simulated: true,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return { sw, phones, pid: child.pid! };
}

class RemotePhones implements BenchPhones {
  readonly events: EslEvent[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly jobs = new Map<string, (result: string) => void>();
  private readonly jobResults = new Map<string, string>();
  private readonly waiters = new Set<(ev?: EslEvent) => void>();
  private gone = false;
  private readonly log: WaitableLog = { events: this.events, waiters: this.waiters, closed: () => this.gone };

  constructor(private readonly child: ChildProcess) {
    child.on('message', (m: Message) => this.onMessage(m));
    child.on('exit', () => {
      this.gone = true;
      for (const p of this.pending.values()) p.reject(new Error('the switch process exited'));
      this.pending.clear();
      for (const w of this.waiters) w();
    });
  }

  private onMessage(m: Message): void {
    if ('events' in m) {
      for (const w of m.events) {
        const ev: EslEvent = { name: w.name, headers: w.headers, list: Object.entries(w.headers), t: w.t };
        if (w.body !== undefined) ev.body = w.body;
        this.events.push(ev);
        for (const waiter of [...this.waiters]) waiter(ev);
      }
    } else if ('job' in m) {
      const done = this.jobs.get(m.job);
      if (done) done(m.result);
      else this.jobResults.set(m.job, m.result);
      this.jobs.delete(m.job);
    } else if ('id' in m) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(m.error));
    }
  }

  private call<T>(req: Ask): Promise<T> {
    if (this.gone) return Promise.reject(new Error('the switch process exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...req, id });
    });
  }

  at(ev: EslEvent): number {
    return ev.t;
  }

  api(cmd: string): Promise<string> {
    return this.call<string>({ op: 'api', cmd });
  }

  async bgapi(cmd: string): Promise<{ jobUuid: string; reply: string; result: Promise<string> }> {
    const { jobUuid, reply } = await this.call<{ jobUuid: string; reply: string }>({ op: 'bgapi', cmd });
    const done = this.jobResults.get(jobUuid);
    this.jobResults.delete(jobUuid);
    const result =
      done !== undefined ? Promise.resolve(done) : new Promise<string>((resolve) => this.jobs.set(jobUuid, resolve));
    return { jobUuid, reply, result };
  }

  press(leg: string, digits: string, gapMs = 60): Promise<void> {
    return this.call<void>({ op: 'press', leg, digits, gapMs });
  }

  roundTrips(n: number): Promise<number[]> {
    return this.call<number[]>({ op: 'rtt', n });
  }

  hangUpLegs(): Promise<string[]> {
    return this.call<string[]>({ op: 'hangUpLegs' });
  }

  /** As EslClient.waitForEvent: `pred` is asked about each event once (the log from `from`, then each arrival). */
  waitForEvent(pred: (ev: EslEvent) => boolean, timeoutMs = 5000, from = 0): Promise<EslEvent> {
    return waitInLog(this.log, 'the switch process exited while waiting for an event', pred, timeoutMs, from);
  }
}

/** The child: the simulator, the phones on it, and the requests of the benchmark's process. */
async function serve(seed: number | undefined): Promise<void> {
  const send = (m: Message) => process.send!(m);
  const sim = await startSimulator({ port: 0, ...(seed !== undefined ? { seed } : {}) });
  const phones = await EslClient.connect(sim, 'plain ALL');
  // Events go in batches, one per turn of this process's event loop; a reply first sends the events received before
  // it, so that the engine's process sees them in the order the phones did.
  let batch: WireEvent[] = [];
  const flush = () => {
    if (batch.length) send({ events: batch });
    batch = [];
  };
  phones.onEvent((ev) => {
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) if (ev.headers[h] !== undefined) headers[h] = ev.headers[h];
    const wire: WireEvent = { name: ev.name, headers, t: Date.now() };
    if (ev.name === 'BACKGROUND_JOB') wire.body = ev.body ?? '';
    if (!batch.length) setImmediate(flush);
    batch.push(wire);
  });
  const reply = (id: number, run: () => Promise<unknown>) =>
    run().then(
      (value) => (flush(), send({ id, ok: true, value })),
      (err: unknown) => (flush(), send({ id, ok: false, error: err instanceof Error ? err.message : String(err) })),
    );
  process.on('message', (req: Request) => {
    switch (req.op) {
      case 'api':
        return void reply(req.id, () => phones.api(req.cmd));
      case 'bgapi':
        return void reply(req.id, async () => {
          const job = await phones.bgapi(req.cmd);
          void job.result.then((result) => (flush(), send({ job: job.jobUuid, result })));
          return { jobUuid: job.jobUuid, reply: job.reply };
        });
      case 'press':
        // A phone keeps its own time between keys: the next digit goes `gapMs` after the last, not after the switch's
        // reply to it (replies queue behind the events the connection carries: in a flood of key presses, half a second
        // a digit, and the switch would see the code typed over seconds). The replies are read once all are sent.
        return void reply(req.id, async () => {
          const replies: Promise<string>[] = [];
          for (const d of req.digits) {
            const sent = phones.api(`uuid_recv_dtmf ${req.leg} ${d}`);
            sent.catch(() => undefined); // read below, in order
            replies.push(sent);
            await new Promise((r) => setTimeout(r, req.gapMs));
          }
          for (const r of await Promise.all(replies)) {
            if (!r.startsWith('+OK')) throw new Error(`uuid_recv_dtmf: ${r}`);
          }
        });
      case 'rtt':
        return void reply(req.id, async () => {
          const out: number[] = [];
          for (let i = 0; i < req.n; i++) {
            const t = performance.now();
            await phones.api('uuid_exists 00000000-0000-0000-0000-000000000000');
            out.push(performance.now() - t);
          }
          return out;
        });
      case 'hangUpLegs':
        return void reply(req.id, () => hangUpLegs(phones));
    }
  });
  const stop = () => {
    void phones
      .close()
      .then(() => sim.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  // The benchmark's process went away (killed, crashed): nothing is left to drive the switch.
  process.once('disconnect', stop);
  send({ ready: { host: sim.host, port: sim.port, password: sim.password } });
}

if (process.argv[2] === '--serve' && process.send) {
  const seed = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  await serve(seed);
}
