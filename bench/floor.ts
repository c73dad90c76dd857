// The floor: one signal → one activity → one switch command, on the same Temporal server and the same switch as the
// engine, with workers the benchmark creates itself. A sample is timed from just before the client sends the signal
// to the moment the activity has the switch's reply (and, for the breakdown, when the activity started).
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Config } from '../config/index.ts';
import { connectNative, dataConverter } from '../temporal/connection.ts';
import { EslNode, type EslNodeSpec } from '../workers/esl/index.ts';
import { floorWorkflow, goSignal, stopSignal, type FloorActivities } from './floor-workflow.ts';

export interface FloorSample {
  /** signal sent → command reply received by the activity (ms). */
  total: number;
  /** signal sent → activity started: Temporal's part (signal, workflow task, activity task). */
  toActivity: number;
  /** activity started → switch reply: the ESL round trip. */
  command: number;
}

export interface FloorOptions {
  /** Temporal connection, namespace and payload codec: the engine's. */
  config: Config;
  address: string;
  client: Client;
  node: EslNodeSpec;
  /** A live channel to ask about (any UUID works; a live one makes the reply `true`). */
  uuid: string;
  samples: number;
  concurrency: number;
  /** Discarded samples per workflow first (JIT, sticky cache, connection warm-up). */
  warmup: number;
  /**
   * Pause between two samples of one workflow, so that each signal finds its workflow idle (as a caller's would):
   * gapMs plus up to gapMs more at random, so that parallel workflows do not signal in lockstep.
   */
  gapMs: number;
  deadline: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runFloor(opts: FloorOptions): Promise<{ samples: FloorSample[]; errors: string[] }> {
  const id = crypto.randomBytes(4).toString('hex');
  const workflowQueue = `bench-floor-wf-${id}`;
  const activityQueue = `bench-floor-act-${id}`;
  const esl = new EslNode({ ...opts.node, name: `floor${id}` }).start();
  await esl.waitConnected(10_000);
  const waiters = new Map<number, (v: { started: number; replied: number }) => void>();
  const activities: FloorActivities = {
    async floorCommand(uuid, sample) {
      const started = Date.now();
      const reply = await esl.api(`uuid_exists ${uuid}`);
      const replied = Date.now();
      waiters.get(sample)?.({ started, replied });
      waiters.delete(sample);
      return reply;
    },
  };
  const connection = await connectNative(opts.config, { address: opts.address });
  const workflowWorker = await Worker.create({
    connection,
    namespace: opts.config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(opts.config),
    taskQueue: workflowQueue,
    workflowsPath: fileURLToPath(new URL('./floor-workflow.ts', import.meta.url)),
  });
  const activityWorker = await Worker.create({
    connection,
    namespace: opts.config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(opts.config),
    taskQueue: activityQueue,
    activities,
  });
  const running = [workflowWorker.run(), activityWorker.run()];
  const samples: FloorSample[] = [];
  const errors: string[] = [];
  let next = 0;
  try {
    const perWorkflow = Math.ceil(opts.samples / opts.concurrency);
    await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, w) => {
        const handle = await opts.client.workflow.start(floorWorkflow, {
          workflowId: `bench-floor:${id}:${w}`,
          taskQueue: workflowQueue,
          args: [{ activityTaskQueue: activityQueue, uuid: opts.uuid }],
        });
        for (let k = 0; k < opts.warmup + perWorkflow && Date.now() < opts.deadline; k++) {
          const sample = next++;
          const done = new Promise<{ started: number; replied: number }>((resolve, reject) => {
            waiters.set(sample, resolve);
            setTimeout(() => reject(new Error(`floor sample ${sample}: no reply in 10 s`)), 10_000).unref();
          });
          const sent = Date.now();
          try {
            await handle.signal(goSignal, sample);
            const { started, replied } = await done;
            if (k >= opts.warmup) {
              samples.push({ total: replied - sent, toActivity: started - sent, command: replied - started });
            }
          } catch (err) {
            errors.push(String(err));
          }
          await sleep(opts.gapMs * (1 + Math.random()));
        }
        await handle.signal(stopSignal);
        await handle.result();
      }),
    );
  } finally {
    workflowWorker.shutdown();
    activityWorker.shutdown();
    await Promise.allSettled(running);
    await connection.close();
    await esl.close();
  }
  return { samples, errors };
}

/**
 * The round trip of one `api uuid_exists` to the switch, through the engine's ESL wrapper (EslNode, modesl) and through
 * the phones' raw client (node:net with TCP_NODELAY): what every switch command of the engine costs before any
 * Temporal work.
 */
export async function eslRoundTrips(
  node: EslNodeSpec,
  phones: { roundTrips(n: number): Promise<number[]> },
  n = 30,
): Promise<{ eslNode: number[]; rawClient: number[] }> {
  const esl = new EslNode({ ...node, name: `rtt${crypto.randomBytes(3).toString('hex')}` }).start();
  await esl.waitConnected(10_000);
  const time = async (api: (cmd: string) => Promise<string>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await api('uuid_exists 00000000-0000-0000-0000-000000000000');
      out.push(performance.now() - t);
    }
    return out;
  };
  try {
    return { eslNode: await time((c) => esl.api(c)), rawClient: await phones.roundTrips(n) };
  } finally {
    await esl.close();
  }
}
