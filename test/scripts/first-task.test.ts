// The first-task benchmark reads each workflow task's time from a history: WorkflowTaskStarted to its Completed, the
// tasks that timed out or failed left out (their retry is timed from its own start).
import test from 'ava';
import proto from '@temporalio/proto';
import { taskTimes } from '../../bench/first-task.ts';

const E = proto.temporal.api.enums.v1.EventType;
const at = (ms: number, eventType: proto.temporal.api.enums.v1.EventType) => ({
  eventType,
  eventTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
});

test('each completed workflow task from its start, in order; a timed-out one is not a sample', (t) => {
  const events = [
    at(1_000, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
    at(1_000, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    at(1_004, E.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    at(1_031, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    at(1_500, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    at(1_500, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    at(1_502, E.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    at(3_502, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT),
    at(3_502, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    at(3_990, E.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    at(4_002, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    at(4_100, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    at(4_101, E.EVENT_TYPE_WORKFLOW_TASK_STARTED),
  ];
  t.deepEqual(taskTimes(events), [27, 12]);
});
