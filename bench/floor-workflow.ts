// The floor's workflow (bundled for Temporal's sandbox: it imports only @temporalio/workflow). Each `go` signal runs
// one activity that sends one switch command; nothing else happens, so its latency is the least a signal → activity
// → switch command round trip costs on this server, with the engine's own topology (workflow and activity on two
// task queues, as the call workflows and the node worker's switch activities are).
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export interface FloorActivities {
  /** `api uuid_exists <uuid>` on the switch; `sample` lets the benchmark match the reply to its signal. */
  floorCommand(uuid: string, sample: number): Promise<string>;
}

export const goSignal = defineSignal<[number]>('go');
export const stopSignal = defineSignal('stop');

export interface FloorStart {
  activityTaskQueue: string;
  uuid: string;
}

export async function floorWorkflow(start: FloorStart): Promise<number> {
  // The same activity options as the engine's switch activities (workflows/transfer.ts).
  const { floorCommand } = proxyActivities<FloorActivities>({
    taskQueue: start.activityTaskQueue,
    startToCloseTimeout: '5 seconds',
    scheduleToCloseTimeout: '60 seconds',
    retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '2 seconds' },
  });
  const queue: number[] = [];
  let stopping = false;
  setHandler(goSignal, (sample) => void queue.push(sample));
  setHandler(stopSignal, () => void (stopping = true));
  let done = 0;
  for (;;) {
    await condition(() => queue.length > 0 || stopping);
    const sample = queue.shift();
    if (sample === undefined) return done;
    await floorCommand(start.uuid, sample);
    done++;
  }
}
