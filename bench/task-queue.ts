// What waits on the workflow task queue, as the benchmarks read it.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

/**
 * Workflow tasks waiting on the task queue (DescribeTaskQueue's approximate backlog). A started workflow may not have
 * run its first task yet: with calls placed faster than the workflow workers start them, thousands wait here.
 */
export async function workflowBacklog(client: Client, taskQueue: string): Promise<number> {
  const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;
  const r = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  return Number(r.stats?.approximateBacklogCount ?? 0);
}
