// The switch and policy activities as workflows call them: on the task queue of the node that hosts the legs, quick to
// time out (a dead node worker is noticed in seconds, not minutes) and retried with a short backoff.
import { proxyActivities } from '@temporalio/workflow';
import type { PolicyActivities } from '../activities/policy.ts';
import type { SwitchActivities } from '../activities/switch.ts';
import { nodeTaskQueue } from '../contracts/ids.ts';

export function switchActivities(node: string, opts: { giveUpAfter: '30 seconds' | '60 seconds' }) {
  return proxyActivities<SwitchActivities & PolicyActivities>({
    taskQueue: nodeTaskQueue(node),
    startToCloseTimeout: '5 seconds',
    scheduleToCloseTimeout: opts.giveUpAfter,
    retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '2 seconds' },
  });
}
